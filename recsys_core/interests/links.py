"""Items chosen together: the item-to-item part of the short-term score.

The interest model pools a user's recent items into one vector; what it cannot hold in 64
numbers is which exact items tend to follow which. This part adds it, from the same training
sequences: an item-to-item weight matrix ``B`` fitted in closed form (EASE, Steck 2019: ridge
regression of each item's column on all others, zero diagonal), kept sparse (each item's
``top_k`` strongest links), read from the user's newest items with weights decaying by position.

A candidate's link score is ``sum_i w_i * B[slot_i, item]`` over history slots: a sum of
per-item terms, so the served score still splits exactly into per-history-item evidence. It is
added to the short-term branch's score (recent activity is what it reads), so the long/short
split and the fusion slider keep their meaning. Its weight is scaled in ``B`` itself, chosen on
the validation items at the learned gate (``training.fit_fusion``); 0 when links do not help.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.linalg
import scipy.linalg.lapack
import scipy.sparse as sp

from recsys_core.config import LinksConfig
from recsys_core.interests.sequences import Sequences

_log = logging.getLogger(__name__)

Links: TypeAlias = sp.csr_matrix  # (n_items, n_items) item-to-item weights, already scaled


def fit_links(seqs: Sequences, n_items: int, config: LinksConfig) -> Links:
    """EASE weights between the items chosen by at least ``min_count`` users (the ``max_items``
    most chosen when there are more), each row pruned to its ``top_k`` largest links."""
    lengths = seqs.lengths()
    users = np.repeat(np.arange(len(seqs)), lengths)
    x = sp.csr_matrix((np.ones(len(seqs.items), np.float32), (users, seqs.items)), shape=(len(seqs), n_items))
    x.data[:] = 1.0  # an item twice in a history counts once
    counts = np.asarray(x.sum(axis=0)).ravel()
    keep = np.flatnonzero(counts >= config.min_count)
    if len(keep) > config.max_items:
        keep = np.sort(keep[np.argsort(-counts[keep], kind="stable")[: config.max_items]])
    if len(keep) < 2:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    xk = x[:, keep]
    n = len(keep)
    gram = (xk.T @ xk).toarray().astype(np.float32)  # float32 and in place: 10k items take 0.8 GB, not 2.4
    gram[np.diag_indices(n)] += config.l2
    # the inverse from the Cholesky factor (LAPACK potri, in place): a third of the work of
    # solving against the identity; it fills the upper triangle, mirrored below
    factor, info = scipy.linalg.lapack.spotrf(gram, lower=0, overwrite_a=1)
    if info == 0:
        weights, info = scipy.linalg.lapack.spotri(factor, lower=0, overwrite_c=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"the links' ridge system is not positive definite (LAPACK info {info})")
    del factor, gram
    for start in range(0, n, 1024):  # mirror the upper triangle below, a band at a time (no n x n index)
        end = min(start + 1024, n)
        weights[start:end, :start] = weights[:start, start:end].T
        block = weights[start:end, start:end]
        weights[start:end, start:end] = np.triu(block) + np.triu(block, 1).T
    weights /= -np.diag(weights).copy()  # B = -P / diag(P): column j scaled by its own diagonal
    np.fill_diagonal(weights, 0.0)
    k = min(config.top_k, n - 1)
    parts = []
    for start in range(0, n, 1024):  # each item's k strongest links, a block of rows at a time
        block = weights[start:start + 1024]
        top = np.argpartition(-np.abs(block), k - 1, axis=1)[:, :k]
        parts.append((top, np.take_along_axis(block, top, axis=1)))
    rows = np.repeat(keep, k)
    cols = keep[np.concatenate([t for t, _ in parts]).ravel()]
    vals = np.concatenate([v for _, v in parts]).ravel().astype(np.float32)
    links = sp.csr_matrix((vals, (rows, cols)), shape=(n_items, n_items))
    links.eliminate_zeros()
    links.sort_indices()  # link_contrib_many searches each row's columns
    _log.info("links: %d items, %d links", len(keep), links.nnz)
    return links


def slot_weights(n_slots: int, config: LinksConfig) -> npt.NDArray[np.float32]:
    """``(n_slots,)`` weight of each history slot (newest last): ``exp(-position / decay)`` for
    the newest ``window`` slots, 0 before them."""
    position = np.arange(n_slots)[::-1].astype(np.float32)
    return np.where(position < config.window, np.exp(-position / config.decay_items), 0.0).astype(np.float32)


def link_scores(links: Links, slots: npt.NDArray[np.int64], weights: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``(n_items,)`` link score of every item for one user's slots."""
    return link_scores_many(links, [slots], [weights])[0]


def link_scores_many(links: Links, slots: list[npt.NDArray[np.int64]],
                     weights: list[npt.NDArray[np.float32]]) -> npt.NDArray[np.float32]:
    """``(users, n_items)`` link scores for many users' slots and slot weights at once (one
    sparse product; each user's row is computed alone, so it is the same in any batch)."""
    return np.asarray(link_product(links, slots, weights).toarray(), dtype=np.float32)


def link_product(links: Links, slots: list[npt.NDArray[np.int64]],
                 weights: list[npt.NDArray[np.float32]]) -> sp.csr_matrix:
    """:func:`link_scores_many` still sparse (a user's row holds only the items their newest
    items link to), its entries summed and sorted: cheap to add into a dense score matrix."""
    used = [w > 0 for w in weights]
    rows = np.repeat(np.arange(len(slots)), [int(u.sum()) for u in used])
    cols = np.concatenate([s[u] for s, u in zip(slots, used, strict=True)]) if slots else np.zeros(0, np.int64)
    vals = np.concatenate([w[u] for w, u in zip(weights, used, strict=True)]) if slots else np.zeros(0, np.float32)
    if links.nnz == 0 or len(vals) == 0:
        return sp.csr_matrix((len(slots), links.shape[1]), dtype=np.float32)
    matrix = sp.csr_matrix((vals.astype(np.float32), (rows, cols)), shape=(len(slots), links.shape[0]))
    product = (matrix @ links).astype(np.float32)
    product.sum_duplicates()
    return product


def link_contrib(links: Links, slots: npt.NDArray[np.int64], weights: npt.NDArray[np.float32],
                 item: int) -> npt.NDArray[np.float32]:
    """``(L,)`` each slot's part of one item's link score (they sum to it)."""
    return link_contrib_many(links, slots, weights, np.array([item], np.int64))[0]


def link_contrib_many(links: Links, slots: npt.NDArray[np.int64], weights: npt.NDArray[np.float32],
                      items: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """``(len(items), L)``: :func:`link_contrib` of several items, read straight from the
    sparse rows (each row's columns are sorted: one binary search for every slot and item)."""
    used = np.flatnonzero(weights > 0)
    out = np.zeros((len(items), len(slots)), np.float32)
    if links.nnz == 0 or len(used) == 0 or len(items) == 0:
        return out
    if not links.has_sorted_indices:  # made elsewhere than fit_links / links_from_checkpoint
        links = links.sorted_indices()
    starts, ends = links.indptr[slots[used]], links.indptr[slots[used] + 1]
    lengths = ends - starts
    if lengths.sum() == 0:
        return out
    # every used slot's row laid end to end, keyed (slot position, column): sorted, so searchable
    flat = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
    width = links.shape[1]
    keys = np.repeat(np.arange(len(used), dtype=np.int64), lengths) * width + links.indices[flat]
    wanted = np.arange(len(used), dtype=np.int64)[:, None] * width + np.asarray(items, np.int64)[None, :]
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    found = keys[at] == wanted  # (used slots, items)
    parts = np.where(found, links.data[flat[at]], 0.0) * weights[used, None]
    out[:, used] = parts.T
    return out


def batch_link_scores(links: Links, histories: list[npt.NDArray[np.int64]], config: LinksConfig,
                      max_history: int) -> npt.NDArray[np.float32]:
    """``(users, n_items)`` link scores for many users, each read from their newest
    ``max_history`` items (the slots the encoder reads)."""
    slots = [items[-max_history:] for items in histories]
    return link_scores_many(links, slots, [slot_weights(len(s), config) for s in slots])


def links_to_checkpoint(links: Links | None, config: LinksConfig) -> dict[str, object] | None:
    """The links as plain arrays for a build's checkpoint (None: no links)."""
    if links is None:
        return None
    return {"config": dataclasses.asdict(config), "data": links.data, "indices": links.indices,
            "indptr": links.indptr, "shape": links.shape}


def links_from_checkpoint(ckpt: dict[str, object], n_items: int) -> tuple[Links | None, LinksConfig]:
    """A build's links, grown to ``n_items`` rows and columns (items imported after the build
    have none); ``(None, defaults)`` for a build without links."""
    stored = ckpt.get("links")
    if not isinstance(stored, dict):
        return None, LinksConfig()
    config = LinksConfig(**{**stored["config"], "weights": tuple(stored["config"]["weights"])})
    links = sp.csr_matrix((stored["data"], stored["indices"], stored["indptr"]), shape=tuple(stored["shape"]))
    links.resize((n_items, n_items))
    links.sort_indices()  # link_contrib_many searches each row's columns
    return links, config
