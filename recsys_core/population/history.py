"""Every user's history labelled with interests and sessions: the one table trends and adoption read.

A row is one distinct item a user touched, at its first event (the model's view of a
history, :func:`build_sequences`), kept only when it may be called liked (low ratings say what
the user does not want), with the item's fine interest and theme in the served build and the
user's session number (events closer than the model's session gap share a session).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.errors import InvalidArgumentError
from recsys_core.interests.sequences import Sequences, is_liked

LEVELS = ("fine", "theme")
PERIODS = ("week", "month", "quarter")
_PANDAS_PERIOD = {"week": "W-SUN", "month": "M", "quarter": "Q"}


@dataclass(frozen=True, slots=True)
class InterestHistory:
    """Labelled histories of all users.

    ``frame`` columns: user (row in ``user_ids``), item, days (since the Unix epoch, UTC), fine,
    theme, session (0, 1, ... per user). Sorted by user, then time. ``labels`` maps
    (level, node id) to the interest's label; ``theme_of_fine`` is the hierarchy's parent map.
    """

    frame: pd.DataFrame
    user_ids: list[str]
    labels: dict[tuple[str, int], str]
    theme_of_fine: npt.NDArray[np.int64]

    def label(self, level: str, node: int) -> str:
        return self.labels.get((level, int(node)), f"{level} {node}")

    def n_nodes(self, level: str) -> int:
        if level == "fine":
            return len(self.theme_of_fine)
        return int(self.theme_of_fine.max(initial=-1)) + 1


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise InvalidArgumentError(f"level {level!r} is not an interest level: use fine or theme")
    return level


def interest_history(
    seqs: Sequences, fine_of_item: npt.NDArray[np.int64],
    theme_of_fine: npt.NDArray[np.int64], labels: dict[tuple[str, int], str], session_gap_days: float,
    drop_newest: bool = False,
) -> InterestHistory:
    """Label every user's liked distinct items with interests and sessions.

    Args:
        seqs: Every user's history (as :func:`data.histories.load_sequences` reads it) over the
            served build's items: the rows of ``fine_of_item``.
        fine_of_item: Each item row's fine interest; ``theme_of_fine`` each fine interest's theme.
        labels: (level, node) -> label.
        session_gap_days: A longer gap between two events starts a new session.
        drop_newest: Leave out each user's newest item (the evaluation's test item), so the
            history is the one an evaluation run's models read.
    """
    lengths = seqs.lengths()
    user = np.repeat(np.arange(len(seqs), dtype=np.int64), lengths)
    keep = is_liked(seqs.codes)
    if drop_newest and len(seqs):
        keep[seqs.offsets[1:][lengths > 0] - 1] = False
    frame = pd.DataFrame({"user": user[keep], "item": seqs.items[keep], "days": seqs.days[keep]})
    frame["fine"] = fine_of_item[frame["item"].to_numpy()]
    frame["theme"] = theme_of_fine[frame["fine"].to_numpy()]
    gap = frame.groupby("user", sort=False)["days"].diff().to_numpy()
    new_session = ~(gap <= session_gap_days)  # the first row of a user (NaN gap) starts one too
    frame["session"] = pd.Series(new_session.astype(np.int64)).groupby(frame["user"].to_numpy()).cumsum().to_numpy() - 1
    return InterestHistory(frame.reset_index(drop=True), seqs.user_ids, dict(labels), theme_of_fine)


def resolve_period(period: str, days: npt.NDArray[np.float64]) -> str:
    """``week``, ``month`` or ``quarter``; ``auto`` picks weeks for up to two years of data,
    months up to ten years and quarters beyond (so a chart has tens to a hundred points)."""
    if period in PERIODS:
        return period
    if period != "auto":
        raise InvalidArgumentError(f"period {period!r} is not one of auto, {', '.join(PERIODS)}")
    span = float(days.max() - days.min()) if len(days) else 0.0
    return "week" if span <= 2 * 365.25 else "month" if span <= 10 * 365.25 else "quarter"


def period_of(days: npt.NDArray[np.float64], period: str) -> pd.PeriodIndex:
    """The calendar period (UTC) each time falls in."""
    stamps = pd.to_datetime(np.asarray(days, dtype=np.float64) * 86400.0, unit="s")
    return pd.PeriodIndex(stamps.to_period(_PANDAS_PERIOD[period]))
