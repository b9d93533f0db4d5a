"""The moment a user is looked at ("as of"): their next visit, the end of the data, or a date.

A user's state depends on when it is read: the long-term branch decays with the age of each
event and the gate reads the time since the last one. On historical data the store's newest
event is weeks after most users' last visit, so reading everyone "now" makes nearly all of them
look idle. The default is instead the moment we would next show them recommendations: their
next visit, estimated as the last event plus their typical gap between sessions. A date reads
the history as it stood then (later events are not seen).

Times are days since the Unix epoch (UTC), as in :mod:`recsys_core.interests.sequences`.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.errors import InvalidArgumentError

NEXT_VISIT = "next-visit"
DATA_END = "data-end"
AsOf = str | dt.datetime  # NEXT_VISIT, DATA_END or a naive UTC moment

_EARLIEST = dt.datetime(1970, 1, 1)
_LATEST = dt.datetime(2200, 1, 1)
_EPOCH = pd.Timestamp(0)


def to_days(when: dt.datetime | pd.Timestamp) -> float:
    """UTC time as days since the Unix epoch (naive times are taken as UTC)."""
    ts = pd.Timestamp(when)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return (ts - _EPOCH).total_seconds() / 86400.0


def from_days(days: float) -> dt.datetime:
    """Days since the Unix epoch as a naive UTC time (to the microsecond)."""
    return _EARLIEST + dt.timedelta(days=float(days))


def parse_as_of(text: str | dt.datetime | None) -> AsOf:
    """``next-visit`` (default), ``data-end``, or an ISO-8601 date or time (UTC when no zone).

    Raises:
        InvalidArgumentError: Anything else, or a time outside 1970-2200.
    """
    if text is None or isinstance(text, str) and text.strip().lower() in ("", NEXT_VISIT, "next"):
        return NEXT_VISIT
    if isinstance(text, str) and text.strip().lower() in (DATA_END, "end"):
        return DATA_END
    if isinstance(text, dt.datetime):
        when = text
    else:
        try:
            when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidArgumentError(
                f"as-of {text!r} is not a moment: use next-visit, data-end, or a date such as 2018-06-01") from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    if not _EARLIEST <= when < _LATEST:
        raise InvalidArgumentError(f"as-of {when.isoformat()} is outside 1970-2200")
    return when


def as_of_label(as_of: AsOf) -> str:
    """How an as-of choice is written in a URL, a CSV or a caption."""
    if isinstance(as_of, dt.datetime):
        return as_of.isoformat(sep=" ", timespec="minutes") if as_of.time() != dt.time() else as_of.date().isoformat()
    return as_of


AS_OF_WORDS = {NEXT_VISIT: "their next visit", DATA_END: "the end of the data"}


def as_of_words(as_of: AsOf) -> str:
    """An as-of choice as a reader of a page or a report says it ("their next visit", a date)."""
    return AS_OF_WORDS.get(as_of, as_of) if isinstance(as_of, str) else as_of_label(as_of)


def typical_session_gap(days: npt.NDArray[np.float64], session_gap_days: float) -> float | None:
    """The median gap between one session's last event and the next session's first (days),
    or None when the history has no session break."""
    gap = float(typical_session_gaps(np.asarray(days, np.float64), np.array([0, len(days)]), session_gap_days)[0])
    return None if math.isnan(gap) else gap


def typical_session_gaps(days: npt.NDArray[np.float64], offsets: npt.NDArray[np.int64],
                         session_gap_days: float) -> npt.NDArray[np.float64]:
    """:func:`typical_session_gap` of every history ``days[offsets[u]:offsets[u + 1]]`` at once
    (NaN where a history has no session break): one sort for all users instead of a median each."""
    offsets = np.asarray(offsets, np.int64)
    n_users = len(offsets) - 1
    user = np.repeat(np.arange(n_users), np.diff(offsets))
    ordered = days[offsets[0]:offsets[-1]][np.lexsort((days[offsets[0]:offsets[-1]], user))]
    gaps = np.diff(ordered)
    breaks = (user[1:] == user[:-1]) & (gaps > session_gap_days)
    gap, owner = gaps[breaks], user[1:][breaks]
    by_user = np.lexsort((gap, owner))
    gap, owner = gap[by_user], owner[by_user]
    counts = np.bincount(owner, minlength=n_users)
    first = np.cumsum(counts) - counts
    out = np.full(n_users, np.nan)
    has = counts > 0
    low, high = first[has] + (counts[has] - 1) // 2, first[has] + counts[has] // 2
    out[has] = (gap[low] + gap[high]) / 2  # np.median's middle value, or the mean of the middle two
    return out


def resolve(as_of: AsOf, days: npt.NDArray[np.float64], data_end: float | None, session_gap_days: float,
            default_gap_days: float) -> float:
    """The moment (days) a user with event times ``days`` is read at.

    ``next-visit``: their last event plus their typical gap between sessions (``default_gap_days``
    when they have no session break yet); ``data-end``: the newest event in the store (never
    before their own last event); a date: that moment.
    """
    days = np.asarray(days, np.float64)
    return float(resolve_many(as_of, days, np.array([0, len(days)]), data_end, session_gap_days, default_gap_days)[0])


def resolve_many(as_of: AsOf, days: npt.NDArray[np.float64], offsets: npt.NDArray[np.int64], data_end: float | None,
                 session_gap_days: float, default_gap_days: float) -> npt.NDArray[np.float64]:
    """:func:`resolve` of every history ``days[offsets[u]:offsets[u + 1]]`` at once."""
    offsets = np.asarray(offsets, np.int64)
    lengths = np.diff(offsets)
    if isinstance(as_of, dt.datetime):
        return np.full(len(lengths), to_days(as_of))
    if as_of not in (DATA_END, NEXT_VISIT):
        raise InvalidArgumentError(f"unknown as-of {as_of!r}")
    last = np.full(len(lengths), -np.inf)
    np.maximum.at(last, np.repeat(np.arange(len(lengths)), lengths), days[offsets[0]:offsets[-1]])
    last[lengths == 0] = data_end if data_end is not None else 0.0
    if as_of == DATA_END:
        return last if data_end is None else np.maximum(last, data_end)
    gap = typical_session_gaps(days, offsets, session_gap_days)
    gap = np.where(np.isfinite(gap), gap, default_gap_days)
    return last + np.maximum(gap, 0.0)
