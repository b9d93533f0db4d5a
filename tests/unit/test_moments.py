"""When a user is looked at ("as of"): parsing, the next-visit estimate, and what it changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from recsys_core.data.frames import data_clock, load_user_events
from recsys_core.errors import InvalidArgumentError
from recsys_core.moments import (
    DATA_END,
    NEXT_VISIT,
    as_of_label,
    parse_as_of,
    resolve,
    resolve_many,
    to_days,
    typical_session_gap,
)


def test_parse_as_of_accepts_the_three_forms_and_refuses_the_rest() -> None:
    assert parse_as_of(None) == parse_as_of("") == parse_as_of("next-visit") == NEXT_VISIT
    assert parse_as_of("data-end") == DATA_END
    assert parse_as_of("2018-06-01") == dt.datetime(2018, 6, 1)
    assert parse_as_of("2018-06-01T12:00:00+02:00") == dt.datetime(2018, 6, 1, 10)
    assert as_of_label(parse_as_of("2018-06-01")) == "2018-06-01"
    for bad in ("yesterday", "2999-01-01", "1900-05-05", "nan"):
        with pytest.raises(InvalidArgumentError):
            parse_as_of(bad)


def test_next_visit_is_the_last_event_plus_the_usual_gap_between_sessions() -> None:
    hour = 1 / 24
    # sessions at day 0, 2 and 6 (the 1-hour steps are within a session): a session's last event
    # to the next one's first is 2 - 1 h, then 4 - 1 h; their median is 3 days - 1 h
    days = np.array([0.0, hour, 2.0, 2.0 + hour, 6.0])
    assert typical_session_gap(days, 0.5) == pytest.approx(3.0 - hour)
    assert resolve(NEXT_VISIT, days, 100.0, 0.5, 9.0) == pytest.approx(9.0 - hour)
    assert resolve(NEXT_VISIT, np.array([1.0, 1.0 + hour]), 100.0, 0.5, 9.0) == pytest.approx(10.0 + hour)  # no break
    assert resolve(DATA_END, days, 100.0, 0.5, 9.0) == 100.0
    assert resolve(dt.datetime(1970, 1, 3), days, 100.0, 0.5, 9.0) == pytest.approx(2.0)


def test_many_histories_resolve_at_once_as_each_one_alone() -> None:
    """The all-users path reads every user's moment in one pass: the same numbers as a plain
    median per user, for empty, unsorted, break-free and many-session histories."""
    rng = np.random.default_rng(5)
    histories = [np.zeros(0), np.array([4.0]), np.array([1.0, 1.01, 1.02]), rng.uniform(0, 50, 9),
                 np.sort(rng.uniform(0, 300, 40)), np.array([3.0, 1.0, 2.0, 9.0])]
    days = np.concatenate(histories)
    offsets = np.concatenate([[0], np.cumsum([len(h) for h in histories])])

    def plain(h: np.ndarray, as_of: object, end: float | None) -> float:
        if as_of == DATA_END:
            return max(float(h.max()), end) if len(h) and end is not None else (float(h.max()) if len(h) else end or 0.0)
        gaps = np.diff(np.sort(h))
        breaks = gaps[gaps > 0.5]
        last = float(h.max()) if len(h) else (end or 0.0)
        return last + (float(np.median(breaks)) if len(breaks) else 9.0)

    for as_of in (NEXT_VISIT, DATA_END):
        for end in (None, 20.0, 400.0):
            many = resolve_many(as_of, days, offsets, end, 0.5, 9.0)
            assert many.tolist() == [plain(h, as_of, end) for h in histories]
            assert many.tolist() == [resolve(as_of, h, end, 0.5, 9.0) for h in histories]
    assert resolve_many(dt.datetime(1970, 1, 3), days, offsets, None, 0.5, 9.0).tolist() == [2.0] * len(histories)


def test_as_of_changes_the_gate_input_and_is_reproducible(built_engine: Any) -> None:
    engine = built_engine
    users = engine.users("", 40)
    user = str(users[users["n_events"] >= 6]["user_id"].iloc[-1])
    events = load_user_events(engine.store, user)
    last = events["occurred_at"].max()
    clock = data_clock(engine.store)

    nxt = engine.user_state(user)
    end = engine.user_state(user, as_of=DATA_END)
    assert nxt.at_days is not None and nxt.at_days > to_days(last)
    assert end.at_days == pytest.approx(to_days(clock))
    assert end.hours_since_last == pytest.approx((to_days(clock) - to_days(last)) * 24, rel=1e-3)
    assert nxt.hours_since_last != pytest.approx(end.hours_since_last)
    # a fresh engine state (cache cleared) gives the same numbers: reproducible, not cached luck
    engine._states.clear()
    again = engine.user_state(user)
    assert again.gate == nxt.gate and np.array_equal(again.u_long, nxt.u_long)

    # a date in the middle of the history reads the history as it stood then
    middle = events.sort_values("occurred_at")["occurred_at"].iloc[len(events) // 2]
    then = engine.user_state(user, as_of=middle.to_pydatetime())
    assert 0 < len(then.history) < len(nxt.history)
    recs = engine.recommend(user, as_of=middle.to_pydatetime())
    assert recs.as_of == middle.to_pydatetime() and recs.extra["at_days"] == pytest.approx(to_days(middle))
    timeline = engine.user_timeline(user, as_of=middle.to_pydatetime())
    assert timeline["occurred_at"].max() <= middle
