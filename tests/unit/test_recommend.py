"""Recommendations from a built engine: fusion, exclusions, evidence, cold start, live events."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from recsys_core.data.frames import load_user_events
from recsys_core.data.importers import commit_plan, plan_files
from recsys_core.errors import UnknownItemError
from recsys_core.fusion import check_alpha, fuse, weighted_parts
from recsys_core.interests.links import link_scores
from recsys_core.recommend import branch_scores, evidence_for, rerank_mmr, top_n, top_n_many
from tests.conftest import write

Engine = Any


def _users(engine: Engine, n: int = 5) -> list[str]:
    with engine.store.cursor() as cur:
        rows = cur.execute("SELECT user_id FROM interactions GROUP BY ALL HAVING count(*) >= 8 "
                           "ORDER BY user_id LIMIT ?", [n]).fetchall()
    return [r[0] for r in rows]


def _history(engine: Engine, user: str) -> set[str]:
    return set(load_user_events(engine.store, user, include_simulated=True)["item_id"])


def test_lists_have_n_unseen_items_sorted_with_score_parts(built_engine: Engine) -> None:
    for user in _users(built_engine):
        result = built_engine.recommend(user, n=12)
        assert len(result.items) == 12
        ids = [r.item_id for r in result.items]
        assert len(set(ids)) == 12
        assert not set(ids) & _history(built_engine, user)
        scores = [r.score for r in result.items]
        assert scores == sorted(scores, reverse=True)
        for r in result.items:
            assert r.score == pytest.approx(r.long_part + r.short_part, abs=1e-5)
        assert 0.0 <= result.learned_alpha <= 1.0 and result.alpha == result.learned_alpha


def test_alpha_one_is_long_only_and_alpha_zero_short_only(built_engine: Engine) -> None:
    user = _users(built_engine)[0]
    state = built_engine.user_state(user)
    serving = built_engine.serving()
    seen = set(state.history.tolist())
    long_s, short_s = branch_scores(state, serving.item_vecs, serving.links)
    links = link_scores(serving.links, state.slots, state.link_weights)
    assert np.abs(links).max() > 0  # the short-term side reads the links from the newest items
    np.testing.assert_allclose(short_s, serving.item_vecs @ state.u_short + links, rtol=1e-5, atol=1e-6)
    for alpha, expected_scores in ((1.0, serving.item_vecs @ state.u_long), (0.0, short_s)):
        result = built_engine.recommend(user, n=10, alpha=alpha)
        scores = expected_scores.astype(np.float64)
        scores[list(seen)] = -np.inf
        expected = [str(serving.item_ids[i]) for i in top_n(scores, 10)]
        assert [r.item_id for r in result.items] == expected
        other = [r.short_part if alpha == 1.0 else r.long_part for r in result.items]
        assert all(abs(x) < 1e-9 for x in other)


def test_evidence_items_come_from_the_users_history(built_engine: Engine) -> None:
    for user in _users(built_engine):
        result = built_engine.recommend(user, n=10, alpha=0.5)
        history = _history(built_engine, user)
        assert any(r.evidence for r in result.items)
        for r in result.items:
            assert {e.item_id for e in r.evidence} <= history
            weights = [e.weight for e in r.evidence]
            assert weights == sorted(weights, reverse=True) and sum(weights) <= 1.0 + 1e-6
            assert r.fine_label and r.theme_label
        # the list's evidence, read for all its items at once, is each item's evidence read alone
        serving = built_engine.serving()
        state = built_engine.user_state(user)
        for r in result.items:
            row = serving.item_index[r.item_id]
            alone = evidence_for(state, serving.item_vecs[row], 0.5, built_engine.config.recommend.n_evidence, serving.links, row)
            assert [str(serving.item_ids[j]) for j, _ in alone] == [e.item_id for e in r.evidence]
            assert [w for _, w in alone] == pytest.approx([e.weight for e in r.evidence], abs=1e-5)


def test_a_slider_move_does_not_rerun_the_encoder(built_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    user = _users(built_engine)[1]
    built_engine.recommend(user, alpha=0.2)
    model = built_engine.serving().model
    calls = []
    original = model.encode
    monkeypatch.setattr(model, "encode", lambda *a, **k: calls.append(1) or original(*a, **k))
    a = built_engine.recommend(user, alpha=0.9)
    b = built_engine.recommend(user, alpha=0.1)
    assert calls == []
    assert [r.item_id for r in a.items] != [r.item_id for r in b.items] or a.items[0].score != b.items[0].score


def test_unknown_user_gets_popular_items_and_profile_only_user_gets_matching_items(built_engine: Engine) -> None:
    result = built_engine.recommend("nobody-knows-me", n=5)
    assert result.cold_start == "popular" and len(result.items) == 5
    serving = built_engine.serving()
    pops = [serving.popularity[serving.item_index[r.item_id]] for r in result.items]
    assert pops == sorted(pops, reverse=True) and pops[0] == serving.popularity.max()

    with built_engine.store.cursor() as cur:
        cur.execute("INSERT INTO users (user_id, profile_text, import_id) VALUES "
                    "('newbie', 'I love yoga mats, yoga blocks and stretching straps', 1)")
    result = built_engine.recommend("newbie", n=10)
    assert result.cold_start == "profile" and len(result.items) == 10
    profile = built_engine.embedder.encode(["I love yoga mats, yoga blocks and stretching straps"])[0]
    sims = serving.text_vecs @ profile
    chosen = np.mean([sims[serving.item_index[r.item_id]] for r in result.items])
    # a weak model here (hashing vectors, two epochs), so the bar is the top quarter
    assert chosen > np.percentile(sims, 75)


def test_an_interest_description_filters_and_boosts(built_engine: Engine) -> None:
    user = _users(built_engine)[2]
    result = built_engine.recommend(user, n=10, interest="coffee espresso grinder", interest_threshold=0.2)
    assert result.items
    for r in result.items:
        assert r.interest_similarity is not None and r.interest_similarity >= 0.2
        assert r.score == pytest.approx(r.long_part + r.short_part + r.interest_part, abs=1e-5)
    none = built_engine.recommend(user, n=10, interest="coffee espresso grinder", interest_threshold=0.999)
    assert none.items == () and none.note


def test_diversity_spreads_the_list(built_engine: Engine) -> None:
    user = _users(built_engine)[3]
    serving = built_engine.serving()

    def spread(result: Any) -> float:
        v = serving.item_vecs[[serving.item_index[r.item_id] for r in result.items]]
        sims = v @ v.T
        return float(1 - (sims.sum() - np.trace(sims)) / (len(v) * (len(v) - 1)))

    assert spread(built_engine.recommend(user, n=10, diversity=0.7)) > spread(built_engine.recommend(user, n=10))


def test_a_live_event_moves_short_term_interest_without_retraining(built_engine: Engine) -> None:
    user = _users(built_engine)[4]
    build_before = built_engine.latest_build().build_id
    before = built_engine.user_state(user)
    # views of items far from the user's recent ones
    serving = built_engine.serving()
    sims = serving.item_vecs @ before.u_short
    far = [str(serving.item_ids[i]) for i in np.argsort(sims)[:4]]
    for item in far:
        built_engine.record_event(user, item, "view", simulated=True)
    after_real = built_engine.user_state(user)  # simulated events are not read by default
    np.testing.assert_allclose(after_real.u_short, before.u_short, atol=1e-6)
    after = built_engine.user_state(user, include_simulated=True)
    assert float(after.u_short @ before.u_short) < 0.99
    assert after.gate != pytest.approx(before.gate, abs=1e-6)
    # the events were recorded at the data's end: read there, the user was active a moment ago
    assert built_engine.user_state(user, include_simulated=True, as_of="data-end").hours_since_last == pytest.approx(
        0.0, abs=0.01)
    assert built_engine.latest_build().build_id == build_before
    listed = built_engine.recommend(user, n=10, include_simulated=True)
    assert not {r.item_id for r in listed.items} & set(far)
    assert built_engine.clear_simulated_events(user) == 4
    np.testing.assert_allclose(built_engine.user_state(user, include_simulated=True).u_short, before.u_short, atol=1e-6)
    with pytest.raises(UnknownItemError):
        built_engine.record_event(user, "no-such-item")


def test_a_new_item_with_only_a_text_can_be_recommended(built_engine: Engine, tmp_path) -> None:  # noqa: ANN001
    user = _users(built_engine)[0]
    top = built_engine.recommend(user, n=1, alpha=1.0).items[0]
    with built_engine.store.cursor() as cur:
        title, text, category = cur.execute("SELECT title, text, category FROM items WHERE item_id = ?",
                                            [top.item_id]).fetchall()[0]
    path = write(tmp_path / "new.csv", "item_id,title,description,category\n"
                 f'NEW-1,"{title} (new edition)","{text}","{category}"\n')
    plan = plan_files(built_engine.store, items=path)
    commit_plan(built_engine.store, plan)
    result = built_engine.recommend(user, n=20, alpha=1.0)
    serving = built_engine.serving()
    assert serving.n_new_items == 1 and "NEW-1" in serving.item_index
    assert "NEW-1" in [r.item_id for r in result.items]


def test_pure_helpers() -> None:
    u, s = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
    np.testing.assert_allclose(fuse(u, s, 0.25), [0.25, 0.75])
    long_part, short_part = weighted_parts(u, s, 0.25)
    np.testing.assert_allclose(long_part + short_part, fuse(u, s, 0.25))
    rows = np.stack([u, s])  # one weight per row scales whole rows
    np.testing.assert_allclose(fuse(rows, rows[::-1], np.array([1.0, 0.0])), [[1.0, 0.0], [1.0, 0.0]])
    for bad in (1.5, -0.1, float("nan")):
        with pytest.raises(ValueError):
            check_alpha(bad)
    scores = np.array([0.1, np.inf * -1, 0.9, 0.5, 0.9])
    assert top_n(scores, 3).tolist() == [2, 4, 3]
    assert top_n(scores, 9).tolist() == [2, 4, 3, 0]  # only finite scores
    tied = np.array([0.3, 0.7, 0.7, 0.7, 0.7, 0.1], np.float32)
    assert top_n(tied, 2).tolist() == [1, 2]  # ties at the cut go to the lower index, never to chance
    rows = top_n_many(np.stack([tied, tied[::-1], np.full(6, -np.inf, np.float32)]), 3)
    assert [r.tolist() for r in rows] == [[1, 2, 3], [1, 2, 3], []]
    vecs = np.array([[1, 0], [1, 0], [0, 1]], np.float32)
    picked = rerank_mmr(np.array([0, 1, 2]), np.array([1.0, 0.99, 0.5]), vecs, 2, diversity=0.9)
    assert picked.tolist() == [0, 2]


def test_out_of_range_arguments_are_refused(built_engine: Engine) -> None:
    user = _users(built_engine)[0]
    with pytest.raises(ValueError, match="alpha"):
        built_engine.recommend(user, alpha=1.2)
    with pytest.raises(ValueError, match="at least 1"):
        built_engine.recommend(user, n=-3)
    with pytest.raises(ValueError, match="diversity"):
        built_engine.recommend(user, diversity=2.0)


def test_an_event_time_no_event_can_have_is_refused_and_nothing_is_written(built_engine) -> None:  # noqa: ANN001
    import datetime as dt

    from recsys_core.errors import InvalidArgumentError

    with built_engine.store.cursor() as cur:
        before = cur.execute("SELECT count(*) FROM live_events").fetchall()[0][0]
        user, item = cur.execute("SELECT user_id, item_id FROM interactions LIMIT 1").fetchall()[0]
    for bad in (dt.datetime(2999, 1, 1), dt.datetime(1850, 1, 1)):
        with pytest.raises(InvalidArgumentError, match="event time must be between"):
            built_engine.record_event(str(user), str(item), at=bad)
    with built_engine.store.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM live_events").fetchall()[0][0] == before
    assert built_engine.recommend(str(user), n=3).items  # the user is still served


def test_lists_scored_in_small_batches_ahead_of_assembly_are_the_same(built_engine: Engine) -> None:
    """``recommend_many`` scores the next batch of users in a thread while it assembles this
    one's lists: with batches of three users (many in flight) the lists are those of one batch."""
    from dataclasses import replace

    users = built_engine.user_ids()[:25]
    whole = list(built_engine.recommend_many(users, n=6))
    config = built_engine.config
    n_items = len(built_engine.serving().item_ids)
    built_engine.config = replace(config, recommend=replace(config.recommend, score_batch_cells=3 * n_items))
    try:
        small = list(built_engine.recommend_many(users, n=6))
    finally:
        built_engine.config = config
    assert [r.user_id for r in small] == users
    for a, b in zip(whole, small, strict=True):
        assert [r.item_id for r in a.items] == [r.item_id for r in b.items]
        assert [r.score for r in a.items] == pytest.approx([r.score for r in b.items], abs=1e-6)
        assert [r.evidence for r in a.items] == [r.evidence for r in b.items]


@pytest.mark.parametrize("as_of", ["next-visit", "data-end", "2026-03-01T00:00"])
def test_lists_for_many_users_at_once_are_the_lists_one_by_one(built_engine: Engine, as_of: str) -> None:
    from recsys_core.moments import parse_as_of

    moment = parse_as_of(as_of)
    users = built_engine.user_ids()[:40] + ["nobody-knows-me"]
    many = list(built_engine.recommend_many(users, n=8, as_of=moment, chunk=16))
    assert [r.user_id for r in many] == users
    for batch in many:
        single = built_engine.recommend(batch.user_id, n=8, as_of=moment)
        assert [r.item_id for r in batch.items] == [r.item_id for r in single.items]
        assert [r.score for r in batch.items] == pytest.approx([r.score for r in single.items], abs=1e-5)
        assert [[e.item_id for e in r.evidence] for r in batch.items] == \
            [[e.item_id for e in r.evidence] for r in single.items]
        assert batch.learned_alpha == pytest.approx(single.learned_alpha, abs=1e-6)
        assert batch.extra == pytest.approx(single.extra) and batch.cold_start == single.cold_start
    assert many[-1].cold_start == "popular"


def test_all_users_pass_keeps_kernels_to_their_share_and_gives_the_threads_back(built_engine: Engine) -> None:
    """The pass runs threads of its own, so BLAS and torch kernels get ``kernel_threads`` each
    while it runs; the process's own settings come back when it ends (or is abandoned)."""
    import torch
    from threadpoolctl import threadpool_info

    def blas_threads() -> set[int]:
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    torch_before, before = torch.get_num_threads(), blas_threads()
    users = built_engine.user_ids()[:6]
    assert built_engine.config.recommend.kernel_threads == 1
    lists = built_engine.recommend_many(users, n=3)
    next(lists)
    assert torch.get_num_threads() == 1 and blas_threads() == {1}
    assert len(list(lists)) == len(users) - 1
    assert torch.get_num_threads() == torch_before and blas_threads() == before
    abandoned = built_engine.recommend_many(users, n=3)
    next(abandoned)
    abandoned.close()
    assert torch.get_num_threads() == torch_before and blas_threads() == before


def test_list_parts_are_the_same_to_the_bit_alone_or_stacked_with_other_lengths() -> None:
    """The split and evidence of a list come from stacked products padded to a width; a user
    stacked with others of other history lengths gets exactly what they get alone, and the
    parts still add up: long + short is the fused score, shares are of the positive push."""
    from recsys_core.recommend import UserState, list_parts

    rng = np.random.default_rng(7)
    d, n_items = 12, 40
    item_vecs = rng.standard_normal((n_items, d)).astype(np.float32)

    def state(k: int) -> UserState:
        cl, cs = rng.standard_normal((k, d)).astype(np.float32), rng.standard_normal((k, d)).astype(np.float32)
        return UserState(cl.sum(0), cs.sum(0), 0.5, rng.choice(n_items, k, replace=False), rng.choice(n_items, k),
                         cl, cs, np.ones(k, np.float32), np.ones(k, np.float32),
                         slot_liked=rng.uniform(size=k) > 0.2)

    states = [state(k) for k in (1, 3, 17, 40, 16, 5)]
    lists = [rng.choice(n_items, size, replace=False) for size in (6, 6, 6, 6, 6, 4)]
    links = [None if r % 2 else rng.uniform(0, 0.1, (len(items), len(s.slots))).astype(np.float32)
             for r, (s, items) in enumerate(zip(states, lists, strict=True))]
    alphas = [0.0, 0.3, 0.5, 0.7, 1.0, 0.45]
    stacked = list_parts(states, [item_vecs[i] for i in lists], alphas, 3, links)
    for r, (s, items) in enumerate(zip(states, lists, strict=True)):
        alone = list_parts([s], [item_vecs[items]], [alphas[r]], 3, [links[r]])[0]
        assert np.array_equal(alone[0], stacked[r][0]) and np.array_equal(alone[1], stacked[r][1])
        assert alone[2] == stacked[r][2]
        short = item_vecs[items] @ s.u_short + (0 if links[r] is None else links[r].sum(axis=1))
        np.testing.assert_allclose(alone[0] + alone[1], fuse(item_vecs[items] @ s.u_long, short, alphas[r]),
                                   atol=1e-5)
        for cited in alone[2]:
            assert len(cited) <= 3 and sum(w for _, w in cited) <= 1 + 1e-6  # float32 totals
            assert all(slot in set(s.slots[s.liked_slots()].tolist()) for slot, _ in cited)
