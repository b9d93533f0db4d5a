"""Items chosen together: the item-to-item part of the short-term score.

The interest model pools a user's recent items into one vector; what it cannot hold in 64
numbers is which exact items tend to go with, and to follow, which. This part adds it, from
the same training sequences, as one sparse item-to-item matrix ``B`` made of two closed-form
ridge fits (each item's ``top_k`` strongest links kept):

- **together** (EASE, Steck 2019): each item's column regressed on all other items of the same
  histories, zero diagonal: what a user's items have in common;
- **next** (the transition part of SLIST, Choi et al. 2021): the item at each position regressed
  on the items just before it, weighted by position exactly as they are read: what comes next.

``B = weight * (together + share * next)``, the transition part first scaled to the same mean
size; ``weight`` and ``share`` are chosen on the validation items at the learned gate
(``training.fit_fusion``), 0 when they do not help. A candidate's link score is
``sum_i w_i * B[slot_i, item]`` over history slots: a sum of per-item terms, so the served score
still splits exactly into per-history-item evidence. It is added to the short-term branch's
score (recent activity is what it reads), so the long/short split and the fusion slider keep
their meaning.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.linalg
import scipy.linalg.lapack
import scipy.sparse as sp

from recsys_core.config import LinksConfig
from recsys_core.interests.sequences import Sequences

_log = logging.getLogger(__name__)

Links: TypeAlias = sp.csr_matrix  # (n_items, n_items) item-to-item weights, already scaled


def _kept_items(seqs: Sequences, n_items: int, config: LinksConfig) -> npt.NDArray[np.int64]:
    """The items chosen by at least ``min_count`` users (the ``max_items`` most chosen when
    there are more), in catalogue order: the only ones that get links."""
    lengths = seqs.lengths()
    users = np.repeat(np.arange(len(seqs)), lengths)
    x = sp.csr_matrix((np.ones(len(seqs.items), np.float32), (users, seqs.items)), shape=(len(seqs), n_items))
    x.data[:] = 1.0  # an item twice in a history counts once
    counts = np.asarray(x.sum(axis=0)).ravel()
    keep = np.flatnonzero(counts >= config.min_count)
    if len(keep) > config.max_items:
        keep = np.sort(keep[np.argsort(-counts[keep], kind="stable")[: config.max_items]])
    return keep.astype(np.int64)


def _inverse_in_place(gram: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The inverse of a symmetric positive definite float32 matrix, from its Cholesky factor
    (LAPACK potri, in place: a third of the work of solving against the identity), whole."""
    factor, info = scipy.linalg.lapack.spotrf(gram, lower=0, overwrite_a=1)
    if info == 0:
        inverse, info = scipy.linalg.lapack.spotri(factor, lower=0, overwrite_c=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"the links' ridge system is not positive definite (LAPACK info {info})")
    n = inverse.shape[0]
    for start in range(0, n, 1024):  # mirror the upper triangle below, a band at a time (no n x n index)
        end = min(start + 1024, n)
        inverse[start:end, :start] = inverse[:start, start:end].T
        block = inverse[start:end, start:end]
        inverse[start:end, start:end] = np.triu(block) + np.triu(block, 1).T
    return inverse


def _strongest(weights: npt.NDArray[np.float32], keep: npt.NDArray[np.int64], n_items: int, top_k: int) -> Links:
    """The dense ``(len(keep), len(keep))`` weights as a sparse catalogue matrix holding each
    row's ``top_k`` largest links (by size), columns sorted."""
    n = len(keep)
    k = min(top_k, n - 1)
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
    return links


def fit_links(seqs: Sequences, n_items: int, config: LinksConfig) -> Links:
    """The "together" links: EASE weights between the kept items, each row pruned to its
    ``top_k`` largest."""
    keep = _kept_items(seqs, n_items, config)
    if len(keep) < 2:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    lengths = seqs.lengths()
    users = np.repeat(np.arange(len(seqs)), lengths)
    x = sp.csr_matrix((np.ones(len(seqs.items), np.float32), (users, seqs.items)), shape=(len(seqs), n_items))
    x.data[:] = 1.0
    xk = x[:, keep]
    n = len(keep)
    gram = (xk.T @ xk).toarray().astype(np.float32)  # float32 and in place: 10k items take 0.8 GB, not 2.4
    gram[np.diag_indices(n)] += config.l2
    weights = _inverse_in_place(gram)
    del gram
    weights /= -np.diag(weights).copy()  # B = -P / diag(P): column j scaled by its own diagonal
    np.fill_diagonal(weights, 0.0)
    links = _strongest(weights, keep, n_items, config.top_k)
    _log.info("links (together): %d items, %d links", n, links.nnz)
    return links


def fit_transitions(seqs: Sequences, n_items: int, config: LinksConfig) -> Links:
    """The "next" links: ridge regression of the item at every position on the items before
    it, each weighted by :func:`slot_weights` as if it were read there (the newest one by 1),
    between the kept items; each row pruned to its ``top_k`` largest, no item linked to itself."""
    keep = _kept_items(seqs, n_items, config)
    if len(keep) < 2 or len(seqs.items) == 0:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    column = np.full(n_items, -1, np.int64)
    column[keep] = np.arange(len(keep))
    n = len(keep)
    position = np.arange(len(seqs.items)) - np.repeat(seqs.offsets[:-1], seqs.lengths())
    rows, cols, vals = [], [], []
    for lag in range(1, config.window + 1):  # the item ``lag`` places before each position
        at = np.flatnonzero(position >= lag)
        rows.append(at)
        cols.append(seqs.items[at - lag])
        vals.append(np.full(len(at), math.exp(-(lag - 1) / config.decay_items), np.float32))
    col = column[np.concatenate(cols)]
    row = np.concatenate(rows)
    inside = col >= 0
    source = sp.csr_matrix((np.concatenate(vals)[inside], (row[inside], col[inside])), shape=(len(seqs.items), n))
    target_col = column[seqs.items]
    hit = target_col >= 0
    target = sp.csr_matrix((np.ones(int(hit.sum()), np.float32), (np.flatnonzero(hit), target_col[hit])),
                           shape=(len(seqs.items), n))
    gram = (source.T @ source).toarray().astype(np.float32)
    gram[np.diag_indices(n)] += config.transition_l2
    inverse = _inverse_in_place(gram)
    del gram
    weights = np.zeros((n, n), np.float32)
    cross = (source.T @ target).tocsc()  # (n, n): how often each kept item came just before each other
    for start in range(0, n, 1024):  # B = inverse @ cross, a band of rows at a time
        end = min(start + 1024, n)
        weights[start:end] = np.asarray((cross.T @ inverse[start:end].T).T, dtype=np.float32)
    del inverse
    np.fill_diagonal(weights, 0.0)  # an item the user has is never recommended to them again
    links = _strongest(weights, keep, n_items, config.top_k)
    _log.info("links (next): %d items, %d links", n, links.nnz)
    return links


@dataclasses.dataclass(frozen=True, slots=True)
class LinkParts:
    """Both fits on one set of sequences, before the weights validation chooses; ``next`` is
    scaled to ``together``'s mean absolute link (None when transitions are off)."""

    together: Links
    next: Links | None

    def mixed(self, weight: float, share: float) -> Links | None:
        """``weight * (together + share * next)``, or None at weight 0."""
        if weight <= 0:
            return None
        links = self.together if self.next is None or share <= 0 else self.together + self.next * share
        links = (links * weight).tocsr()
        links.sort_indices()
        return links


def fit_link_parts(seqs: Sequences, n_items: int, config: LinksConfig) -> LinkParts:
    """Both kinds of links on ``seqs`` (see the module's docstring)."""
    together = fit_links(seqs, n_items, config)
    if not config.transitions:
        return LinkParts(together, None)
    nxt = fit_transitions(seqs, n_items, config)
    if nxt.nnz and together.nnz:
        nxt = nxt * float(np.abs(together.data).mean() / np.abs(nxt.data).mean())
    return LinkParts(together, nxt.tocsr())


def item_links(seqs: Sequences, n_items: int, config: LinksConfig, weight: float, share: float) -> Links | None:
    """The links a build serves: both fits on ``seqs`` mixed at the chosen weight and share."""
    if weight <= 0:
        return None
    return fit_link_parts(seqs, n_items, config).mixed(weight, share)


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
    return link_contrib_users(links, [slots], [weights], [items])[0]


def link_contrib_users(links: Links, slots: list[npt.NDArray[np.int64]], weights: list[npt.NDArray[np.float32]],
                       items: list[npt.NDArray[np.int64]]) -> list[npt.NDArray[np.float32]]:
    """:func:`link_contrib_many` of several users, each with their own slots and items: one
    search for them all (a list of 20 items per user costs a few array calls per user, not
    twenty)."""
    n_slots = np.array([len(s) for s in slots], np.int64)
    n_items = np.array([len(i) for i in items], np.int64)
    out = [np.zeros((int(m), int(k)), np.float32) for m, k in zip(n_items, n_slots, strict=True)]
    used = [np.flatnonzero(w > 0) if m else np.zeros(0, np.int64) for w, m in zip(weights, n_items, strict=True)]
    n_used = np.array([len(u) for u in used], np.int64)
    if links.nnz == 0 or not (n_used * n_items).any():
        return out
    if not links.has_sorted_indices:  # made elsewhere than fit_links / links_from_checkpoint
        links = links.sorted_indices()
    rows = np.concatenate([s[u] for s, u in zip(slots, used, strict=True)])  # every used slot's link row
    starts, lengths = links.indptr[rows], links.indptr[rows + 1] - links.indptr[rows]
    if lengths.sum() == 0:
        return out
    # every used slot's row laid end to end, keyed (slot number, column): sorted, so searchable
    flat = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
    width = links.shape[1]
    keys = np.repeat(np.arange(len(rows), dtype=np.int64), lengths) * width + links.indices[flat]
    # wanted: each used slot against each of its user's items, slot by slot
    owner = np.repeat(np.arange(len(slots)), n_used)
    per_slot = n_items[owner]
    slot_of = np.repeat(np.arange(len(rows), dtype=np.int64), per_slot)
    item_start = np.cumsum(n_items) - n_items
    within = np.arange(int(per_slot.sum())) - np.repeat(np.cumsum(per_slot) - per_slot, per_slot)
    item_of = np.concatenate(items).astype(np.int64)[np.repeat(item_start[owner], per_slot) + within]
    wanted = slot_of * width + item_of
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    found = keys[at] == wanted
    slot_weight = np.concatenate([w[u] for w, u in zip(weights, used, strict=True)])
    parts = np.where(found, links.data[flat[at]], 0.0) * slot_weight[slot_of]
    done = 0
    for user, (m, k) in enumerate(zip(n_items.tolist(), n_used.tolist(), strict=True)):
        if m * k:
            out[user][:, used[user]] = parts[done:done + m * k].reshape(k, m).T
        done += m * k
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
    known = {f.name for f in dataclasses.fields(LinksConfig)}  # a later version's settings are not ours to read
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                              for k, v in stored["config"].items() if k in known}  # type: ignore[attr-defined]
    config = LinksConfig(**fields)
    links = sp.csr_matrix((stored["data"], stored["indices"], stored["indptr"]), shape=tuple(stored["shape"]))
    links.resize((n_items, n_items))
    links.sort_indices()  # link_contrib_many searches each row's columns
    return links, config
