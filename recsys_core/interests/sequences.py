"""User histories as time-ordered sequences of distinct items, and the batches the model reads.

A history keeps each item once, at its first event, with the strongest event type seen for
it (view < click < rating < purchase < low rating). Ratings have a sign: a *low* rating
(:func:`low_ratings`) gets its own code, so the model learns by itself how much such an item
says about what comes next, and nothing downstream ever calls it liked (:func:`is_liked`). Batches are right-aligned: the newest item sits in the
last column, so the short-term branch reads the last ``short_window`` columns.
Pure NumPy/pandas; no torch here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

EVENT_TYPE_CODES = {"view": 1, "click": 2, "rating": 3, "purchase": 4}
OTHER_EVENT_CODE = 5
LOW_RATING_CODE = 6  # a rating low on its scale or on the user's own: wins over every other code
N_EVENT_CODES = 7  # 0 = padding

LOW_SHARE_OF_SCALE = 0.4  # at most 40% of the scale's top is low (2 of 5 stars, 4 of 10)
LOW_BELOW_OWN_MEAN_SD = 1.5  # or this many of the user's own SDs below their mean rating
MIN_RATINGS_FOR_OWN_SCALE = 5  # users with fewer ratings are judged on the scale alone
_SCALE_TOPS = (1.0, 5.0, 10.0, 100.0)

_SECONDS_PER_DAY = 86400.0


def event_code(event_type: str) -> int:
    return EVENT_TYPE_CODES.get(event_type, OTHER_EVENT_CODE)


@dataclass(frozen=True, slots=True)
class Sequences:
    """All users' histories in one flat layout (CSR style).

    ``items[offsets[u]:offsets[u+1]]`` is user ``u``'s history, oldest first; ``days`` are
    event times in days since the Unix epoch (UTC); ``codes`` are event type codes.
    """

    user_ids: list[str]
    offsets: npt.NDArray[np.int64]
    items: npt.NDArray[np.int64]
    days: npt.NDArray[np.float64]
    codes: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.user_ids)

    def lengths(self) -> npt.NDArray[np.int64]:
        return np.diff(self.offsets)

    def user(self, u: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        a, b = self.offsets[u], self.offsets[u + 1]
        return self.items[a:b], self.days[a:b], self.codes[a:b]

    def index_of(self) -> dict[str, int]:
        return {uid: i for i, uid in enumerate(self.user_ids)}

    def item_counts(self, n_items: int) -> npt.NDArray[np.int64]:
        """Events per item over every history (an item's popularity), ``n_items`` long."""
        return np.bincount(self.items, minlength=n_items)


def rating_scale_top(values: npt.ArrayLike) -> float:
    """The top of the rating scale values come from: the smallest of 1, 5, 10, 100 holding them
    all (MovieLens' 0.5-5 stars -> 5), else their maximum. Fixed scales, so one user's ratings
    are judged like the whole catalogue's."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if len(arr) == 0:
        return 5.0
    top = float(arr.max())
    return next((s for s in _SCALE_TOPS if top <= s), top)


def low_ratings(events: pd.DataFrame, scale_top: float | None = None) -> npt.NDArray[np.bool_]:
    """Which events are low ratings: ``rating`` events whose value is at most
    :data:`LOW_SHARE_OF_SCALE` of the scale's top, or (for users with at least
    :data:`MIN_RATINGS_FOR_OWN_SCALE` ratings) at least :data:`LOW_BELOW_OWN_MEAN_SD` of their
    own standard deviations below their own mean, so a generous rater's 3 of 5 counts as low
    too. Events without a value (views, purchases, live events) are never low. ``scale_top``:
    the catalogue's scale (:func:`rating_scale_top` of all its ratings); without it the scale is
    read from ``events``, which is right for a whole catalogue's events but not for one user's
    (a user whose only ratings are 1 star would be on a 1-point scale where 1 is the top)."""
    if "value" not in events or events.empty:
        return np.zeros(len(events), dtype=bool)
    value = pd.to_numeric(events["value"], errors="coerce").to_numpy(np.float64)
    rated = (events["event_type"].astype(str).str.lower() == "rating").to_numpy() & np.isfinite(value)
    return low_rating_mask(events["user_id"].astype(str).to_numpy(), rated, value, scale_top)


def low_rating_mask(
    users: npt.NDArray[Any], rated: npt.NDArray[np.bool_], value: npt.NDArray[np.float64], scale_top: float | None,
) -> npt.NDArray[np.bool_]:
    """The rule of :func:`low_ratings` on arrays: ``users`` any hashable keys (ids or rows),
    ``rated`` which events are ratings with a finite ``value``."""
    if not rated.any():
        return np.zeros(len(rated), dtype=bool)
    top = rating_scale_top(value[rated]) if scale_top is None else scale_top
    low = rated & (value <= LOW_SHARE_OF_SCALE * top + 1e-9)
    frame = pd.DataFrame({"user": users[rated], "v": value[rated]})
    stats = frame.groupby("user")["v"].agg(["mean", "std", "count"])
    per = stats.reindex(frame["user"])
    own = ((per["count"].to_numpy() >= MIN_RATINGS_FOR_OWN_SCALE) & (per["std"].fillna(0).to_numpy() > 0)
           & (frame["v"].to_numpy() <= per["mean"].to_numpy() - LOW_BELOW_OWN_MEAN_SD * per["std"].fillna(0).to_numpy()))
    low[np.flatnonzero(rated)[own]] = True
    return low


def is_liked(codes: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Which history entries may be called liked: all but low ratings (and padding)."""
    c = np.asarray(codes)
    return (c != LOW_RATING_CODE) & (c != 0)


def build_sequences(events: pd.DataFrame, item_index: dict[str, int], scale_top: float | None = None) -> Sequences:
    """Turn raw events into per-user distinct-item sequences.

    Args:
        events: Columns user_id, item_id, occurred_at (UTC), event_type, and value where
            ratings have one (:func:`low_ratings`). Events on items missing from
            ``item_index`` are ignored.
        item_index: item id -> row of the item matrix.
        scale_top: The catalogue's rating scale (see :func:`low_ratings`); pass it whenever
            ``events`` are not the whole catalogue's.
    """
    if events.empty:
        return Sequences([], np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    frame = events[["user_id", "item_id", "occurred_at", "event_type"]].copy()
    frame["low"] = low_ratings(events, scale_top)
    # one hash lookup per distinct id and type, not one dictionary call per event
    ids = pd.Index(frame["item_id"].astype(str)).unique()
    rows = pd.Series([item_index.get(i, -1) for i in ids], index=ids, dtype=np.int64)
    frame["item"] = rows.reindex(frame["item_id"].astype(str)).to_numpy()
    frame = frame[frame["item"].to_numpy() >= 0]
    ts = pd.to_datetime(frame["occurred_at"], utc=True)
    frame["days"] = (ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds() / _SECONDS_PER_DAY
    kinds = pd.Index(frame["event_type"]).unique()
    codes = pd.Series([event_code(k) for k in kinds], index=kinds, dtype=np.int64)
    frame["code"] = np.where(frame["low"], LOW_RATING_CODE, codes.reindex(frame["event_type"]).to_numpy()).astype(np.int64)
    grouped = frame.groupby(["user_id", "item"], sort=False).agg(days=("days", "min"), code=("code", "max"))
    grouped = grouped.reset_index().sort_values(["user_id", "days", "item"], kind="stable")
    users, starts = np.unique(grouped["user_id"].to_numpy(), return_index=True)
    offsets = np.append(starts, len(grouped)).astype(np.int64)
    return Sequences(
        user_ids=[str(u) for u in users],
        offsets=offsets,
        items=grouped["item"].to_numpy(np.int64),
        days=grouped["days"].to_numpy(np.float64),
        codes=grouped["code"].to_numpy(np.int64),
    )


@dataclass(frozen=True, slots=True)
class HeldOut:
    """Targets held out of a sequence set: row ``u`` of ``users`` predicts ``items[u]`` at ``days[u]``."""

    users: npt.NDArray[np.int64]
    items: npt.NDArray[np.int64]
    days: npt.NDArray[np.float64]


def drop_last(seqs: Sequences, min_length: int = 3) -> tuple[Sequences, HeldOut]:
    """Remove each user's newest item (users with at least ``min_length`` items)."""
    lengths = seqs.lengths()
    keep = np.ones(len(seqs.items), dtype=bool)
    eligible = np.flatnonzero(lengths >= min_length)
    last = seqs.offsets[eligible + 1] - 1
    keep[last] = False
    new_lengths = lengths.copy()
    new_lengths[eligible] -= 1
    offsets = np.concatenate([[0], np.cumsum(new_lengths)]).astype(np.int64)
    trimmed = Sequences(seqs.user_ids, offsets, seqs.items[keep], seqs.days[keep], seqs.codes[keep])
    return trimmed, HeldOut(eligible.astype(np.int64), seqs.items[last], seqs.days[last])


@dataclass(frozen=True, slots=True)
class HistoryBatch:
    """Right-aligned histories for ``B`` predictions, width ``L``.

    items/codes are 0 where ``mask`` is False; ``age_days`` is the time from each event to
    the prediction time; ``features`` are the gate's scalar inputs (B, 3): log1p hours since
    the last event, log1p session length, log1p history length.
    """

    items: npt.NDArray[np.int64]
    codes: npt.NDArray[np.int64]
    age_days: npt.NDArray[np.float32]
    mask: npt.NDArray[np.bool_]
    features: npt.NDArray[np.float32]


def make_batch(
    seqs: Sequences,
    users: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    at_days: npt.NDArray[np.float64],
    width: int,
    session_gap_days: float,
) -> HistoryBatch:
    """Histories of ``users`` made of their first ``ends[b]`` items, seen at time ``at_days[b]``."""
    # one gather for the whole batch (no loop over users): slot j of row b holds the item at
    # position end_b - width + j of the user's sequence, when that position is the user's
    users = np.asarray(users, np.int64)
    at = np.asarray(at_days, np.float64)
    if len(seqs.items) == 0:  # nothing to gather: every slot is padding
        shape = (len(users), width)
        return HistoryBatch(np.zeros(shape, np.int64), np.zeros(shape, np.int64), np.zeros(shape, np.float32),
                            np.zeros(shape, bool), np.zeros((len(users), 3), np.float32))
    first = seqs.offsets[users]
    end = first + np.asarray(ends, np.int64)
    n = np.clip(end - first, 0, width)
    index = end[:, None] - width + np.arange(width)[None, :]
    mask = np.arange(width)[None, :] >= (width - n)[:, None]
    safe = np.where(mask, index, 0)
    items = np.where(mask, seqs.items[safe], 0)
    codes = np.where(mask, seqs.codes[safe], 0)
    days = seqs.days[safe]
    age = np.where(mask, np.maximum(at[:, None] - days, 0.0), 0.0).astype(np.float32)
    # the session in progress: slots after the last gap longer than ``session_gap_days``
    breaks = mask[:, 1:] & mask[:, :-1] & (np.diff(days, axis=1) > session_gap_days)
    last_break = np.full(len(users), -1)
    if width > 1:
        last_break = np.where(breaks.any(axis=1), width - 2 - np.argmax(breaks[:, ::-1], axis=1), -1)
    session = np.where(last_break >= 0, width - 1 - last_break, n)
    newest = days[:, -1]
    feats = np.stack([np.log1p(np.maximum(at - newest, 0.0) * 24.0), np.log1p(session),
                      np.log1p(end - first)], axis=1).astype(np.float32)
    feats[n <= 0] = 0.0
    return HistoryBatch(items, codes, age, mask, feats)
