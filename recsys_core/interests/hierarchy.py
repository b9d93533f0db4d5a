"""The interest hierarchy: items -> fine interests -> broad themes, built from item embeddings.

Fine interests are k-means clusters of the item text vectors; themes are a Ward agglomerative
clustering of the fine centroids, so every fine interest sits under exactly one theme. Sizes
come from the data (about sqrt(n_items) fine interests; the theme count with the best
silhouette) unless the config fixes them. Labels are c-TF-IDF keywords of the members.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.config import HierarchyConfig
from recsys_core.errors import NotFittedError

_log = logging.getLogger(__name__)

_MIN_THEMES = 4


@dataclass(frozen=True, slots=True)
class HierarchyScores:
    """Agreement of found clusters with known labels (1 = identical partition)."""

    nmi: float
    ari: float


def _normalise(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


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
        fine_centroids_: ``(n_fine, dim)`` unit-length centroids; ``theme_centroids_`` likewise.
        nodes_: one row per node: level, node_id, parent_id, label, keywords, size, representatives.
    """

    def __init__(self, config: HierarchyConfig | None = None, seed: int = 42) -> None:
        self.config = config or HierarchyConfig()
        self.seed = seed

    def fit(
        self, emb: npt.NDArray[np.float32], texts: list[str], item_ids: list[str]
    ) -> InterestHierarchy:
        """Cluster items into fine interests and fine interests into themes.

        Args:
            emb: ``(n_items, dim)`` item text vectors.
            texts: Item texts, for keyword labels.
            item_ids: Item ids, for representatives.
        """
        from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans
        from sklearn.metrics import silhouette_score

        n = emb.shape[0]
        if n < 4:
            raise ValueError(f"need at least 4 items to build an interest hierarchy, got {n}")
        x = _normalise(np.asarray(emb, dtype=np.float32))
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
        fine_centroids = _normalise(np.stack([x[fine == f].mean(axis=0) for f in range(n_fine)]))

        if self.config.n_themes is not None:
            candidates = [min(self.config.n_themes, n_fine)]
        else:
            hi = min(self.config.max_themes, n_fine - 1)
            candidates = list(range(min(_MIN_THEMES, hi), hi + 1)) if hi >= 2 else [1]
        best: tuple[float, npt.NDArray[np.int64]] | None = None
        self.silhouettes_: dict[int, float] = {}
        for k in candidates:
            if k <= 1:
                labels = np.zeros(n_fine, dtype=np.int64)
                score = 0.0
            else:
                labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(fine_centroids)
                score = float(silhouette_score(fine_centroids, labels, metric="cosine")) if k < n_fine else 0.0
            self.silhouettes_[k] = score
            if best is None or score > best[0] + 1e-9:
                best = (score, labels.astype(np.int64))
        assert best is not None
        theme_of_fine = best[1]
        n_themes = int(theme_of_fine.max()) + 1
        theme_of_item = theme_of_fine[fine]
        theme_centroids = _normalise(np.stack([x[theme_of_item == t].mean(axis=0) for t in range(n_themes)]))

        self.fine_of_item_ = fine
        self.theme_of_fine_ = theme_of_fine
        self.fine_centroids_ = fine_centroids
        self.theme_centroids_ = theme_centroids
        self.nodes_ = self._describe(x, texts, item_ids)
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

    def assign(self, emb: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Fine interest and theme of new items: the nearest fine centroid."""
        self.check_fitted()
        fine = np.argmax(_normalise(np.asarray(emb, dtype=np.float32)) @ self.fine_centroids_.T, axis=1)
        return fine.astype(np.int64), self.theme_of_fine_[fine]

    # ------------------------------------------------------------------ labels
    def _describe(self, x: npt.NDArray[np.float32], texts: list[str], item_ids: list[str]) -> pd.DataFrame:
        cfg = self.config
        fine, themes = self.fine_of_item_, self.theme_of_fine_[self.fine_of_item_]
        rows = []
        for level, members_of, centroids, parent in (
            ("fine", fine, self.fine_centroids_, self.theme_of_fine_),
            ("theme", themes, self.theme_centroids_, None),
        ):
            n_nodes = centroids.shape[0]
            docs = [" ".join(texts[i] for i in np.flatnonzero(members_of == node)) for node in range(n_nodes)]
            keywords = keyword_labels(docs, cfg.n_keywords)
            for node in range(n_nodes):
                idx = np.flatnonzero(members_of == node)
                sims = x[idx] @ centroids[node]
                reps = [item_ids[i] for i in idx[np.argsort(-sims, kind="stable")[: cfg.n_representatives]]]
                words = keywords[node]
                rows.append({
                    "level": level,
                    "node_id": node,
                    "parent_id": int(parent[node]) if parent is not None else None,
                    "label": ", ".join(words[:3]) if words else f"{level} {node}",
                    "keywords": words,
                    "size": int(len(idx)),
                    "representatives": reps,
                })
        return pd.DataFrame(rows).astype({"parent_id": "Int64"})
