"""Items chosen together and what comes next: both closed-form fits against a plain NumPy solve,
pruning, the mix, the position weights, the exact per-slot split and the checkpoint round trip."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_core.config import LinksConfig
from recsys_core.interests.links import (
    batch_link_scores,
    fit_link_parts,
    fit_links,
    fit_transitions,
    link_contrib,
    link_contrib_many,
    link_contrib_users,
    link_scores,
    link_scores_many,
    links_from_checkpoint,
    links_to_checkpoint,
    slot_weights,
)
from recsys_core.interests.sequences import Sequences


def _seqs(histories: list[list[int]]) -> Sequences:
    offsets = np.concatenate([[0], np.cumsum([len(h) for h in histories])]).astype(np.int64)
    items = np.concatenate([np.array(h, np.int64) for h in histories])
    return Sequences([f"u{i}" for i in range(len(histories))], offsets, items, np.zeros(len(items)),
                     np.full(len(items), 3, np.int64))


def _random_histories(seed: int = 0, n_users: int = 60, n_items: int = 12) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [list(rng.choice(n_items, size=rng.integers(2, 7), replace=False)) for _ in range(n_users)]


@pytest.mark.parametrize("n_items", [12, 1100])  # 1100: the inverse is mirrored in bands of 1024 rows
def test_the_fit_is_ease_in_closed_form(n_items: int) -> None:
    histories = _random_histories(n_users=60 if n_items < 100 else 3000, n_items=n_items)
    cfg = LinksConfig(l2=3.0, min_count=1, top_k=n_items, max_items=n_items)
    links = fit_links(_seqs(histories), n_items, cfg).toarray()
    x = np.zeros((len(histories), n_items))
    for u, h in enumerate(histories):
        x[u, h] = 1.0
    used = x.sum(axis=0) > 0
    p = np.linalg.inv(x[:, used].T @ x[:, used] + 3.0 * np.eye(int(used.sum())))
    expected = np.zeros((n_items, n_items))
    expected[np.ix_(used, used)] = -p / np.diag(p)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(links, expected, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("n_items", [12, 1100])  # 1100: the product is taken in bands of 1024 rows
def test_the_next_links_are_a_ridge_fit_of_each_item_on_the_items_before_it(n_items: int) -> None:
    cfg = LinksConfig(transition_l2=2.0, min_count=1, top_k=n_items, max_items=n_items, window=3, decay_items=2.0)
    histories = _random_histories(seed=3, n_users=60 if n_items < 100 else 3000, n_items=n_items)
    links = fit_transitions(_seqs(histories), n_items, cfg).toarray()
    source, target = [], []
    for h in histories:  # every position after the first: the items before it, newest weighted 1
        for t in range(1, len(h)):
            row = np.zeros(n_items)
            for lag in range(1, min(t, 3) + 1):
                row[h[t - lag]] = np.exp(-(lag - 1) / 2.0)
            source.append(row)
            target.append(h[t])
    s_ = np.array(source)
    t_ = np.zeros((len(target), n_items))
    t_[np.arange(len(target)), target] = 1.0
    used = (s_.sum(axis=0) > 0) | (t_.sum(axis=0) > 0)  # items in no history have no row or column
    expected = np.zeros((n_items, n_items))
    expected[np.ix_(used, used)] = np.linalg.solve(s_[:, used].T @ s_[:, used] + 2.0 * np.eye(int(used.sum())),
                                                   s_[:, used].T @ t_[:, used])
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(links, expected, rtol=1e-3, atol=1e-5)


def test_an_item_links_to_what_follows_it_more_than_to_what_comes_before_it() -> None:
    histories = [[0, 1, 2], [0, 1, 3], [3, 0, 1], [2, 0, 1]] * 5
    nxt = fit_transitions(_seqs(histories), 4, LinksConfig(transition_l2=1.0, min_count=1, top_k=3)).toarray()
    assert nxt[0, 1] > 0.5 and nxt[0, 1] > abs(nxt[1, 0])
    together = fit_links(_seqs(histories), 4, LinksConfig(l2=1.0, min_count=1, top_k=3)).toarray()
    assert together[0, 1] == pytest.approx(together[1, 0], rel=1e-4)  # co-occurrence has no direction


def test_the_mix_is_weight_times_together_plus_share_times_next_at_the_same_scale() -> None:
    seqs = _seqs(_random_histories(seed=5))
    cfg = LinksConfig(min_count=1, top_k=5)
    parts = fit_link_parts(seqs, 12, cfg)
    assert parts.next is not None
    assert np.abs(parts.next.data).mean() == pytest.approx(np.abs(parts.together.data).mean(), rel=1e-5)
    mixed = parts.mixed(2.0, 0.5)
    assert mixed is not None and mixed.has_sorted_indices
    np.testing.assert_allclose(mixed.toarray(), 2.0 * (parts.together.toarray() + 0.5 * parts.next.toarray()),
                               rtol=1e-6)
    assert parts.mixed(0.0, 1.0) is None
    np.testing.assert_array_equal(parts.mixed(1.0, 0.0).toarray(), parts.together.toarray())  # type: ignore[union-attr]
    assert fit_link_parts(seqs, 12, LinksConfig(min_count=1, top_k=5, transitions=False)).next is None


def test_rare_items_get_no_links_and_rows_keep_their_strongest() -> None:
    histories = _random_histories() + [[12, 0]]  # item 12 is chosen once
    links = fit_links(_seqs(histories), 13, LinksConfig(min_count=2, top_k=3))
    assert links[12].nnz == 0 and links[:, 12].nnz == 0
    assert max(np.diff(links.indptr)) <= 3
    full = fit_links(_seqs(histories), 13, LinksConfig(min_count=2, top_k=50)).toarray()
    for row in range(12):
        kept = links[row].toarray().ravel()
        strongest = np.sort(np.abs(full[row]))[-3:]
        np.testing.assert_allclose(np.sort(np.abs(kept[kept != 0])), strongest, rtol=1e-5)


def test_items_chosen_together_link_to_each_other() -> None:
    histories = [[0, 1], [0, 1], [0, 1], [2, 3], [2, 3], [2, 3], [0, 3], [1, 2]] * 3
    links = fit_links(_seqs(histories), 4, LinksConfig(l2=1.0, min_count=1, top_k=3)).toarray()
    assert links[0, 1] > 0 and links[2, 3] > 0
    assert links[0, 1] > links[0, 2] and links[2, 3] > links[2, 0]
    assert np.all(np.diag(links) == 0)


def test_position_weights_decay_from_the_newest_and_stop_at_the_window() -> None:
    w = slot_weights(30, LinksConfig(window=20, decay_items=5.0))
    assert w[-1] == pytest.approx(1.0) and w[-6] == pytest.approx(np.exp(-1.0))
    assert np.all(w[:10] == 0) and np.all(np.diff(w[10:]) > 0)


def test_a_score_is_exactly_the_sum_of_its_slots_parts() -> None:
    histories = _random_histories(1)
    cfg = LinksConfig(min_count=1, top_k=5)
    links = fit_links(_seqs(histories), 12, cfg) * 2.5
    slots = np.array([3, 7, 1, 9], np.int64)
    weights = slot_weights(len(slots), cfg)
    scores = link_scores(links, slots, weights)
    for item in range(12):
        assert link_contrib(links, slots, weights, item).sum() == pytest.approx(scores[item], abs=1e-6)
    many = batch_link_scores(links, [slots, slots[:2]], cfg, max_history=100)
    np.testing.assert_allclose(many[0], scores, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(many[1], link_scores(links, slots[:2], slot_weights(2, cfg)), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("sorted_rows", [True, False])
def test_slot_parts_read_from_the_rows_equal_the_dense_products(sorted_rows: bool) -> None:
    import scipy.sparse as sp

    rng = np.random.default_rng(3)
    dense = np.where(rng.random((40, 40)) < 0.2, rng.normal(size=(40, 40)), 0.0).astype(np.float32)
    links = sp.csr_matrix(dense)
    if not sorted_rows:  # columns out of order inside rows, as a matrix built elsewhere may have them
        order = np.concatenate([np.arange(a, b)[::-1] for a, b in zip(links.indptr[:-1], links.indptr[1:], strict=True)])
        links = sp.csr_matrix((links.data[order], links.indices[order], links.indptr), shape=links.shape)
        assert not links.has_sorted_indices
    slots = np.array([5, 0, 5, 39, 12, 7], np.int64)  # an item twice, the first slot unused
    weights = np.array([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], np.float32)
    items = np.array([39, 0, 5, 17, 17, 2], np.int64)
    expected = (dense[np.ix_(slots, items)] * weights[:, None]).T
    np.testing.assert_allclose(link_contrib_many(links, slots, weights, items), expected, rtol=1e-6, atol=1e-7)
    scores = link_scores_many(links, [slots, slots[:0], slots[3:]], [weights, weights[:0], weights[3:]])
    np.testing.assert_allclose(scores[0], weights @ dense[slots], rtol=1e-5, atol=1e-6)
    assert not scores[1].any()  # no slots: no link score
    np.testing.assert_allclose(scores[2], link_scores(links, slots[3:], weights[3:]))  # a row is the same in any batch


def test_links_survive_the_checkpoint_and_grow_with_new_items() -> None:
    cfg = LinksConfig(min_count=1, window=7)
    links = fit_links(_seqs(_random_histories(2)), 12, cfg)
    back, back_cfg = links_from_checkpoint({"links": links_to_checkpoint(links, cfg)}, 15)
    assert back is not None and back.shape == (15, 15) and back_cfg == cfg
    np.testing.assert_array_equal(back[:12, :12].toarray(), links.toarray())
    assert back[12:].nnz == 0
    assert links_from_checkpoint({}, 15)[0] is None  # a build from before links
    stored = links_to_checkpoint(links, cfg)
    assert stored is not None
    older = {**stored, "config": {k: v for k, v in stored["config"].items()  # type: ignore[attr-defined]
                                  if k not in ("transitions", "transition_l2", "shares", "choice_users")}}
    assert links_from_checkpoint({"links": older}, 15)[1].window == 7  # a build from before the "next" links
    newer = {**stored, "config": {**stored["config"], "weights": [0.0, 1.0], "a_later_setting": 3}}  # type: ignore[dict-item]
    assert links_from_checkpoint({"links": newer}, 15)[1].weights == (0.0, 1.0)


def test_several_users_slot_parts_in_one_search_equal_each_alone() -> None:
    """The all-users ranking reads every list's slot parts in one search: each user's block is
    the dense product for their own slots and items, users with no used slot or no item get zeros."""
    import scipy.sparse as sp

    rng = np.random.default_rng(8)
    dense = np.where(rng.random((30, 30)) < 0.3, rng.normal(size=(30, 30)), 0.0).astype(np.float32)
    links = sp.csr_matrix(dense)
    slots = [np.array([3, 7, 3], np.int64), np.array([1, 2], np.int64), np.array([4], np.int64),
             np.array([0, 29, 15, 8], np.int64)]
    weights = [np.array([0.5, 1.0, 0.25], np.float32), np.zeros(2, np.float32), np.array([2.0], np.float32),
               np.array([0.1, 0.0, 0.7, 1.3], np.float32)]
    items = [np.array([29, 0, 3, 11], np.int64), np.array([5, 6], np.int64), np.zeros(0, np.int64),
             np.array([8, 8, 21], np.int64)]
    got = link_contrib_users(links, slots, weights, items)
    for s_, w, i, part in zip(slots, weights, items, got, strict=True):
        assert part.shape == (len(i), len(s_))
        np.testing.assert_allclose(part, (dense[np.ix_(s_, i)] * w[:, None]).T, rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(part, link_contrib_many(links, s_, w, i))
    assert not got[1].any()  # no used slot
