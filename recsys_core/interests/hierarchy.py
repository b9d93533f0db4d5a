"""The interest hierarchy: items -> fine interests -> broad themes, built from item embeddings.

Fine interests are k-means clusters of the item vectors (text blended with behaviour and
categories, see :mod:`item_space`); themes are a Ward agglomerative clustering of the fine
centroids, so every fine interest sits under exactly one theme. Sizes come from the data
(about sqrt(n_items) fine interests; the coarsest theme cut whose silhouette is within one
standard error of the best, with at least 3 fine interests per theme) unless the config fixes
them. Labels name what members share (:mod:`labels`), else c-TF-IDF keywords of their texts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.config import HierarchyConfig
from recsys_core.errors import NotFittedError
from recsys_core.interests.item_space import choose_n_themes, theme_bounds
from recsys_core.interests.labels import COMBINED_MAX, Descriptors, NodeLabel, descriptor_labels, most_distinct

_log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class HierarchyScores:
    """Agreement of found clusters with known labels (1 = identical partition)."""

    nmi: float
    ari: float


def _normalise(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def member_centroids(vectors: npt.ArrayLike, members_of: npt.ArrayLike, n_nodes: int | None = None,
                     ) -> npt.NDArray[np.float32]:
    """``(n_nodes, d)`` unit-length mean vector of each node's members (zero for an empty node)."""
    x = np.asarray(vectors, dtype=np.float32)
    labels = np.asarray(members_of, dtype=np.int64)
    n_nodes = int(labels.max()) + 1 if n_nodes is None else n_nodes
    sums = np.zeros((n_nodes, x.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, x)
    counts = np.bincount(labels, minlength=n_nodes)[:, None]
    return _normalise((sums / np.maximum(counts, 1)).astype(np.float32))


def choose_n_fine(n_items: int) -> int:
    """About sqrt(n_items) fine interests, at least 4 and at most 400 (and never above n_items/2)."""
    return int(max(2, min(400, max(4, round(np.sqrt(n_items))), n_items // 2)))


def keyword_labels(texts_by_cluster: list[str], n_keywords: int) -> list[list[str]]:
    """Top c-TF-IDF terms per cluster: frequent inside, rare across clusters."""
    from sklearn.feature_extraction.text import CountVectorizer

    if not texts_by_cluster:
        return []
    vec = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]{2,}\b",
                          max_features=20000)
    try:
        counts = vec.fit_transform(texts_by_cluster)
    except ValueError:  # no usable words at all
        return [[] for _ in texts_by_cluster]
    tf = np.asarray(counts.toarray(), dtype=np.float64)
    tf = tf / np.maximum(tf.sum(axis=1, keepdims=True), 1.0)
    avg = tf.sum(axis=0).mean() if tf.size else 1.0
    idf = np.log1p(avg / np.maximum(tf.sum(axis=0), 1e-12))
    weights = tf * idf
    vocab = np.array(vec.get_feature_names_out())
    out = []
    for row in weights:
        top = np.argsort(-row, kind="stable")[:n_keywords]
        out.append([str(vocab[j]) for j in top if row[j] > 0])
    return out


class InterestHierarchy:
    """Two interest levels above the items.

    Args:
        config: Level sizes and label settings.
        seed: Seed of the clustering; the result is deterministic given it.

    Attributes (after :meth:`fit`):
        fine_of_item_: ``(n_items,)`` fine interest of each item.
        theme_of_fine_: ``(n_fine,)`` theme of each fine interest.
        fine_centroids_: ``(n_fine, dim)`` unit-length centroids in the clustered space;
            ``theme_centroids_`` likewise.
        fine_text_centroids_: ``(n_fine, text_dim)`` unit-length centroids of the members'
            text vectors: where a new item (text only, no events yet) is placed (:meth:`assign`).
        nodes_: one row per node: level, node_id, parent_id, label, keywords, size, representatives.
        theme_choice_: how the theme count was chosen (rule, bounds, silhouettes).
        item_vectors_, space_info_: the clustered vectors and how their blocks were weighted
            (set by :func:`recsys_core.training.build_hierarchy`).
    """

    item_vectors_: npt.NDArray[np.float32]
    space_info_: dict[str, Any]
    theme_choice_: dict[str, Any]

    def __init__(self, config: HierarchyConfig | None = None, seed: int = 42) -> None:
        self.config = config or HierarchyConfig()
        self.seed = seed

    def fit(
        self, vectors: npt.NDArray[np.float32], texts: list[str], item_ids: list[str], *,
        text_vectors: npt.NDArray[np.float32] | None = None, descriptors: Descriptors | None = None,
        embed: Callable[[list[str]], npt.NDArray[np.float32]] | None = None, titles: list[str] | None = None,
        popularity: npt.ArrayLike | None = None,
    ) -> InterestHierarchy:
        """Cluster items into fine interests and fine interests into themes.

        Args:
            vectors: ``(n_items, dim)`` the item vectors to cluster (text alone, or the blend
                of :func:`item_space.build_item_vectors`).
            texts: Item texts, for keyword labels when there are no descriptors.
            item_ids: Item ids, for representatives.
            text_vectors: The items' text vectors, for placing new items; ``vectors`` if None.
            descriptors: What items share (:mod:`labels`), for the labels; c-TF-IDF keywords
                of ``texts`` if None.
            embed: The sentence encoder (texts -> vectors in ``text_vectors``' space), to pick
                the most distinct of each node's candidate labels (:func:`labels.most_distinct`).
            titles: Item titles: a label must sit nearer its own members' titles than any other
                node's; ``texts`` stand in if None.
            popularity: Per item, how many users have it: two nodes that no descriptor tells
                apart are told apart by their best-known member ("Drama · 1990s · like Fargo
                (1996)"); the member nearest the node's centre if None.
        """
        from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans

        n = vectors.shape[0]
        if n < 4:
            raise ValueError(f"need at least 4 items to build an interest hierarchy, got {n}")
        x = _normalise(np.asarray(vectors, dtype=np.float32))
        n_fine = min(self.config.n_fine or choose_n_fine(n), n)
        if n > 20000:
            km = MiniBatchKMeans(n_clusters=n_fine, random_state=self.seed, n_init=3, batch_size=4096)
        else:
            km = KMeans(n_clusters=n_fine, random_state=self.seed, n_init=4)
        fine = km.fit_predict(x).astype(np.int64)
        # clusters k-means left empty are dropped and ids compacted
        used = np.unique(fine)
        remap = np.full(n_fine, -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        fine = remap[fine]
        n_fine = len(used)
        fine_centroids = member_centroids(x, fine, n_fine)
        text_x = x if text_vectors is None else _normalise(np.asarray(text_vectors, dtype=np.float32))

        bounds = None
        if self.config.max_themes is not None:
            lo, hi = theme_bounds(n_fine)
            bounds = (min(lo, self.config.max_themes), min(hi, self.config.max_themes))
        n_themes, self.theme_choice_ = choose_n_themes(fine_centroids, self.config.n_themes, bounds)
        if n_themes <= 1:
            theme_of_fine = np.zeros(n_fine, dtype=np.int64)
        else:
            theme_of_fine = AgglomerativeClustering(n_clusters=n_themes, linkage="ward").fit_predict(
                fine_centroids).astype(np.int64)
        n_themes = int(theme_of_fine.max()) + 1
        theme_of_item = theme_of_fine[fine]
        theme_centroids = member_centroids(x, theme_of_item, n_themes)

        self.fine_of_item_ = fine
        self.theme_of_fine_ = theme_of_fine
        self.fine_centroids_ = fine_centroids
        self.fine_text_centroids_ = member_centroids(text_x, fine, n_fine)
        self.theme_centroids_ = theme_centroids
        self.nodes_ = self._describe(x, texts, item_ids, descriptors, embed, titles, popularity)
        _log.info("hierarchy: %d items -> %d fine interests -> %d themes", n, n_fine, n_themes)
        return self

    # ------------------------------------------------------------------ queries
    def check_fitted(self) -> None:
        if not hasattr(self, "fine_of_item_"):
            raise NotFittedError("the interest hierarchy has not been built yet")

    @property
    def n_fine(self) -> int:
        self.check_fitted()
        return int(self.theme_of_fine_.shape[0])

    @property
    def n_themes(self) -> int:
        self.check_fitted()
        return int(self.theme_of_fine_.max()) + 1

    @property
    def theme_of_item_(self) -> npt.NDArray[np.int64]:
        return self.theme_of_fine_[self.fine_of_item_]

    def score_against(self, fine_truth: list[str] | None, theme_truth: list[str]) -> dict[str, HierarchyScores]:
        """NMI and ARI of the found levels against known labels (same item order)."""
        from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

        self.check_fitted()
        out = {"theme": HierarchyScores(
            float(normalized_mutual_info_score(theme_truth, self.theme_of_item_)),
            float(adjusted_rand_score(theme_truth, self.theme_of_item_)))}
        if fine_truth is not None:
            out["fine"] = HierarchyScores(
                float(normalized_mutual_info_score(fine_truth, self.fine_of_item_)),
                float(adjusted_rand_score(fine_truth, self.fine_of_item_)))
        return out

    def assign(self, text_emb: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Fine interest and theme of new items from their text: the nearest text centroid."""
        self.check_fitted()
        fine = np.argmax(_normalise(np.asarray(text_emb, dtype=np.float32)) @ self.fine_text_centroids_.T, axis=1)
        return fine.astype(np.int64), self.theme_of_fine_[fine]

    # ------------------------------------------------------------------ labels
    def _describe(self, x: npt.NDArray[np.float32], texts: list[str], item_ids: list[str],
                  descriptors: Descriptors | None, embed: Callable[[list[str]], npt.NDArray[np.float32]] | None,
                  titles: list[str] | None, popularity: npt.ArrayLike | None) -> pd.DataFrame:
        cfg = self.config
        title_x = (np.asarray(embed(list(titles if titles is not None else texts)), dtype=np.float32)
                   if embed is not None and descriptors is not None else None)
        fine, themes = self.fine_of_item_, self.theme_of_fine_[self.fine_of_item_]
        rows = []
        for level, members_of, centroids, parent in (
            ("fine", fine, self.fine_centroids_, self.theme_of_fine_),
            ("theme", themes, self.theme_centroids_, None),
        ):
            n_nodes = centroids.shape[0]
            docs = [" ".join(texts[i] for i in np.flatnonzero(members_of == node)) for node in range(n_nodes)]
            keywords = keyword_labels(docs, cfg.n_keywords)
            # a theme is broad: it keeps its categories first (no title-word combinations, which
            # would name a whole theme after two words a few of its titles share)
            described = (descriptor_labels(descriptors, members_of, n_nodes, cfg.n_keywords,
                                           max_combined=COMBINED_MAX if level == "fine" else 1)
                         if descriptors is not None else [NodeLabel(None, [], [])] * n_nodes)
            members = [np.flatnonzero(members_of == node) for node in range(n_nodes)]
            central = [idx[np.argsort(-(x[idx] @ centroids[node]), kind="stable")] for node, idx in enumerate(members)]
            labels = [d.label for d in described]
            if embed is not None and title_x is not None and any(d.candidates for d in described):
                named = list(titles if titles is not None else texts)
                # the best-known member (the most central among equals), else the most central
                known = (np.zeros(len(named)) if popularity is None else np.asarray(popularity, np.float64))
                best = [c[np.argmax(known[c])] if len(c) else -1 for c in central]
                labels = most_distinct([d.candidates for d in described], member_centroids(title_x, members_of, n_nodes),
                                       embed, exemplars=[named[b] if b >= 0 else "" for b in best])
            for node in range(n_nodes):
                idx = members[node]
                reps = [item_ids[i] for i in central[node][: cfg.n_representatives]]
                label, words = labels[node], described[node].keywords or keywords[node]
                rows.append({
                    "level": level,
                    "node_id": node,
                    "parent_id": int(parent[node]) if parent is not None else None,
                    "label": label or (", ".join(words[:3]) if words else f"{level} {node}"),
                    "keywords": words,
                    "size": int(len(idx)),
                    "representatives": reps,
                })
        return pd.DataFrame(rows).astype({"parent_id": "Int64"})
