"""The build: train on the store's current data (see :mod:`recsys_core.training`) and save
the result as the model the app serves.

Stages report through ``on_progress(stage, fraction)``. Everything the app serves comes from
the build row this writes (checkpoint, hierarchy, item placement), in one transaction at the
end, so a failed build leaves the previous one in place. User states are not stored: they are
computed from the events when asked for, so they always read the newest events.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.config import RecsysConfig
from recsys_core.data.builds import save_build
from recsys_core.data.frames import load_profiles
from recsys_core.data.store import Store
from recsys_core.embeddings.base import Embedder
from recsys_core.embeddings.cache import embed_cached
from recsys_core.interests.links import links_to_checkpoint
from recsys_core.interests.sequences import Sequences
from recsys_core.moments import typical_session_gap
from recsys_core.training import fit_model, take_snapshot

_log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

MAP_DIM = 64  # dimensions of the stored map vectors

# share of the progress bar each stage takes
_STAGES = {"embedding": (0.0, 0.3), "hierarchy": (0.3, 0.35), "training": (0.35, 0.97), "saving": (0.97, 1.0)}


def _stage(progress: Progress | None, name: str, fraction: float, detail: str = "") -> None:
    if progress is not None:
        lo, hi = _STAGES[name]
        progress(f"{name}{': ' + detail if detail else ''}", lo + (hi - lo) * min(max(fraction, 0.0), 1.0))


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did, with its timings in seconds."""

    build_id: int
    n_items: int
    n_users: int
    n_fine: int
    n_themes: int
    n_new_texts: int
    epochs_run: int
    final_loss: float
    seconds: dict[str, float]


def next_visit_gap(seqs: Sequences, session_gap_days: float) -> float:
    """The median over users of their typical gap between sessions (days): when a user with no
    session break yet is expected back (see :func:`moments.resolve`). 1 day without any break."""
    gaps = [typical_session_gap(seqs.user(u)[1], session_gap_days) for u in range(len(seqs))]
    known = [g for g in gaps if g is not None]
    return round(float(np.median(known)), 6) if known else 1.0


def map_vectors(vectors: np.ndarray, seed: int, max_dim: int = MAP_DIM) -> np.ndarray:
    """The hierarchy's item vectors, kept with the build for the map: reduced to ``max_dim``
    dimensions by PCA (randomised, seeded) and stored as float16, so a large catalogue's
    checkpoint stays small; cosine neighbourhoods, what UMAP reads, survive the reduction."""
    x = np.asarray(vectors, dtype=np.float32)
    if x.shape[1] > max_dim and x.shape[0] > max_dim:
        from sklearn.decomposition import PCA

        x = PCA(n_components=max_dim, svd_solver="randomized", random_state=seed).fit_transform(x)
    return x.astype(np.float16)


def _jsonable(value: object) -> object:
    """Stats for the build row's JSON: tuples to lists, NumPy scalars to numbers, keys to text."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def build_model(
    store: Store, config: RecsysConfig, embedder: Embedder, on_progress: Progress | None = None
) -> BuildReport:
    """Run every stage on the store's current data and save the result as a new build.

    Raises:
        ModelFitError: Too little data to build from (fewer than 4 items or no user with 2 items).
    """
    import torch

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    _stage(on_progress, "embedding", 0.0)
    snapshot = take_snapshot(store, embedder, include_live=True, what="build",
                             on_progress=lambda done, total: _stage(on_progress, "embedding", done / max(total, 1)))
    profiles = load_profiles(store)
    if not profiles.empty:  # cached now so cold-start users are served without loading the encoder
        embed_cached(store, embedder, profiles["profile_text"].tolist())
    timings["embedding"] = time.perf_counter() - t0

    _stage(on_progress, "hierarchy", 0.0)
    fitted = fit_model(snapshot, config, hold_out_test=False, on_epoch=lambda s: _stage(
        on_progress, "training", s.epoch / s.epochs, f"epoch {s.epoch}/{s.epochs} loss {s.loss:.3f}"
        + (f" NDCG@10 {s.val_ndcg_10:.3f}" if s.val_ndcg_10 is not None else "")))
    hierarchy, model, history = fitted.hierarchy, fitted.model, fitted.epochs
    timings.update(fitted.seconds)

    t3 = time.perf_counter()
    _stage(on_progress, "saving", 0.0)
    ckpt = model.checkpoint()  # type: ignore[attr-defined]
    ckpt["fine_centroids"] = hierarchy.fine_text_centroids_  # new items are placed from their text
    ckpt["interest_space"] = map_vectors(hierarchy.item_vectors_, config.seed)  # what the map projects
    ckpt["theme_of_fine"] = hierarchy.theme_of_fine_
    ckpt["links"] = links_to_checkpoint(fitted.links, config.links)
    buffer = io.BytesIO()
    torch.save(ckpt, buffer)
    catalogue = snapshot.catalogue
    placed = pd.DataFrame({
        "item_id": catalogue["item_id"], "position": np.arange(len(catalogue), dtype=np.int32),
        "fine_id": hierarchy.fine_of_item_.astype(np.int32), "theme_id": hierarchy.theme_of_item_.astype(np.int32),
    })
    n_users = len(fitted.sequences)
    stats = {
        "n_items": len(catalogue), "n_users": n_users, "n_fine": hierarchy.n_fine, "n_themes": hierarchy.n_themes,
        "themes_chosen_by": _jsonable(hierarchy.theme_choice_),
        "item_space": _jsonable(hierarchy.space_info_),
        "losses": [round(s.loss, 4) for s in history],
        "val_ndcg_10": [None if s.val_ndcg_10 is None else round(s.val_ndcg_10, 4) for s in history],
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "new_texts": snapshot.features.n_new,
        "fusion": _jsonable(fitted.fusion),  # the links' weight, chosen on validation
        "next_visit_gap_days": next_visit_gap(fitted.sequences, config.model.session_gap_minutes / 1440.0),
        "cluster": config.cluster.address,  # where embedding and training ran (None: in this process)
    }
    build_config = {"hierarchy": config.hierarchy, "model": config.model, "seed": config.seed}
    build_id = save_build(store, snapshot.data_version, embedder.name, build_config, stats, buffer.getvalue(),
                          hierarchy.nodes_, placed)
    timings["saving"] = time.perf_counter() - t3
    timings["total"] = time.perf_counter() - t0
    _stage(on_progress, "saving", 1.0, "saved")
    _log.info("build %d done in %.1f s", build_id, timings["total"])
    return BuildReport(build_id, len(catalogue), n_users, hierarchy.n_fine, hierarchy.n_themes,
                       snapshot.features.n_new, len(history), history[-1].loss, timings)
