"""Segments and per-segment fusion policies: rules read and refuse what they should, members
follow the rules, mixes compare by share, and a policy is judged on stored per-user results
(the hand-made run below has known answers), served by recommend, and kept in the database."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from recsys_core.errors import InvalidArgumentError
from recsys_core.population.policies import FusionPolicy, assign, best_weights, cross_fitted_scores, policy_scores
from recsys_core.population.segments import SegmentRules, compare_mixes, members

LABELS = {("fine", 0): "Espresso", ("fine", 1): "Hiking", ("theme", 0): "Everything"}


def _features() -> pd.DataFrame:
    return pd.DataFrame({
        "user_id": ["a", "b", "c", "d"],
        "n_items": [3, 10, 30, 50],
        "idle_days": [1.0, 40.0, 5.0, 90.0],
        "weight": [0.1, 0.5, 0.9, np.nan],
        "long": [frozenset({("fine", 0)}), frozenset(), frozenset({("fine", 1)}), frozenset({("fine", 0)})],
        "short": [frozenset(), frozenset({("fine", 0)}), frozenset(), frozenset({("fine", 1)})],
        "touched": [frozenset({("fine", 0)})] * 4,
    })


def test_rules_pick_the_users_they_describe() -> None:
    f = _features()
    pick = lambda rules, scores=None: list(f["user_id"][members(f, rules, LABELS, scores)])  # noqa: E731
    assert pick(SegmentRules()) == ["a", "b", "c", "d"]
    assert pick(SegmentRules(max_items=10)) == ["a", "b"]
    assert pick(SegmentRules(min_items=10, max_idle_days=40)) == ["b", "c"]
    assert pick(SegmentRules(min_weight=0.4)) == ["b", "c"]  # a user without a weight passes no weight rule
    assert pick(SegmentRules(interests=("espresso",), hold="long")) == ["a", "d"]  # labels match in any case
    assert pick(SegmentRules(interests=("Espresso",), hold="short")) == ["b"]
    assert pick(SegmentRules(interests=("Espresso", "Hiking"))) == ["a", "b", "c", "d"]
    scores = np.array([0.1, 0.9, 0.5, 0.2])
    assert pick(SegmentRules(text="coffee", text_share=0.5), scores) == ["b", "c"]
    with pytest.raises(InvalidArgumentError, match="no interest named 'Knitting'"):
        pick(SegmentRules(interests=("Knitting",)))
    assert SegmentRules(max_items=10, interests=("Hiking",), hold="long").describe() == \
        "items in their history at most 10; holding long-term 'Hiking'"


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"min_items": 5, "max_items": 2}, "min_items (5) is above max_items (2)"),
    ({"max_weight": 1.5}, "weight between 0 and 1"),
    ({"min_idle_days": float("nan")}, "min_idle_days must be a number"),
    ({"hold": "sometimes"}, "hold must be one of"),
    ({"text_share": 0.0}, "text_share"),
])
def test_bad_rules_are_refused_with_a_reason(kwargs: dict[str, object], says: str) -> None:
    with pytest.raises(InvalidArgumentError, match=re.escape(says)):
        SegmentRules(**kwargs)  # type: ignore[arg-type]


def test_rules_survive_json_and_a_typo_is_not_silently_ignored() -> None:
    rules = SegmentRules(max_items=12, interests=("Hiking",), text="coffee", text_share=0.3)
    assert SegmentRules.from_json(rules.to_json()) == rules
    assert json.loads(SegmentRules().to_json()) == {"hold": "any", "interests": [], "text_share": 0.2}
    with pytest.raises(InvalidArgumentError, match="unknown segment rule.*max_itmes"):
        SegmentRules.from_json('{"max_itmes": 3}')


@pytest.mark.parametrize(("text", "says"), [
    ("{bad", "not JSON"), ('{"max_items": "a"}', "max_items must be a whole number"),
    ('{"interests": "Console"}', "interests must be a list of labels"), ('{"min_weight": true}', "must be a number"),
    ('{"hold": 3}', "hold must be a word"), ("[]", "must be a JSON object"),
])
def test_rules_from_json_refuse_values_of_the_wrong_kind(text: str, says: str) -> None:
    with pytest.raises(InvalidArgumentError, match=re.escape(says)):
        SegmentRules.from_json(text)


@pytest.mark.parametrize(("text", "says"), [
    ("[{bad", "not JSON"), ('[{"segment": "a", "alpha": "high"}]', "must be a number or null"),
    ('{"segment": "a"}', "JSON list"),
])
def test_policies_from_json_refuse_what_does_not_read(text: str, says: str) -> None:
    with pytest.raises(InvalidArgumentError, match=re.escape(says)):
        FusionPolicy.from_json(text)


def test_mixes_compare_shares_so_a_busier_segment_is_not_into_everything() -> None:
    # a: 100 users who each touched interest 0 only; b: 100 users who touched 0 and 1
    a = np.zeros((100, 2))
    a[:, 0] = 1
    b = np.ones((100, 2))
    mix = compare_mixes(a, b, {0: "zero", 1: "one"}).set_index("label")
    assert mix.loc["zero", "share_a"] == 1.0 and mix.loc["zero", "share_b"] == 0.5
    assert mix.loc["zero", "difference"] == pytest.approx(0.5) and bool(mix.loc["zero", "clear"])
    assert mix.loc["one", "difference"] == pytest.approx(-0.5)
    same = compare_mixes(b, b.copy(), {0: "zero", 1: "one"})
    assert not same["clear"].any()  # identical segments differ nowhere


def _run() -> pd.DataFrame:
    """A stored run's per-user NDCG@10: light users (u0-u9) do best at 0.0, heavy ones at 1.0."""
    users = [f"u{k}" for k in range(20)]
    light = np.arange(20) < 10
    data = {f"alpha={a:.1f}": np.where(light, 1.0 - a, a) * 0.5 for a in np.linspace(0, 1, 11)}
    data["learned_gate"] = np.full(20, 0.3)
    return pd.DataFrame(data, index=pd.Index(users, name="user_id"))


def test_a_policy_reads_each_users_weight_from_their_segment() -> None:
    wide = _run()
    light = np.arange(20) < 10
    membership = {"light": light, "heavy": ~light}
    policy = FusionPolicy.parse("light=0,heavy=learned")
    alpha, which = assign(policy, membership, 20)
    assert np.all(alpha[:10] == 0.0) and np.isnan(alpha[10:]).all()
    assert list(which[:2]) == ["light", "light"] and which[15] == "heavy"
    scores = policy_scores(wide, alpha)
    assert np.allclose(scores[:10], 0.5) and np.allclose(scores[10:], 0.3)
    # a weight off the grid is read at the nearest grid point
    assert np.allclose(policy_scores(wide, np.full(20, 0.04))[:10], 0.5)
    best = best_weights(wide, ["light", "heavy"], membership, np.ones(20, dtype=bool))
    assert best.rules == (("light", 0.0), ("heavy", 1.0))
    fold = np.arange(20) % 2
    crossed, per_fold = cross_fitted_scores(wide, ["light", "heavy"], membership, fold)
    assert np.allclose(crossed, 0.5) and all(p.rules == best.rules for p in per_fold)


@pytest.mark.parametrize(("text", "says"), [
    ("light=2", "between 0 and 1"), ("light", "not SEGMENT=WEIGHT"), ("light=lots", "a number or learned"),
    ("light=0.1,light=0.2", "appears twice"), ("", "at least one rule"),
])
def test_bad_policies_are_refused(text: str, says: str) -> None:
    with pytest.raises(InvalidArgumentError, match=says):
        FusionPolicy.parse(text)


def test_engine_keeps_segments_and_policies_and_serves_a_policy(built_engine) -> None:
    engine = built_engine
    listed = engine.evaluation_runs()  # other tests add events: a run on older data cannot be read by segment
    if listed.empty or int(listed["data_version"].iloc[0]) != engine.data_version():
        engine.evaluate()
    median = int(engine.user_features()["n_items"].median())
    engine.save_segment("light", SegmentRules(max_items=median))
    engine.save_segment("heavy", SegmentRules(min_items=median + 1))
    try:
        assert list(engine.segments()) == ["light", "heavy"]
        light = engine.segment_members("light")
        heavy = engine.segment_members("heavy")
        assert len(light) and len(heavy) and not set(light["user_id"]) & set(heavy["user_id"])
        assert light["n_items"].max() <= median < heavy["n_items"].min()
        with pytest.raises(InvalidArgumentError, match="no interest named"):
            engine.save_segment("nothing", SegmentRules(interests=("No such interest",)))
        assert "nothing" not in engine.segments()
        mix, n_a, n_b = engine.compare_segments("light", "heavy", "theme")
        assert (n_a, n_b) == (len(light), len(heavy)) and mix["share_a"].sum() == pytest.approx(1.0)
        assert engine.compare_segments("light", "heavy", "theme")[0] is mix  # a page rerun reads it back
        engine.save_segment("light", SegmentRules(max_items=median - 1))  # new rules under the same name
        assert engine.compare_segments("light", "heavy", "theme")[1] < n_a
        engine.save_segment("light", SegmentRules(max_items=median))
        curve = engine.segment_curve("light")
        assert len(curve) == 11 and curve.attrs["n_segment"] > 0
        page = engine.report("segment", segment="light", other="heavy")
        assert "Segment light" in page and "Interests against heavy" in page and "Plotly.newPlot" in page

        engine.save_policy("fixed-light", FusionPolicy.parse("light=0.0,heavy=learned"))
        with pytest.raises(InvalidArgumentError, match="used by the policy 'fixed-light'"):
            engine.delete_segment("light")
        assert "light" in engine.segments() and engine.delete_segment("never-saved") is False
        with pytest.raises(InvalidArgumentError, match="no segment named 'nobody'"):
            engine.save_policy("broken", FusionPolicy.parse("nobody=0.5"))
        result = engine.evaluate_policy("fixed-light")
        assert set(result["versus"]["model"]) == {"learned gate", f"best fixed weight ({result['best_fixed'][6:]})"}
        rules = result["rules"].set_index("rule")
        assert rules.loc["heavy", "policy"] == pytest.approx(rules.loc["heavy", "learned gate"])
        suggestion = engine.suggest_policy(["light", "heavy"])
        assert [s for s, _ in suggestion["policy"].rules] == ["light", "heavy"]

        # serving: a light user gets weight 0 from the policy, a heavy one their learned weight
        u_light, u_heavy = str(light["user_id"].iloc[0]), str(heavy["user_id"].iloc[0])
        assert engine.recommend(u_light, policy="fixed-light").alpha == 0.0
        heavy_list = engine.recommend(u_heavy, policy="fixed-light")
        assert heavy_list.alpha == pytest.approx(heavy_list.learned_alpha)
        many = list(engine.recommend_many([u_light, u_heavy], policy="fixed-light"))
        assert [r.alpha for r in many] == [0.0, pytest.approx(heavy_list.learned_alpha)]
        with pytest.raises(InvalidArgumentError, match="not both"):
            engine.recommend(u_light, alpha=0.5, policy="fixed-light")
        with pytest.raises(InvalidArgumentError, match="no policy named 'nope'"):
            engine.recommend(u_light, policy="nope")
        # a description keeps the closest share of users by their texts
        feats = engine.user_features()
        texty = engine.segment_members(SegmentRules(text="outdoor gear for hiking", text_share=0.25))
        assert abs(len(texty) - 0.25 * len(feats)) <= 2
    finally:
        for name in list(engine.policies()):
            engine.delete_policy(name)
        for name in list(engine.segments()):
            engine.delete_segment(name)


def test_segments_and_policies_on_the_command_line(built_engine, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from recsys_core.cli import main

    monkeypatch.setenv("RECSYS_EMBEDDING_MODEL", "hashing-64")
    listed = built_engine.evaluation_runs()
    if listed.empty or int(listed["data_version"].iloc[0]) != built_engine.data_version():
        built_engine.evaluate()
    median = int(built_engine.user_features()["n_items"].median())
    db = str(built_engine.config.db_path)
    built_engine.close()
    try:
        assert main(["--db", db, "segments", "save", "light", "--max-items", str(median)]) == 0
        assert main(["--db", db, "segments", "save", "heavy", "--rules", json.dumps({"min_items": median + 1})]) == 0
        assert "Saved segment 'heavy'" in capsys.readouterr().out
        assert main(["--db", db, "segments", "save", "typo", "--rules", '{"max_itmes": 3}']) == 1
        assert "unknown segment rule" in capsys.readouterr().err
        assert main(["--db", db, "segments", "list", "--json"]) == 0
        assert set(json.loads(capsys.readouterr().out)) == {"light", "heavy"}
        assert main(["--db", db, "segments", "compare", "light", "heavy", "--level", "theme", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["n_a"] > 0 and out["n_b"] > 0 and out["mix"]
        assert main(["--db", db, "segments", "curve", "light"]) == 0
        assert "learned gate:" in capsys.readouterr().out
        assert main(["--db", db, "policy", "suggest", "light,heavy", "--save", "lh", "--json"]) == 0
        suggested = json.loads(capsys.readouterr().out.split("\nSaved as")[0])
        assert {v["model"] for v in suggested["versus"]} >= {"learned gate"}
        assert main(["--db", db, "policy", "evaluate", "lh"]) == 0
        assert "Policy minus each" in capsys.readouterr().out
        assert main(["--db", db, "policy", "save", "bad", "light=9"]) == 1
        assert "between 0 and 1" in capsys.readouterr().err
        assert main(["--db", db, "recommend", "--all-users", "--policy", "lh", "--n", "2", "--format", "csv"]) == 0
        assert main(["--db", db, "recommend", "--user", "x", "--policy", "lh", "--alpha", "0.5"]) == 1
        assert "not both" in capsys.readouterr().err
        assert main(["--db", db, "segments", "delete", "nosuch"]) == 1
        assert "no segment named 'nosuch': nothing deleted" in capsys.readouterr().err
        assert main(["--db", db, "segments", "delete", "light"]) == 1  # policy lh uses it
        assert "used by the policy 'lh'" in capsys.readouterr().err
    finally:
        built_engine.open()
        for name in list(built_engine.policies()):
            built_engine.delete_policy(name)
        for name in list(built_engine.segments()):
            built_engine.delete_segment(name)
