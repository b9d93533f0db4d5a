"""2-D maps of the interest space: a UMAP projection of the served item vectors, and the
placement of anything else (interest centroids, user vectors) on the same map.

The map is drawn from the vectors the interest hierarchy was clustered in (text blended with
behaviour and categories, kept with the build), so its regions line up with the fine
interests and themes. Items imported after the build have only text: they are placed near
the items whose text is most like theirs. The projection is the slow part (numba compiles UMAP on first use, then about 10 s for the
sample), so the engine computes it once per build and keeps it in DuckDB. Other points are
placed as the similarity-weighted mean of their nearest items' map positions: cheap, stable,
and the same for every rerun.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.data.builds import load_item_map, save_item_map
from recsys_core.data.store import Store
from recsys_core.fusion import fuse

if TYPE_CHECKING:
    from recsys_core.recommend import RecommendationList, UserState
    from recsys_core.serving import ServingModel

_log = logging.getLogger(__name__)


EXACT_KNN_MAX = 20_000  # UMAP is fitted on at most this many points, with an exact (NumPy) neighbour graph
MAX_DRAWN = 25_000  # items the map page draws at once; a larger catalogue is thinned evenly per fine interest


def cosine_knn(vectors: npt.NDArray[np.float32], k: int, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest neighbours of L2-normalised rows by cosine distance, each row's own
    point first: ``(indices (n, k), distances (n, k))``, nearest first, in chunks of rows."""
    n = len(vectors)
    idx = np.zeros((n, k), np.int64)
    dist = np.zeros((n, k), np.float32)
    for start in range(0, n, chunk):
        sims = vectors[start:start + chunk] @ vectors.T
        rows = np.arange(len(sims))
        sims[rows, start + rows] = np.inf  # each point is its own nearest neighbour, as UMAP expects
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-top_sims, axis=1, kind="stable")
        idx[start:start + chunk] = np.take_along_axis(top, order, axis=1)
        dist[start:start + chunk] = np.clip(1.0 - np.take_along_axis(top_sims, order, axis=1), 0.0, 2.0)
    return idx, dist


def project_umap(
    vectors: npt.NDArray[np.float32], seed: int, n_neighbors: int = 30, min_dist: float = 0.3,
    groups: npt.NDArray[np.int64] | None = None, fit_max: int = EXACT_KNN_MAX,
) -> npt.NDArray[np.float32]:
    """``(n, 2)`` UMAP coordinates of L2-normalised ``(n, d)`` vectors (cosine metric).

    Deterministic given ``seed`` (UMAP then runs on one thread). Fewer than 4 points are laid
    on a line instead, as UMAP needs a neighbourhood. Above ``fit_max`` points UMAP is fitted on
    a random ``fit_max`` of them (its neighbour graph exact) and the rest are placed among their
    most similar fitted points (:func:`place_points`, within the nearest one's ``groups`` value):
    UMAP's own ``transform`` needs its NN-descent index, which numba compiles in every process.
    """
    n = len(vectors)
    if n > fit_max:
        fit = np.sort(np.random.default_rng(seed).choice(n, fit_max, replace=False))
        rest = np.setdiff1d(np.arange(n), fit)
        coords = np.zeros((n, 2), np.float32)
        coords[fit] = project_umap(vectors[fit], seed, n_neighbors, min_dist, fit_max=fit_max)
        coords[rest] = place_points(vectors[rest], vectors[fit], coords[fit], None if groups is None else groups[fit])
        return coords
    if n < 4:
        return np.stack([np.arange(n, dtype=np.float32), np.zeros(n, np.float32)], axis=1)
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "numba"))
    import umap

    x = np.asarray(vectors, dtype=np.float32)
    k = min(n_neighbors, n - 1)
    # UMAP's own neighbour search (NN-descent) is compiled by numba in every new process: about
    # 30 s for 10,000 items here, against 2 s for the exact graph
    knn = (*cosine_knn(x, k), None)
    reducer = umap.UMAP(n_components=2, n_neighbors=k, min_dist=min_dist, metric="cosine", n_epochs=200,
                        random_state=seed, init="spectral" if n > 20 else "random", precomputed_knn=knn)
    with warnings.catch_warnings():  # both are this function's choices (see above), not news to the user
        warnings.filterwarnings("ignore", message="n_jobs value .* overridden", category=UserWarning)
        warnings.filterwarnings("ignore", message="precomputed_knn.* is not an NNDescent", category=UserWarning)
        coords = reducer.fit_transform(x)
    return np.asarray(coords, dtype=np.float32)


def place_points(
    queries: npt.NDArray[np.float32], item_vecs: npt.NDArray[np.float32], coords: npt.NDArray[np.float32],
    groups: npt.NDArray[np.int64] | None = None, k: int = 10, chunk: int = 2048,
) -> npt.NDArray[np.float32]:
    """``(m, 2)`` map positions of ``(m, d)`` query vectors: the similarity-weighted mean
    position of each query's ``k`` most similar items. With ``groups`` (e.g. each item's fine
    interest) only the neighbours in the best neighbour's group count, so a point never lands
    in the empty space between two clusters."""
    if len(queries) > chunk:  # the similarity block stays small: chunk x items
        return np.concatenate([place_points(queries[s:s + chunk], item_vecs, coords, groups, k, chunk)
                               for s in range(0, len(queries), chunk)])
    if len(queries) == 0:
        return np.zeros((0, 2), np.float32)
    sims = queries @ item_vecs.T
    k = min(k, item_vecs.shape[0])
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    top_sims = np.take_along_axis(sims, top, axis=1)
    w = np.clip(top_sims, 1e-6, None)
    if groups is not None:
        best = top[np.arange(len(top)), np.argmax(top_sims, axis=1)]
        w = np.where(groups[top] == groups[best][:, None], w, 0.0)
    return ((coords[top] * w[..., None]).sum(axis=1) / w.sum(axis=1, keepdims=True)).astype(np.float32)


# ---------------------------------------------------------------------- map frames

@dataclass(frozen=True, slots=True)
class InterestMap:
    """One build's map. ``items``: item_id, title, x, y, fine_id, fine_label, theme_id,
    theme_label, popularity. ``nodes``: level, node_id, label, keywords, size, parent_id, x, y
    (a node sits at the mean position of its items)."""

    build_id: int
    items: pd.DataFrame
    nodes: pd.DataFrame


def drawn_items(imap: InterestMap, max_points: int = MAX_DRAWN, keep: Sequence[str] = (),
                theme: int | None = None, seed: int = 0) -> pd.DataFrame:
    """The items the map draws: every item of the map (or of one ``theme``) up to
    ``max_points``; beyond that an even share of each fine interest (every interest keeps at
    least one point, the same points on every call for a seed), with the items in ``keep``
    (search hits, a user's history) always drawn. A browser draws 25,000 WebGL points at
    once without stalling; 100,000 with their hover texts do not."""
    items = imap.items if theme is None else imap.items[imap.items["theme_id"] == theme]
    if len(items) <= max_points:
        return items
    share = max_points / len(items)
    key = pd.Series(np.random.default_rng(seed).random(len(imap.items)), index=imap.items.index).loc[items.index]
    rank = key.groupby(items["fine_id"]).rank(method="first")
    size = items.groupby("fine_id")["fine_id"].transform("size")
    chosen = (rank <= np.maximum(1, np.floor(size * share))) | items["item_id"].isin(set(keep))
    return items[chosen.to_numpy()]


@dataclass(frozen=True, slots=True)
class UserOverlay:
    """A user on the map: ``history`` (item_id, title, x, y, occurred_at, step, in_short, in_long),
    the long-term, short-term and fused positions, and ``recommended`` (item_id, title, x, y, rank)."""

    history: pd.DataFrame
    long_xy: tuple[float, float]
    short_xy: tuple[float, float]
    fused_xy: tuple[float, float]
    recommended: pd.DataFrame


def map_frames(
    build_id: int, item_ids: npt.NDArray[np.object_], titles: npt.NDArray[np.object_], coords: npt.NDArray[np.float32],
    fine_of_item: npt.NDArray[np.int64], theme_of_item: npt.NDArray[np.int64], fine_labels: dict[int, str],
    theme_labels: dict[int, str], popularity: npt.NDArray[np.float64], nodes: pd.DataFrame, shown: npt.NDArray[np.bool_],
) -> InterestMap:
    """Assemble the map's frames from the served arrays (``shown`` masks removed items)."""
    items = pd.DataFrame({
        "item_id": item_ids, "title": titles, "x": coords[:, 0], "y": coords[:, 1],
        "fine_id": fine_of_item, "theme_id": theme_of_item,
        "fine_label": [fine_labels.get(int(f), f"fine {f}") for f in fine_of_item],
        "theme_label": [theme_labels.get(int(t), f"theme {t}") for t in theme_of_item],
        "popularity": popularity.astype(np.int64),
    })[shown].reset_index(drop=True)
    rows = []
    for r in nodes.itertuples(index=False):
        key = "fine_id" if r.level == "fine" else "theme_id"
        members = items[items[key] == r.node_id]
        label = (fine_labels if r.level == "fine" else theme_labels).get(int(r.node_id), str(r.label))
        rows.append({"level": r.level, "node_id": int(r.node_id), "label": label, "keywords": ", ".join(r.keywords),
                     "size": len(members), "parent_id": None if pd.isna(r.parent_id) else int(r.parent_id),
                     "x": float(members["x"].mean()) if len(members) else np.nan,
                     "y": float(members["y"].mean()) if len(members) else np.nan})
    return InterestMap(build_id, items, pd.DataFrame(rows))


# ---------------------------------------------------------------------- a build's map
def item_map(store: Store, serving: ServingModel, seed: int,
             on_progress: Callable[[str, float], None] | None = None) -> InterestMap:
    """The served build's item map: UMAP of the hierarchy's item vectors, projected and stored
    the first time, read back later. Items imported since are placed near their most similar
    items by text."""
    bid = serving.build.build_id
    pos = load_item_map(store, bid).set_index("item_id").reindex(serving.item_ids)
    missing = pos["x"].isna().to_numpy()
    if missing.all():
        if on_progress:
            on_progress("projecting items with UMAP", 0.1)
        n_build = len(serving.space_vecs)
        coords = np.zeros((len(serving.item_ids), 2), np.float32)
        coords[:n_build] = project_umap(serving.space_vecs, seed, groups=serving.fine_of_item[:n_build])
        if n_build < len(coords):  # items imported since the build: no behaviour yet, placed by text
            coords[n_build:] = place_points(serving.text_vecs[n_build:], serving.text_vecs[:n_build],
                                            coords[:n_build], serving.fine_of_item[:n_build])
        save_item_map(store, bid, serving.item_ids, coords)
    else:
        coords = pos[["x", "y"]].to_numpy(np.float32, copy=True)  # writable: new items are placed into it
        if missing.any():  # items imported after the map was drawn: placed near their neighbours
            coords[missing] = place_points(serving.text_vecs[missing], serving.text_vecs[~missing],
                                           coords[~missing], serving.fine_of_item[~missing])
    if on_progress:
        on_progress("map ready", 1.0)
    return map_frames(bid, serving.item_ids, serving.titles, coords, serving.fine_of_item, serving.theme_of_item,
                      serving.fine_labels, serving.theme_labels, serving.popularity, serving.nodes, ~serving.removed)


def user_overlay(serving: ServingModel, imap: InterestMap, state: UserState, timeline: pd.DataFrame, alpha: float,
                 recs: RecommendationList | None) -> UserOverlay:
    """A user's history, long/short/fused interest positions and recommendations on the map;
    ``timeline`` is the user's events (see :func:`profiles.timeline`), ``alpha`` the weight of
    the fused point."""
    coords = imap.items.set_index("item_id")[["x", "y"]]
    hist = timeline.drop_duplicates("item_id", keep="last").join(coords, on="item_id").dropna(subset=["x"])
    hist = hist.assign(step=np.arange(len(hist)))
    shown = ~serving.removed
    pts = place_points(np.stack([state.u_long, state.u_short, fuse(state.u_long, state.u_short, alpha)]),
                       serving.item_vecs[shown], coords.reindex(serving.item_ids[shown]).to_numpy(np.float32),
                       serving.fine_of_item[shown])
    rec_frame = pd.DataFrame({"item_id": [r.item_id for r in recs.items] if recs else [],
                              "rank": [r.rank for r in recs.items] if recs else []})
    rec_frame = rec_frame.join(coords, on="item_id").join(imap.items.set_index("item_id")[["title"]], on="item_id")
    xy = [(float(p[0]), float(p[1])) for p in pts]
    return UserOverlay(hist[["item_id", "title", "x", "y", "occurred_at", "step", "in_short", "in_long"]], xy[0], xy[1], xy[2],
                       rec_frame)


def describe_items(imap: InterestMap, item_ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """A selection of items in the hierarchy's terms: (the items with labels and
    popularity, most popular first; counts per fine interest and theme; top keywords)."""
    chosen = imap.items[imap.items["item_id"].isin(set(item_ids))].sort_values(
        ["popularity", "title"], ascending=[False, True])
    counts = (chosen.groupby(["theme_label", "fine_label"]).size().rename("items").reset_index()
              .sort_values("items", ascending=False, ignore_index=True))
    fine_nodes = imap.nodes[imap.nodes["level"] == "fine"].set_index("node_id")["keywords"]
    weights: dict[str, int] = {}
    for fine, n in chosen["fine_id"].value_counts().items():
        for w in str(fine_nodes.get(fine, "")).split(", "):
            if w:
                weights[w] = weights.get(w, 0) + int(n)
    keywords = [w for w, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:8]]
    cols = ["item_id", "title", "fine_label", "theme_label", "popularity"]
    return chosen[cols].reset_index(drop=True), counts, keywords
