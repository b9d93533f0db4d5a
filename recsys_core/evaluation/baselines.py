"""Simple scorers the interest model must beat: popularity, item-kNN, content kNN.

Each scorer is fitted on training sequences and scores every catalogue item for a batch of
histories: ``score(histories) -> (len(histories), n_items)`` float32.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse

from recsys_core.interests.sequences import Sequences


class PopularScorer:
    """Items by how many training users had them."""

    def fit(self, seqs: Sequences, n_items: int) -> PopularScorer:
        self.popularity_ = seqs.item_counts(n_items).astype(np.float32)
        return self

    def score(self, histories: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        return np.tile(self.popularity_, (len(histories), 1))


class ItemKNNScorer:
    """Sum of cosine co-occurrence similarities to the history (or its last ``recent`` items)."""

    def __init__(self, recent: int | None = None) -> None:
        self.recent = recent

    def fit(self, seqs: Sequences, n_items: int) -> ItemKNNScorer:
        rows = np.repeat(np.arange(len(seqs)), seqs.lengths())
        x = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, seqs.items)), shape=(len(seqs), n_items))
        x.data[:] = 1.0  # duplicates (none expected) stay binary
        deg = np.asarray(x.sum(axis=0)).ravel()
        self.inv_sqrt_ = np.where(deg > 0, 1.0 / np.sqrt(np.maximum(deg, 1)), 0.0).astype(np.float32)
        self.x_ = x
        self.xt_ = x.T.tocsr()
        self.n_items_ = n_items
        return self

    def score(self, histories: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        rows, cols = [], []
        for r, h in enumerate(histories):
            h = h[-self.recent:] if self.recent else h
            rows.extend([r] * len(h))
            cols.extend(h.tolist())
        q = sparse.csr_matrix((self.inv_sqrt_[cols], (rows, cols)), shape=(len(histories), self.n_items_))
        co = (q @ self.xt_) @ self.x_  # (B, n_items): sum over history of co-counts / sqrt(deg_h)
        dense = np.asarray(co.todense(), dtype=np.float32)
        return dense * self.inv_sqrt_[None, :]


class ContentKNNScorer:
    """Cosine of each item's text vector to the mean text vector of the history."""

    def __init__(self, emb: npt.NDArray[np.float32]) -> None:
        self.emb = emb

    def fit(self, seqs: Sequences, n_items: int) -> ContentKNNScorer:
        return self

    def score(self, histories: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        profile = np.stack([self.emb[h].mean(axis=0) if len(h) else np.zeros(self.emb.shape[1], np.float32)
                            for h in histories])
        return (profile @ self.emb.T).astype(np.float32)
