"""Metric functions against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recsys_core import metrics as M
from recsys_core.metrics import rank_of_targets


def test_rank_counts_only_better_items_and_half_the_ties() -> None:
    scores = np.array([[0.9, 0.5, 0.7, -np.inf], [0.1, 0.1, 0.1, 0.1]])
    ranks = rank_of_targets(scores, np.array([2, 0]))
    assert ranks.tolist() == [2, 1 + 3 // 2]  # second row: 3 tied others -> expected rank 2


def test_hit_rate_ndcg_and_mrr_by_hand() -> None:
    ranks = np.array([1, 3, 11, 20])
    assert M.hit_rate_at_k(ranks, 10) == 0.5
    assert M.hit_rate_at_k(ranks, 20) == 1.0
    expected = (1 / math.log2(2) + 1 / math.log2(4)) / 4
    assert M.ndcg_at_k(ranks, 10) == pytest.approx(expected)
    assert M.ndcg_at_k(ranks, 20) == pytest.approx(expected + (1 / math.log2(12) + 1 / math.log2(21)) / 4)
    assert M.mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 1 / 11 + 1 / 20) / 4)


def test_coverage_diversity_novelty() -> None:
    lists = np.array([[0, 1], [1, 2]])
    assert M.catalogue_coverage(lists, 10) == 0.3
    emb = np.array([[1, 0], [0, 1], [1, 0]], dtype=np.float32)
    # list 0: orthogonal items -> distance 1; list 1: items 1 and 2 orthogonal -> 1
    np.testing.assert_allclose(M.intra_list_diversity(lists, emb), [1.0, 1.0])
    same = np.array([[0, 2]])
    np.testing.assert_allclose(M.intra_list_diversity(same, emb), [0.0], atol=1e-6)
    popularity = np.array([8.0, 4.0, 1.0])
    nov = M.novelty(lists, popularity, n_users=8)
    np.testing.assert_allclose(nov, [(0 + 1) / 2, (1 + 3) / 2])


def test_calibration_is_zero_when_the_mix_matches_and_grows_when_not() -> None:
    user = np.array([[0.5, 0.5], [0.5, 0.5]])
    lists = np.array([[0.5, 0.5], [1.0, 0.0]])
    kl = M.calibration_kl(user, lists)  # the smoothing the evaluation uses (0.01)
    assert kl[0] == pytest.approx(0.0)
    # Steck's smoothed KL by hand: q~ = 0.99 q + 0.01 p = (0.995, 0.005)
    expected = 0.5 * np.log(0.5 / 0.995) + 0.5 * np.log(0.5 / 0.005)
    assert kl[1] == pytest.approx(expected, rel=1e-12)
    assert np.isfinite(kl).all()  # a theme the list misses costs a finite amount, not infinity
    mix = M.theme_mix([np.array([0, 1, 1])], np.array([0, 1]), 2)
    np.testing.assert_allclose(mix, [[1 / 3, 2 / 3]])
