"""Trends and adoption across the population: on hand-made histories whose answer is known, on
the shipped sample against its planted truth (read with the planted labels, so the check is
about the rules, not the build's clustering), and through the engine and the command line."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_core.config import PopulationConfig
from recsys_core.errors import InvalidArgumentError
from recsys_core.interests.sequences import build_sequences
from recsys_core.population.adoption import detect_adoptions
from recsys_core.population.history import interest_history, resolve_period
from recsys_core.population.trends import change_line, interest_movers, interest_trends

N_PER = 60  # items per hand-made interest
DAY = pd.Timestamp("2026-01-05", tz="UTC")
CONFIG = PopulationConfig()


def _history(sessions: dict[str, list[tuple[float, int, int]]], n_interests: int = 4):
    """Users' sessions as (day, interest, n items): each session's items are new ones of that
    interest, a few minutes apart; sessions on different days."""
    rows, next_item = [], dict.fromkeys(range(n_interests), 0)
    for user, plan in sessions.items():
        for day, interest, n in plan:
            for k in range(n):
                item = interest * N_PER + next_item[interest] % N_PER
                next_item[interest] += 1
                at = DAY + pd.Timedelta(days=day) + pd.Timedelta(minutes=3 * k)
                rows.append((user, f"i{item}", at, "view", np.nan))
    events = pd.DataFrame(rows, columns=["user_id", "item_id", "occurred_at", "event_type", "value"])
    index = {f"i{k}": k for k in range(n_interests * N_PER)}
    fine = np.repeat(np.arange(n_interests), N_PER)
    labels = {("fine", k): f"interest {k}" for k in range(n_interests)} | {("theme", 0): "all"}
    return interest_history(build_sequences(events, index), fine, np.zeros(n_interests, np.int64), labels, 30 / 1440)


def _sessions(*plan: tuple[int, int], start: float = 0.0, every: float = 3.0, n: int = 3) -> list[tuple[float, int, int]]:
    """Sessions every ``every`` days on the given interests, ``n`` items each (plan: interest, count)."""
    out, day = [], start
    for interest, count in plan:
        for _ in range(count):
            out.append((day, interest, n))
            day += every
    return out


def test_a_burst_that_comes_back_is_an_adoption_and_a_passing_one_is_not() -> None:
    hist = _history({
        "adopter": _sessions((0, 3), (1, 2), (0, 1), (1, 1), (0, 1)),  # burst on 1, back after a break
        "passer": _sessions((0, 3), (2, 2), (0, 3)),  # burst on 2, never again
        "old_taste": _sessions((0, 1), (1, 1), (0, 1), (1, 2), (0, 1), (1, 1)),  # 1 was there from the start
        "too_early": _sessions((0, 1), (3, 2), (0, 1), (3, 1)),  # one session before: not enough to call it new
        "trace": _sessions((0, 3), (2, 2), (0, 6), (2, 1)),  # comes back once among many: below adopt_share
    })
    found = detect_adoptions(hist, "fine", CONFIG)
    assert list(zip(found["user_id"], found["node"], strict=True)) == [("adopter", 1)]
    row = found.iloc[0]
    assert row["burst_at"] == pd.Timestamp("2026-01-14")  # its 4th session: day 9
    assert row["confirmed_at"] == pd.Timestamp("2026-01-23")  # back on day 18 after one session elsewhere
    assert row["burst_sessions"] == 2 and row["return_sessions"] == 1
    assert row["share_before"] == 0.0 and row["share_after"] == pytest.approx(1 / 3)
    # the trace user adopts once a lower share is enough: the threshold is what decides
    lenient = detect_adoptions(hist, "fine", replace(CONFIG, adopt_share=0.1))
    assert ("trace", 2) in set(zip(lenient["user_id"], lenient["node"], strict=True))
    only = detect_adoptions(hist, "fine", CONFIG, user_ids=["passer"])
    assert only.empty


def _population() -> dict[str, list[tuple[float, int, int]]]:
    """60 users over 100 days: before day 50 everyone is on interests 0 and 1; after it 40 of
    them move from 1 to 2 (short bursts first, then for good); one heavy user piles items on 3
    in the recent part after a single one before."""
    users: dict[str, list[tuple[float, int, int]]] = {}
    for u in range(60):
        before = [(2.0 + 8 * k + u % 5, k % 2, 3) for k in range(5)]
        after_interest = 2 if u < 40 else 1
        recent = [(54.0 + 8 * k + u % 5, after_interest if k % 2 else 0, 3) for k in range(5)]
        users[f"u{u:02d}"] = before + recent
    users["heavy"] = [(1.0, 0, 3), (3.0, 3, 1), (60.0, 0, 3)] + [(62.0 + k, 3, 8) for k in range(6)] + [(99.0, 0, 2)]
    return users


def test_a_shift_across_many_users_rises_and_one_heavy_user_does_not_move_an_interest() -> None:
    hist = _history(_population())
    report = interest_trends(hist, "fine", CONFIG, short_window=3, max_history=20)
    status = dict(zip(report.changes["node"], report.changes["status"], strict=True))
    assert status[2] == "new" and status[1] == "falling"  # nobody touched 2 before: new, not "rising" on nothing
    assert status[3] == "steady"  # 48 items from one user: their one pair counts once in each part
    row = report.changes.set_index("node").loc[2]
    assert row["users_before"] == 0 and row["users_recent"] == 40 and bool(row["new"])
    assert row["change_low"] > 0 and row["change_low"] <= row["change"] <= row["change_high"]
    assert report.new()["node"].tolist() == [2] and 2 not in report.rising()["node"].tolist()
    assert report.falling()["node"].tolist()[0] == 1
    assert report.active_before == 61 and report.active_recent == 61
    # the per-period series: users and holders of interest 2 appear only after the split
    s2 = report.series[report.series["node"] == 2]
    early = s2["period_start"] < pd.Timestamp(DAY.tz_localize(None) + pd.Timedelta(days=50))
    assert s2.loc[early, ["touches", "users", "short_holders", "long_holders"]].to_numpy().sum() == 0
    assert s2.loc[~early, "short_holders"].sum() > 0 and s2.loc[~early, "users"].max() <= 40
    shares = report.series.groupby("period")["touch_share"].sum()
    assert np.allclose(shares[shares > 0], 1.0)


def test_an_interest_nobody_touched_before_is_new_not_rising_and_the_order_says_so() -> None:
    """A share against nothing is no ratio: an interest new in the recent part (new releases)
    is listed as new, while one that a few users held before and many hold now is rising."""
    users: dict[str, list[tuple[float, int, int]]] = {}
    for u in range(60):
        before = [(2.0 + 8 * k + u % 5, 0, 3) for k in range(5)] + ([(45.0, 1, 2)] if u < 6 else [])
        recent = [(54.0 + 8 * k + u % 5, 0, 3) for k in range(5)]
        recent += [(57.0 + u % 5, 1, 3)] if u < 40 else [(57.0 + u % 5, 2, 3)] if u < 50 else []
        users[f"u{u:02d}"] = before + recent
    report = interest_trends(_history(users), "fine", CONFIG, short_window=3, max_history=20)
    status = dict(zip(report.changes["node"], report.changes["status"], strict=True))
    assert status[1] == "rising" and status[2] == "new" and status[0] == "falling"
    assert report.rising()["node"].tolist() == [1] and report.new()["node"].tolist() == [2]
    assert report.changes["status"].tolist() == ["rising", "new", "falling"]  # rising, new, steady, falling
    assert not bool(report.changes.set_index("node").loc[1, "new"])
    assert report.new_line() == "interest 2 (10 users)"
    assert report.new_line(quote=str.upper) == "INTEREST 2 (10 users)"


def test_movers_are_the_users_who_took_an_interest_up_or_let_it_go() -> None:
    hist = _history(_population())
    report = interest_trends(hist, "fine", CONFIG, short_window=3, max_history=20)
    joined = interest_movers(hist, "fine", 2, report.split_at, CONFIG, 3, 20)
    assert set(joined["move"]) == {"joined"} and len(joined) == 40
    assert joined["touches_before"].eq(0).all() and joined["touches_recent"].gt(0).all()
    left = interest_movers(hist, "fine", 1, report.split_at, CONFIG, 3, 20)
    assert set(left.loc[left["move"] == "left", "user_id"]) <= {f"u{u:02d}" for u in range(40)}
    assert (left["move"] == "left").sum() > 0


def test_periods_follow_the_span_of_the_data_and_bad_names_are_refused() -> None:
    days = np.array([0.0, 300.0])
    assert resolve_period("auto", days) == "week"
    assert resolve_period("auto", np.array([0.0, 5 * 365.0])) == "month"
    assert resolve_period("auto", np.array([0.0, 20 * 365.0])) == "quarter"
    assert resolve_period("month", days) == "month"
    with pytest.raises(InvalidArgumentError, match="period 'fortnight'"):
        resolve_period("fortnight", days)
    with pytest.raises(InvalidArgumentError, match="level"):
        interest_trends(_history(_population()), "genre", CONFIG, 3, 20)


def test_an_interest_change_reads_as_one_sentence() -> None:
    row = pd.Series({"users_before": 1, "users_recent": 91, "change": 2.0, "change_low": 1.0, "change_high": 3.0,
                     "short_change": 0.0, "long_change": -1.0, "emerging": True, "new": False})
    assert change_line(row) == ("1 user before, 91 recent; share x4.00 (interval x2.00 to x8.00); short-term holders "
                                "x1.00, long-term holders x0.50; emerging.")
    new = row.copy()
    new[["users_before", "new", "change"]] = [0, True, float("nan")]
    assert change_line(new).startswith("0 users before, 91 recent; new in the recent part") and "nan" not in change_line(new)


def _planted(sample_dir: Path):
    """The sample's histories labelled with the planted interests (what a perfect build would find)."""
    items = pd.read_csv(sample_dir / "truth" / "items.csv", dtype=str)
    events = pd.read_csv(sample_dir / "interactions.csv", dtype={"user_id": str, "item_id": str})
    events = events.rename(columns={"timestamp": "occurred_at", "rating": "value"})
    keys = sorted(items["fine_interest"].unique())
    index = {k: i for i, k in enumerate(keys)}
    fine = items["fine_interest"].map(index).to_numpy(np.int64)
    labels = {("fine", i): k for i, k in enumerate(keys)}
    return interest_history(build_sequences(events, dict(zip(items["item_id"], range(len(items)), strict=True))), fine,
                            np.zeros(len(keys), np.int64), labels, 30 / 1440)


def test_on_the_sample_with_planted_labels_the_rules_find_what_was_planted(sample_dir: Path) -> None:
    """The rules themselves (not the build's clustering) recover the planted adoptions and
    trends; bench/population.py measures the engine end to end."""
    hist = _planted(sample_dir)
    users = pd.read_csv(sample_dir / "truth" / "users.csv", dtype=str, keep_default_na=False)
    truth = set(zip(users.loc[users["adopted"] != "", "user_id"], users.loc[users["adopted"] != "", "adopted"],
                    strict=True))
    found = detect_adoptions(hist, "fine", CONFIG)
    detected = set(zip(found["user_id"], found["label"], strict=True))
    assert len(detected & truth) / len(detected) >= 0.6  # precision
    assert len(detected & truth) / len(truth) >= 0.75  # recall
    trends = pd.read_csv(sample_dir / "truth" / "trends.csv", dtype=str)
    report = interest_trends(hist, "fine", CONFIG, short_window=5, max_history=100)
    rising = set(report.rising()["label"])
    planted_rising = set(trends.loc[trends["trend"] == "rising", "fine_interest"])
    assert len(rising & planted_rising) >= 4, (rising, planted_rising)
    assert not set(report.falling()["label"]) & planted_rising


def test_engine_and_command_line_serve_trends_and_adoptions(
    built_engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from recsys_core.cli import main

    monkeypatch.setenv("RECSYS_EMBEDDING_MODEL", "hashing-64")

    report = built_engine.interest_trends("theme")
    assert report.level == "theme" and len(report.changes) > 0
    assert built_engine.interest_trends("theme") is report  # cached while the build and the data stay
    assert built_engine.interest_trends("theme", recent_share=0.3) is not report
    with pytest.raises(InvalidArgumentError, match="recent share"):
        built_engine.interest_trends("fine", recent_share=1.5)
    with pytest.raises(InvalidArgumentError, match="no fine interest 9999"):
        built_engine.interest_movers("fine", 9999)
    found = built_engine.adoptions()
    assert list(found.columns[:3]) == ["user_id", "node", "label"]
    if len(found):
        user = str(found["user_id"].iloc[0])
        assert set(built_engine.adoptions(user_id=user)["user_id"]) == {user}

    db = str(built_engine.config.db_path)
    built_engine.close()
    try:
        assert main(["--db", db, "trends", "--level", "theme", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["level"] == "theme" and len(out["changes"]) == len(report.changes) and out["series"]
        assert main(["--db", db, "trends", "--top", "3", "--movers", "0"]) == 0
        text = capsys.readouterr().out
        assert "Rising" in text and "Falling" in text and "joined or left fine interest 0" in text
        assert main(["--db", db, "adoptions", "--json"]) == 0
        assert len(json.loads(capsys.readouterr().out)) == len(found)
        assert main(["--db", db, "trends", "--top", "0"]) == 1
        assert "--top must be at least 1" in capsys.readouterr().err
    finally:
        built_engine.open()
