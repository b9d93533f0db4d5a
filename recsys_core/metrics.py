"""Ranking and list metrics as pure functions of arrays: the one definition of each metric.

A leaf module (NumPy only): the trainer's early stopping, the evaluation, the lab's list
summary and the command line all read their figures from here, so a name means one number.
Ranks are 1-based positions of the held-out item in a full ranking of the catalogue with
the user's training items removed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def rank_of_targets(scores: npt.NDArray[np.floating], targets: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """1-based rank of each row's target among finite scores; ties count half (expected rank)."""
    t = scores[np.arange(len(targets)), targets][:, None]
    greater = (scores > t).sum(axis=1)
    equal = (scores == t).sum(axis=1) - 1
    return (1 + greater + equal // 2).astype(np.int64)


def top_k_lists(scores: npt.NDArray[np.floating], k: int) -> npt.NDArray[np.int64]:
    """Per row, the column indices of the ``k`` highest scores, best first."""
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(scores, part, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(part, order, axis=1)


def hit_rate_at_k(ranks: npt.NDArray[np.int64], k: int) -> float:
    """Share of users whose held-out item is in the top ``k``."""
    return float(np.mean(ranks <= k)) if len(ranks) else float("nan")


def ndcg_per_user(ranks: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.float64]:
    """NDCG@k per user with one relevant item: ``1 / log2(rank + 1)`` inside the top ``k``, else 0."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0)


def ndcg_at_k(ranks: npt.NDArray[np.int64], k: int) -> float:
    return float(ndcg_per_user(ranks, k).mean()) if len(ranks) else float("nan")


def mean_reciprocal_rank(ranks: npt.NDArray[np.int64]) -> float:
    return float(np.mean(1.0 / np.asarray(ranks, dtype=np.float64))) if len(ranks) else float("nan")


def catalogue_coverage(lists: npt.NDArray[np.int64], n_items: int) -> float:
    """Share of the catalogue that appears in at least one list; ``lists`` is (n_users, n)."""
    return float(len(np.unique(lists)) / n_items) if n_items else float("nan")


def intra_list_diversity(lists: npt.NDArray[np.int64], emb: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Per list: mean pairwise cosine distance ``1 - cos`` of its items (rows of ``emb`` are unit)."""
    vecs = emb[lists]  # (U, n, d)
    sims = np.einsum("und,umd->unm", vecs, vecs)
    n = lists.shape[1]
    if n < 2:
        return np.zeros(len(lists))
    off = (sims.sum(axis=(1, 2)) - np.einsum("unn->u", sims)) / (n * (n - 1))
    return 1.0 - off


def novelty(lists: npt.NDArray[np.int64], popularity: npt.NDArray[np.float64], n_users: int) -> npt.NDArray[np.float64]:
    """Per list: mean self-information ``-log2(p_i)`` with ``p_i`` the share of users who had item i."""
    p = np.clip(popularity / max(n_users, 1), 1.0 / max(n_users, 1) / 2, 1.0)
    return (-np.log2(p[lists])).mean(axis=1)


def calibration_kl(
    user_mix: npt.NDArray[np.float64], list_mix: npt.NDArray[np.float64], smoothing: float = 0.01
) -> npt.NDArray[np.float64]:
    """Per user: KL(p || q~) of the history's theme mix p against the list's mix q (Steck 2018),
    with ``q~ = (1 - smoothing) q + smoothing p``. 0 = perfectly calibrated."""
    q = (1 - smoothing) * list_mix + smoothing * user_mix
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(user_mix > 0, user_mix * np.log(user_mix / q), 0.0)
    return terms.sum(axis=1)


def theme_mix(item_lists: list[npt.NDArray[np.int64]], theme_of_item: npt.NDArray[np.int64], n_themes: int) -> npt.NDArray[np.float64]:
    """Rows: the share of each theme among a list's items."""
    out = np.zeros((len(item_lists), n_themes))
    for row, items in enumerate(item_lists):
        if len(items):
            out[row] = np.bincount(theme_of_item[items], minlength=n_themes) / len(items)
    return out
