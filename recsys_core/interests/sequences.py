"""User histories as time-ordered sequences of distinct items, and the batches the model reads.

A history keeps each item once, at its first event, with the strongest event type seen for
it (view < click < rating < purchase). Batches are right-aligned: the newest item sits in the
last column, so the short-term branch reads the last ``short_window`` columns.
Pure NumPy/pandas; no torch here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

EVENT_TYPE_CODES = {"view": 1, "click": 2, "rating": 3, "purchase": 4}
OTHER_EVENT_CODE = 5
N_EVENT_CODES = 6  # 0 = padding

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


def build_sequences(events: pd.DataFrame, item_index: dict[str, int]) -> Sequences:
    """Turn raw events into per-user distinct-item sequences.

    Args:
        events: Columns user_id, item_id, occurred_at (UTC), event_type. Events on items
            missing from ``item_index`` are ignored.
        item_index: item id -> row of the item matrix.
    """
    if events.empty:
        return Sequences([], np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    frame = events[["user_id", "item_id", "occurred_at", "event_type"]].copy()
    frame["item"] = frame["item_id"].map(item_index)
    frame = frame.dropna(subset=["item"])
    frame["item"] = frame["item"].astype(np.int64)
    ts = pd.to_datetime(frame["occurred_at"], utc=True)
    frame["days"] = (ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds() / _SECONDS_PER_DAY
    frame["code"] = frame["event_type"].map(event_code).astype(np.int64)
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
    b_size = len(users)
    items = np.zeros((b_size, width), np.int64)
    codes = np.zeros((b_size, width), np.int64)
    age = np.zeros((b_size, width), np.float32)
    mask = np.zeros((b_size, width), bool)
    feats = np.zeros((b_size, 3), np.float32)
    for b in range(b_size):
        a = seqs.offsets[users[b]]
        end = a + int(ends[b])
        start = max(a, end - width)
        n = end - start
        if n <= 0:
            continue
        items[b, width - n:] = seqs.items[start:end]
        codes[b, width - n:] = seqs.codes[start:end]
        d = seqs.days[start:end]
        age[b, width - n:] = np.maximum(at_days[b] - d, 0.0)
        mask[b, width - n:] = True
        gaps = np.diff(d)
        breaks = np.flatnonzero(gaps > session_gap_days)
        session = n - (breaks[-1] + 1) if len(breaks) else n
        feats[b] = (np.log1p(max(at_days[b] - d[-1], 0.0) * 24.0), np.log1p(session), np.log1p(end - a))
    return HistoryBatch(items, codes, age, mask, feats)
