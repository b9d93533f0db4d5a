"""The engine's answers for the dashboard: map positions, user profiles, list comparisons,
selections and presets."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from recsys_core.compare import diff_lists
from recsys_core.errors import InvalidArgumentError
from recsys_core.maps import place_points, project_umap

Engine = Any


def _user(engine: Engine) -> str:
    with engine.store.cursor() as cur:
        return str(cur.execute("SELECT user_id FROM interactions GROUP BY ALL HAVING count(*) >= 8 "
                               "ORDER BY user_id LIMIT 1").fetchall()[0][0])


def test_diff_lists_names_new_dropped_and_moved_items() -> None:
    d = diff_lists(["a", "b", "c", "d"], ["b", "a", "e", "d"])
    assert d.new == ("e",) and d.dropped == ("c",) and d.moves == {"b": (2, 1), "a": (1, 2)}
    assert diff_lists(["a"], ["a"]).is_empty


def test_a_point_lands_inside_the_cluster_of_its_best_neighbour() -> None:
    vecs = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    coords = np.array([[0, 0], [1, 0], [10, 10], [11, 10]], np.float32)
    groups = np.array([0, 0, 1, 1])
    query = np.array([[0.75, 0.66]], np.float32)  # nearer to cluster 0, not far from cluster 1
    free = place_points(query, vecs, coords, k=4)
    kept = place_points(query, vecs, coords, groups, k=4)
    assert 2 < free[0, 0] < 9  # a plain weighted mean falls between the clusters
    assert kept[0, 0] <= 1 and kept[0, 1] == 0  # with groups it stays in cluster 0


def test_a_map_larger_than_umaps_fit_keeps_every_cluster_together() -> None:
    """Above ``fit_max`` points UMAP is fitted on a sample and the rest are placed among their
    neighbours: every point, fitted or placed, sits among its own cluster on the map."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(12, 32)).astype(np.float32)
    labels = np.repeat(np.arange(12), 60)
    vecs = centres[labels] + 0.35 * rng.normal(size=(len(labels), 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    coords = project_umap(vecs, seed=5, groups=labels, fit_max=240)
    assert coords.shape == (720, 2) and np.isfinite(coords).all()
    np.testing.assert_array_equal(coords, project_umap(vecs, seed=5, groups=labels, fit_max=240))  # seeded
    dist = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(dist, np.inf)
    near = np.argsort(dist, axis=1)[:, :10]
    assert (labels[near] == labels[:, None]).mean() >= 0.95


def test_interest_map_is_stored_once_per_build(built_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    first = built_engine.interest_map()
    assert len(first.items) == len(built_engine.serving().item_ids)
    assert set(first.nodes["level"]) == {"fine", "theme"} and first.nodes[["x", "y"]].notna().all().all()
    import recsys_core.maps as maps

    monkeypatch.setattr(maps, "project_umap", lambda *a, **k: pytest.fail("projected twice"))
    again = built_engine.interest_map()
    assert np.allclose(again.items[["x", "y"]].to_numpy(), first.items[["x", "y"]].to_numpy())


def test_user_overlay_interest_shares_and_timeline_agree(built_engine: Engine) -> None:
    user = _user(built_engine)
    recs = built_engine.recommend(user, n=5)
    overlay = built_engine.user_overlay(user, recs)
    assert len(overlay.recommended) == 5 and overlay.recommended[["x", "y"]].notna().all().all()
    hist = overlay.history  # drawn faded outside the long-term window, as on the timeline
    assert hist["in_long"].any() and hist.loc[hist["in_short"], "in_long"].all()
    assert hist["in_long"].sum() <= built_engine.serving().config.max_history
    shares = built_engine.user_interests(user)
    for level in ("fine", "theme"):
        part = shares[shares["level"] == level]
        assert part["long"].sum() == pytest.approx(1.0, abs=1e-5)
        assert part["short"].sum() == pytest.approx(1.0, abs=1e-5)
    events = built_engine.user_timeline(user)
    assert events["in_short"].sum() >= 1 and events[events["in_short"]]["in_long"].all()
    assert events["occurred_at"].is_monotonic_increasing


def test_a_folded_timeline_keeps_what_the_model_reads_and_the_most_touched(built_engine: Engine) -> None:
    from recsys_core.profiles import OTHER_INTERESTS, fold_timeline
    from recsys_core.viz import build_timeline

    user = _user(built_engine)
    events = built_engine.user_timeline(user)
    n = events["fine_id"].nunique()
    assert fold_timeline(events, n) == (events, 0)  # few enough rows: nothing folded
    if n < 3:
        pytest.skip("the user touches fewer than three interests")
    folded, k = fold_timeline(events, 2)
    assert k == n - 1 and len(folded) == len(events)  # no event lost, only relabelled
    kept = set(folded["fine_id"]) - {OTHER_INTERESTS}
    assert len(kept) == 1 and folded["fine_id"].nunique() == 2
    (kept_id,) = kept
    short = events.groupby("fine_id")["in_short"].sum()
    assert short[kept_id] == short.max()  # what the short-term branch reads comes first
    assert (folded["fine_label"] == f"other interests ({k})").sum() == (events["fine_id"] != kept_id).sum()
    fig = build_timeline(folded)
    assert list(fig.layout.yaxis.categoryarray)[0] == f"other interests ({k})"  # the grey row at the bottom


def test_gate_response_matches_the_state_at_its_own_idle_time(built_engine: Engine) -> None:
    user = _user(built_engine)
    state = built_engine.user_state(user)
    at_now = built_engine.gate_response(user, np.array([state.hours_since_last]))
    assert at_now[0] == pytest.approx(state.gate, abs=1e-4)
    curve = built_engine.gate_response(user, np.geomspace(0.1, 5000, 20))
    assert ((curve >= 0) & (curve <= 1)).all()


def test_describe_items_summarises_a_selection(built_engine: Engine) -> None:
    imap = built_engine.interest_map()
    fine = int(imap.items["fine_id"].mode()[0])
    chosen = imap.items[imap.items["fine_id"] == fine]["item_id"].tolist()[:6]
    items, counts, keywords = built_engine.describe_items(chosen)
    assert sorted(items["item_id"]) == sorted(chosen)
    assert items["popularity"].is_monotonic_decreasing
    assert counts["items"].sum() == len(chosen) and len(counts) == 1 and keywords


def test_presets_round_trip_and_compare(built_engine: Engine) -> None:
    built_engine.save_preset(" long  view ", {"alpha": 0.9, "n": 5})
    built_engine.save_preset("recent", {"alpha": 0.1, "n": 5})
    assert built_engine.presets()["long view"] == {"alpha": 0.9, "n": 5}
    with pytest.raises(InvalidArgumentError):
        built_engine.save_preset("   ", {})
    user = _user(built_engine)
    a, b = built_engine.recommend(user, n=5, alpha=0.9), built_engine.recommend(user, n=5, alpha=0.1)
    overlap, table = built_engine.compare_lists(a, b)
    shared = len({r.item_id for r in a.items} & {r.item_id for r in b.items})
    assert overlap["shared"] == shared
    row = table.set_index("metric").loc["long-term share"]
    assert row["a"] > row["b"] and row["b - a"] == pytest.approx(row["b"] - row["a"])
    built_engine.delete_preset("long view")
    built_engine.delete_preset("recent")
    assert built_engine.presets() == {}


def test_warm_up_loads_the_served_model_once_and_waits_for_a_build(built_engine: Engine, tmp_path: Any,
                                                                    tiny_sample_dir: Any) -> None:
    from recsys_core.embeddings.hashing import HashingEmbedder
    from recsys_core.engine import RecsysEngine
    from tests.conftest import tiny_config

    fresh = RecsysEngine(tiny_config(tmp_path / "fresh.duckdb", tiny_sample_dir), embedder=HashingEmbedder(64)).open()
    try:
        assert fresh.warm_up() is False  # nothing built: nothing to load, no error
    finally:
        fresh.close()
    assert built_engine.warm_up() is True
    served = built_engine.serving()
    assert built_engine.warm_up() is True and built_engine.serving() is served  # loaded once


def test_a_large_map_draws_an_even_share_of_every_fine_interest() -> None:
    import numpy as np
    import pandas as pd

    from recsys_core.maps import InterestMap, drawn_items

    rng = np.random.default_rng(0)
    fine = np.concatenate([np.zeros(900, int), np.ones(90, int), np.full(10, 2)])
    items = pd.DataFrame({"item_id": [f"i{k}" for k in range(1000)], "fine_id": fine, "theme_id": fine // 2,
                          "x": rng.normal(size=1000), "y": rng.normal(size=1000)})
    imap = InterestMap(1, items, pd.DataFrame())
    assert len(drawn_items(imap, max_points=1000)) == 1000  # small enough: everything
    drawn = drawn_items(imap, max_points=100, keep=["i999", "i5"])
    counts = drawn["fine_id"].value_counts()
    assert 95 <= len(drawn) <= 102 and counts[0] in (90, 91) and counts[1] == 9 and counts[2] >= 1  # shares kept
    assert {"i999", "i5"} <= set(drawn["item_id"])  # kept items are always drawn
    assert drawn.equals(drawn_items(imap, max_points=100, keep=["i999", "i5"]))  # the same points every call
    assert set(drawn_items(imap, max_points=100, theme=0)["theme_id"]) == {0}  # one theme's items


def test_placeholders_come_from_this_catalogue(built_engine: Engine) -> None:
    serving = built_engine.serving()
    word, label = built_engine.placeholders()
    most_chosen = str(serving.titles[int(np.argmax(serving.popularity))])
    assert word and word in most_chosen
    assert label in serving.fine_labels.values()
