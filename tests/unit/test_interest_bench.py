"""The pure metric functions of bench/interests.py, on toy data (no database, no sentence model)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "interests.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_interests", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def _clustered_histories(n_users: int = 1500, n_clusters: int = 20, per_cluster: int = 10,
                         length: int = 6, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """Users who each stay inside one or two clusters; returns (histories, true cluster of item)."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(n_clusters), per_cluster)
    histories = []
    for _ in range(n_users):
        own = rng.choice(n_clusters, size=2, replace=False)
        pool = np.flatnonzero(np.isin(truth, own))
        histories.append(rng.choice(pool, size=length, replace=False).astype(np.int64))
    return histories, truth.astype(np.int64)


def test_a_partition_that_matches_behaviour_lifts_well_above_one(bench: ModuleType) -> None:
    histories, truth = _clustered_histories()
    coh = bench.coherence_lift(histories, truth)
    assert coh.share > 0.95  # newest item in one of the user's 2 clusters unless the rest all sat in the other
    assert coh.n_users == len(histories)
    assert len(coh.random_shares) == 5
    assert coh.lift > 2.0


def test_a_random_partition_lifts_about_one(bench: ModuleType) -> None:
    histories, truth = _clustered_histories()
    unrelated = np.random.default_rng(99).permutation(truth)
    coh = bench.coherence_lift(histories, unrelated)
    assert 0.85 < coh.lift < 1.15


def test_coherence_skips_single_item_users_and_breaks_ties_by_recency(bench: ModuleType) -> None:
    clusters = np.array([0, 1, 2, 3, 3], dtype=np.int64)
    histories = [np.array([0], dtype=np.int64),  # one item: not scored
                 np.array([0, 1, 2, 3, 4], dtype=np.int64)]  # rest: clusters 0-3 once each, top-3 = 3, 2, 1
    assert bench.top_k_hit_share(histories, clusters) == (1.0, 1)
    oldest = np.array([0, 1, 2, 3, 0], dtype=np.int64)  # newest item in the cluster seen longest ago: left out
    assert bench.top_k_hit_share(histories, oldest) == (0.0, 1)
    assert list(bench.top_clusters(np.array([5, 5, 7, 8, 9]), k=2)) == [5, 9]
    assert bench.coherence_users(histories) == 1


def test_label_fidelity_counts_names_nearest_their_own_centroid(bench: ModuleType) -> None:
    rng = np.random.default_rng(1)
    centroids = np.eye(6, 16, dtype=np.float32) + 0.05 * rng.standard_normal((6, 16)).astype(np.float32)
    names = centroids + 0.1 * rng.standard_normal((6, 16)).astype(np.float32)
    assert bench.label_fidelity(names, centroids) == 1.0
    swapped = names[[1, 0, 2, 3, 4, 5]]  # two interests' names exchanged
    assert bench.label_fidelity(swapped, centroids) == pytest.approx(4 / 6)
    assert bench.label_fidelity(names[::-1], centroids) == 0.0


def test_centroids_are_unit_means_of_members(bench: ModuleType) -> None:
    vecs = np.array([[1, 0], [1, 0.2], [0, 3]], dtype=np.float32)
    cents = bench.cluster_centroids(vecs, np.array([0, 0, 1]), 2)
    assert np.allclose(np.linalg.norm(cents, axis=1), 1.0)
    assert np.allclose(cents[1], [0, 1])


def test_agreement_ignores_unlabelled_items_and_renaming(bench: ModuleType) -> None:
    found = np.array([3, 3, 7, 7, 1])
    truth = ["a", "a", "b", "b", None]
    assert bench.agreement(found, truth) == pytest.approx(1.0)
    assert bench.first_genre("Adventure|Animation|Children") == "Adventure"
    assert bench.first_genre(None) is None and bench.first_genre("") is None


def test_histories_keep_each_item_once_at_its_first_event(bench: ModuleType) -> None:
    events = pd.DataFrame({
        "user_id": ["u1", "u1", "u1", "u2", "u1"],
        "item_id": ["B", "A", "B", "A", "ZZ"],  # ZZ is not in the catalogue
        "occurred_at": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-01-05", "2026-01-01", "2026-01-09"]),
    })
    hist = bench.histories_from_events(events, {"A": 0, "B": 1})
    assert [h.tolist() for h in hist] == [[1, 0], [0]]
    assert [h.tolist() for h in bench.without_newest(hist)] == [[1], [0]]


def test_reference_partitions_have_the_requested_sizes(bench: ModuleType) -> None:
    histories, truth = _clustered_histories(n_users=300, n_clusters=8, per_cluster=6)
    vecs = bench.cooccurrence_vectors(histories, len(truth), dim=8)
    assert vecs.shape == (len(truth), 8)
    fine, theme_of_fine = bench.kmeans_levels(vecs, 8, 3)
    assert len(np.unique(fine)) == 8 and len(np.unique(theme_of_fine)) == 3
    assert bench.agreement(fine, truth.tolist()) > 0.8  # co-visited items share clusters


def test_label_part_shares_take_the_rarest_descriptor_of_each_label(bench: ModuleType) -> None:
    titles = [f"Quiet Story {k} (1994)" for k in range(8)] + ["Harbour Tale (1995)", "Harbour Sea (1996)",
                                                             "Harbour Day (1997)"] + [f"Loud Farce {k} (1985)" for k in range(9)]
    cats = ["Drama"] * 11 + ["Comedy"] * 9
    fine = np.array([0] * 11 + [1] * 9)
    shares = bench.label_part_shares(["Drama · harbour", "Comedy · 1980s · like Loud Farce 2 (1985)", "nothing"],
                                     fine, titles, [None] * 20, cats)  # the third interest has no member
    assert shares[0] == pytest.approx(3 / 11)  # "harbour": 3 of the 11 dramas
    assert shares[1] == pytest.approx(1.0)  # the "like" part is not a descriptor
    assert shares[2] is None
