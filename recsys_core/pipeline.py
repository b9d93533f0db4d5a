"""The build: embed the catalogue, build the interest hierarchy, train the model, store it.

Stages report through ``on_progress(stage, fraction)``. Everything the app serves comes from
the build row this writes (checkpoint, hierarchy, user states), in one transaction at the end,
so a failed build leaves the previous one in place.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.config import RecsysConfig
from recsys_core.data.frames import data_clock, load_catalogue, load_events, load_profiles, load_review_texts
from recsys_core.data.store import Store
from recsys_core.embeddings.base import Embedder
from recsys_core.embeddings.cache import embed_cached
from recsys_core.embeddings.features import item_features
from recsys_core.errors import ModelFitError
from recsys_core.interests.hierarchy import InterestHierarchy
from recsys_core.interests.sequences import build_sequences, drop_last

_log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

# share of the progress bar each stage takes
_STAGES = {"embedding": (0.0, 0.3), "hierarchy": (0.3, 0.35), "training": (0.35, 0.95), "user states": (0.95, 1.0)}


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


def build_hierarchy(config: RecsysConfig, text: np.ndarray, catalogue: pd.DataFrame) -> InterestHierarchy:
    return InterestHierarchy(config.hierarchy, seed=config.seed).fit(
        text, catalogue["embed_text"].tolist(), catalogue["item_id"].tolist())


def build_model(
    store: Store, config: RecsysConfig, embedder: Embedder, on_progress: Progress | None = None
) -> BuildReport:
    """Run every stage on the store's current data and save the result as a new build.

    Raises:
        ModelFitError: Too little data to build from (fewer than 4 items or no user with 2 items).
    """
    import torch

    from recsys_core.interests.train import train_interest_model
    from recsys_core.serving import encode_states, to_days

    torch.set_num_threads(config.torch_threads)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    data_version = store.data_version()
    catalogue = load_catalogue(store)
    if len(catalogue) < 4:
        raise ModelFitError(f"the catalogue has {len(catalogue)} items; at least 4 are needed to build")
    _stage(on_progress, "embedding", 0.0, f"{len(catalogue):,} items")
    feats = item_features(store, embedder, catalogue, load_review_texts(store),
                          on_progress=lambda done, total: _stage(on_progress, "embedding", done / max(total, 1)))
    profiles = load_profiles(store)
    if not profiles.empty:  # cached now so cold-start users are served without loading the encoder
        embed_cached(store, embedder, profiles["profile_text"].tolist())
    timings["embedding"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    _stage(on_progress, "hierarchy", 0.0)
    hierarchy = build_hierarchy(config, feats.text, catalogue)
    timings["hierarchy"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    item_index = {str(i): k for k, i in enumerate(catalogue["item_id"])}
    events = load_events(store, include_live=True)
    seqs = build_sequences(events, item_index)
    model_cfg = config.model
    # each user's newest item is held out to pick the epoch count (early stopping); the
    # states served afterwards read the whole history, newest item included
    train_seqs, newest = drop_last(seqs)
    model, history = train_interest_model(
        model_cfg, feats.features, hierarchy.fine_of_item_, hierarchy.theme_of_fine_, train_seqs, config.seed,
        validation=newest if len(newest.users) >= 10 else None,
        on_epoch=lambda s: _stage(on_progress, "training", s.epoch / s.epochs,
                                  f"epoch {s.epoch}/{s.epochs} loss {s.loss:.3f}"
                                  + (f" NDCG@10 {s.val_ndcg_10:.3f}" if s.val_ndcg_10 is not None else "")))
    timings["training"] = time.perf_counter() - t2

    t3 = time.perf_counter()
    _stage(on_progress, "user states", 0.0)
    clock = data_clock(store)
    now = to_days(clock) if clock is not None else 0.0
    users = np.arange(len(seqs))
    states = encode_states(model, model_cfg, seqs, users, seqs.lengths(), np.full(len(seqs), now))
    last = pd.to_datetime(seqs.days[seqs.offsets[1:] - 1] * 86400.0, unit="s") if len(seqs) else []
    state_frame = pd.DataFrame({
        "user_id": seqs.user_ids,
        "n_events": seqs.lengths().astype(np.int32),
        "last_event_at": last,
        "u_long": [s.u_long.tolist() for s in states],
        "u_short": [s.u_short.tolist() for s in states],
        "gate": [s.gate for s in states],
    })
    timings["user_states"] = time.perf_counter() - t3

    ckpt = model.checkpoint()
    ckpt["fine_centroids"] = hierarchy.fine_centroids_
    ckpt["theme_of_fine"] = hierarchy.theme_of_fine_
    buffer = io.BytesIO()
    torch.save(ckpt, buffer)
    nodes = hierarchy.nodes_
    placed = pd.DataFrame({
        "item_id": catalogue["item_id"], "position": np.arange(len(catalogue), dtype=np.int32),
        "fine_id": hierarchy.fine_of_item_.astype(np.int32), "theme_id": hierarchy.theme_of_item_.astype(np.int32),
    })
    stats = {
        "n_items": len(catalogue), "n_users": len(seqs), "n_fine": hierarchy.n_fine, "n_themes": hierarchy.n_themes,
        "theme_silhouettes": {str(k): round(v, 4) for k, v in hierarchy.silhouettes_.items()},
        "losses": [round(s.loss, 4) for s in history],
        "val_ndcg_10": [None if s.val_ndcg_10 is None else round(s.val_ndcg_10, 4) for s in history], "seconds": {k: round(v, 2) for k, v in timings.items()},
        "new_texts": feats.n_new,
    }
    with store.transaction() as cur:
        build_id = int(cur.execute("SELECT coalesce(max(build_id), 0) + 1 FROM builds").fetchall()[0][0])
        cur.execute(
            "INSERT INTO builds (build_id, data_version, embedding_model, config, stats, checkpoint) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [build_id, data_version, embedder.name,
             json.dumps({"hierarchy": dataclasses.asdict(config.hierarchy), "model": dataclasses.asdict(model_cfg),
                         "seed": config.seed}),
             json.dumps(stats), buffer.getvalue()],
        )
        for name, frame, sql in (
            ("nodes", nodes, "INSERT INTO interest_nodes SELECT ?, level, node_id, parent_id, label, "
                             "keywords::VARCHAR[], size, representatives::VARCHAR[] FROM nodes"),
            ("placed", placed, "INSERT INTO item_interests SELECT ?, item_id, position, fine_id, theme_id FROM placed"),
            ("state_frame", state_frame, "INSERT INTO user_states SELECT ?, user_id, n_events, last_event_at, "
                                         "u_long::FLOAT[], u_short::FLOAT[], gate FROM state_frame"),
        ):
            cur.register(name, frame)
            try:
                cur.execute(sql, [build_id])
            finally:
                cur.unregister(name)
        # older builds' bulky parts are dropped; their summary rows stay for the record
        cur.execute("DELETE FROM user_states WHERE build_id < ?", [build_id])
        cur.execute("UPDATE builds SET checkpoint = ''::BLOB WHERE build_id < ?", [build_id])
    timings["total"] = time.perf_counter() - t0
    _stage(on_progress, "user states", 1.0, "saved")
    _log.info("build %d done in %.1f s", build_id, timings["total"])
    return BuildReport(build_id, len(catalogue), len(seqs), hierarchy.n_fine, hierarchy.n_themes, feats.n_new,
                       len(history), history[-1].loss, timings)

