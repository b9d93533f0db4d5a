"""Item vectors for the interest hierarchy: text blended with behaviour and categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.interests.item_space import (
    Validity,
    block_validity,
    build_item_vectors,
    category_tokens,
    category_vectors,
    choose_n_themes,
    collaborative_k,
    collaborative_vectors,
    fill_blocks,
    normalise_rows,
    theme_bounds,
    validity_shares,
)
from recsys_core.interests.sequences import Sequences, build_sequences, drop_last

N_TOPICS, PER_TOPIC, N_USERS = 4, 30, 80


def _catalogue(seed: int = 0) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Text vectors (noisy topic directions), categories ("Root > topic") and the planted topic."""
    rng = np.random.default_rng(seed)
    topic = np.repeat(np.arange(N_TOPICS), PER_TOPIC)
    centres = rng.normal(size=(N_TOPICS, 16))
    text = normalise_rows(centres[topic] + 1.5 * rng.normal(size=(len(topic), 16)))
    cats = [f"Shop > T{t}" for t in topic]
    return text, cats, topic


def _events(topic: np.ndarray, seed: int = 0, cold: int = 10) -> pd.DataFrame:
    """Each user stays in one topic; the last ``cold`` items of every topic are never touched."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2025-01-01", tz="UTC")
    for u in range(N_USERS):
        t = u % N_TOPICS
        pool = np.flatnonzero(topic == t)[: PER_TOPIC - cold]
        for j, item in enumerate(rng.choice(pool, size=8, replace=False)):
            rows.append({"user_id": f"u{u:03d}", "item_id": f"i{item:03d}",
                         "occurred_at": start + pd.Timedelta(hours=j + u), "event_type": "view"})
    return pd.DataFrame(rows)


def _sequences(topic: np.ndarray, seed: int = 0):
    index = {f"i{k:03d}": k for k in range(len(topic))}
    return build_sequences(_events(topic, seed), index)


def test_same_seed_same_vectors() -> None:
    text, cats, topic = _catalogue()
    seqs = _sequences(topic)
    a, info_a = build_item_vectors(text, cats, seqs, len(topic), dim=8, seed=3)
    b, info_b = build_item_vectors(text, cats, seqs, len(topic), dim=8, seed=3)
    np.testing.assert_array_equal(a, b)
    assert info_a == info_b
    np.testing.assert_array_equal(collaborative_vectors(seqs, len(topic), 8, 1),
                                  collaborative_vectors(seqs, len(topic), 8, 1))


def test_no_events_gives_the_text_vectors() -> None:
    text, _, topic = _catalogue()
    empty = build_sequences(pd.DataFrame(columns=["user_id", "item_id", "occurred_at", "event_type"]), {})
    for seqs, cats in ((None, None), (empty, None), (None, _catalogue()[1])):
        vecs, info = build_item_vectors(text, cats, seqs, len(topic))
        assert info["blocks"] == ["text"]
        np.testing.assert_allclose(normalise_rows(vecs), normalise_rows(text), atol=1e-6)
    assert not collaborative_vectors(empty, len(topic)).any()
    assert collaborative_k(empty, len(topic)) == float("inf")


def test_no_categories_works() -> None:
    text, _, topic = _catalogue()
    assert category_vectors([None, "", "  "]) is None
    vecs, info = build_item_vectors(text, [None] * len(topic), _sequences(topic), len(topic), dim=8)
    assert info["blocks"] == ["text", "collab"]
    assert vecs.shape[0] == len(topic) and np.isfinite(vecs).all()


def test_category_tokens_and_vectors() -> None:
    assert category_tokens("Action|Comedy") == ["action", "comedy"]
    assert category_tokens("Home > Kitchen > Pans") == ["home", "home > kitchen", "home > kitchen > pans"]
    assert category_tokens(None) == []
    vecs = category_vectors(["Home > Kitchen > Pans", "Home > Kitchen > Pots", "Home > Sofas", None])
    assert vecs is not None
    np.testing.assert_allclose(np.linalg.norm(vecs[:3], axis=1), 1.0, atol=1e-6)
    assert not vecs[3].any()  # no category: a zero row
    # two kitchen items share more of the path than a kitchen item and a sofa
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] > 0


def test_cold_items_lean_on_their_text() -> None:
    text, cats, topic = _catalogue()
    seqs = _sequences(topic)
    n = len(topic)
    collab = collaborative_vectors(seqs, n, 8, 0)
    n_events = np.bincount(seqs.items, minlength=n)
    k = collaborative_k(seqs, n, 8, 0)
    assert 0 < k < np.inf
    cold = np.flatnonzero(n_events == 0)
    warm = np.argmax(n_events)
    assert len(cold) == N_TOPICS * 10
    filled = fill_blocks(text, collab, category_vectors(cats), n_events, k)
    # a cold item's collaborative block is what its content predicts: its own (zero) row is ignored
    other = collab.copy()
    other[cold] = normalise_rows(np.random.default_rng(1).normal(size=(len(cold), collab.shape[1])))
    again = fill_blocks(text, other, category_vectors(cats), n_events, k)
    np.testing.assert_allclose(again.blocks["collab"][cold], filled.blocks["collab"][cold], atol=1e-5)
    # ... which puts it among the warm items of its topic, not in a pile of unseen items
    block = filled.blocks["collab"]
    for i in cold[:: 5]:
        sims = block[n_events > 0] @ block[i]
        nearest = np.flatnonzero(n_events > 0)[np.argsort(-sims)[:5]]
        assert np.mean(topic[nearest] == topic[i]) >= 0.6
    # a much-seen item keeps mostly its own collaborative vector
    assert filled.reliability["collab"][warm] > 0.5
    assert float(block[warm] @ collab[warm]) > 0.8


def test_blend_shares_and_equal_row_lengths() -> None:
    text, cats, topic = _catalogue()
    seqs = _sequences(topic)
    vecs, info = build_item_vectors(text, cats, seqs, len(topic), dim=8)
    assert set(info["blocks"]) == {"text", "category", "collab"}
    assert abs(sum(info["shares"].values()) - 1.0) < 1e-3
    assert "validity" in info and info["shares_from"].startswith("validity")
    norms = np.linalg.norm(vecs, axis=1)
    np.testing.assert_allclose(norms, norms[0], rtol=1e-4)  # every block is filled, so rows are alike
    fixed, info_fixed = build_item_vectors(text, cats, seqs, len(topic), dim=8, shares={"text": 1.0})
    assert info_fixed["blocks"] == ["text"] and info_fixed["shares_from"] == "given"
    np.testing.assert_allclose(normalise_rows(fixed), normalise_rows(text), atol=1e-6)


def test_validity_rewards_the_block_that_predicts_behaviour() -> None:
    text, _, topic = _catalogue()
    seqs = _sequences(topic)
    train, held = drop_last(seqs, min_length=3)
    noise = normalise_rows(np.random.default_rng(5).normal(size=text.shape))
    val = block_validity({"text": text, "noise": noise}, train, held, seed=0)
    assert val["text"].lower > 0.75 and abs(val["noise"].auc - 0.5) < 3 * val["noise"].se + 0.02
    assert validity_shares(val)["text"] > 0.9
    # not clearly above chance = no share; nothing above chance = text only
    shares = validity_shares({"text": Validity(0.8, 0.01, 100), "collab": Validity(0.52, 0.02, 100)})
    assert shares == {"text": 1.0, "collab": 0.0}
    shares = validity_shares({"text": Validity(0.5, 0.01, 100), "category": Validity(0.49, 0.01, 100),
                              "collab": Validity(0.51, 0.01, 100)})
    assert shares == {"text": 1.0, "category": 0.0, "collab": 0.0}


def test_events_without_structure_get_no_share() -> None:
    """Shuffled events: k is (near) infinite and the collaborative block gets no share."""
    text, cats, topic = _catalogue()
    seqs = _sequences(topic)
    shuffled = Sequences(seqs.user_ids, seqs.offsets, np.random.default_rng(2).permutation(seqs.items),
                         seqs.days, seqs.codes)
    assert collaborative_k(shuffled, len(topic), 8, 0) > 10 * collaborative_k(seqs, len(topic), 8, 0)
    _, info = build_item_vectors(text, cats, shuffled, len(topic), dim=8)
    assert info["shares"].get("collab", 0.0) == 0.0


@pytest.mark.parametrize(("n_fine", "expected"), [(3, (1, 1)), (5, (2, 2)), (49, (7, 16)), (99, (10, 33))])
def test_theme_bounds(n_fine: int, expected: tuple[int, int]) -> None:
    assert theme_bounds(n_fine) == expected


def test_choose_n_themes_finds_planted_groups_and_can_be_overridden() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(6, 32))
    fine = normalise_rows(np.repeat(centres, 6, axis=0) + 0.2 * rng.normal(size=(36, 32)))
    k, info = choose_n_themes(fine)
    assert k == 6 and info["bounds"] == (6, 12)
    assert choose_n_themes(fine, n_themes=4)[0] == 4
    lo, hi = theme_bounds(36)
    assert lo <= choose_n_themes(normalise_rows(rng.normal(size=(36, 32))))[0] <= hi
