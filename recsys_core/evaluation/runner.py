"""Time-ordered leave-last-out evaluation of the interest model against baselines.

Per user (with at least three items): the newest item is the test, the one before it the
validation item, the rest is training. The model is trained on the training part only, with
early stopping on the validation items; at test time every model reads training + validation
items and ranks the whole catalogue with those items removed. Metrics are never computed on
training targets and never on sampled candidates. Each run is stored with its per-user results.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core import metrics as M
from recsys_core.config import RecsysConfig
from recsys_core.data.store import Store
from recsys_core.embeddings.base import Embedder
from recsys_core.evaluation.baselines import ContentKNNScorer, ItemKNNScorer, PopularScorer
from recsys_core.evaluation.runs import save_run
from recsys_core.fusion import fuse
from recsys_core.interests.links import batch_link_scores
from recsys_core.training import fit_model, take_snapshot

_log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

MODEL_VARIANTS = ("long_only", "short_only", "learned_gate")


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    """A stored run: ``table`` has one row per model (kind baseline/model/sweep) x metrics."""

    run_id: int
    table: pd.DataFrame
    n_users: int
    seconds: float
    learned_alpha: dict[str, float]
    epochs_run: int


def fused_scores(
    alpha: float | npt.NDArray[np.float64], u_long: npt.NDArray[np.float32], u_short: npt.NDArray[np.float32],
    item_vecs: npt.NDArray[np.float32], short_links: npt.NDArray[np.float32] | None = None,
) -> npt.NDArray[Any]:
    """Every item's score for each user at the long-term weight ``alpha`` (one number, or one
    per user): the scores the lab ranks by, for many users at once. ``short_links``
    ``(users, n_items)`` are the links' part of the short-term score (see
    :func:`recsys_core.interests.links.batch_link_scores`)."""
    if short_links is None:
        return fuse(u_long, u_short, alpha) @ item_vecs.T
    return fuse(u_long @ item_vecs.T, u_short @ item_vecs.T + short_links, alpha)


def run_evaluation(
    store: Store, config: RecsysConfig, embedder: Embedder, on_progress: Progress | None = None
) -> EvaluationReport:
    """Evaluate all models on the store's imported data and save the run.

    Raises:
        ModelFitError: Fewer than 10 users with three or more items.
    """
    import torch

    from recsys_core.evaluation.sasrec import SASRecScorer
    from recsys_core.serving import encode_states

    progress = on_progress or (lambda stage, fraction: None)
    ecfg = config.evaluation
    started = time.perf_counter()
    progress("embedding", 0.0)
    snapshot = take_snapshot(store, embedder, include_live=False, what="evaluate",
                             on_progress=lambda d, t: progress("embedding", 0.2 * d / max(t, 1)))
    n_items = len(snapshot.catalogue)
    fitted = fit_model(snapshot, config, hold_out_test=True, on_epoch=lambda s: progress(
        f"training epoch {s.epoch}/{s.epochs}", 0.2 + 0.6 * s.epoch / s.epochs))
    model, epochs, hierarchy, feats = fitted.model, fitted.epochs, fitted.hierarchy, snapshot.features
    history_seqs, test = fitted.history, fitted.test
    assert test is not None
    progress("scoring", 0.8)
    with torch.inference_mode():
        item_vecs = model.item_vectors().numpy()  # type: ignore[attr-defined]
    users = test.users
    ends = history_seqs.lengths()[users]
    states = encode_states(model, config.model, history_seqs, users, ends, test.days)
    u_long = np.stack([s.u_long for s in states])
    u_short = np.stack([s.u_short for s in states])
    gate = np.array([s.gate for s in states])
    histories = [history_seqs.user(int(u))[0] for u in users]
    links = (None if fitted.links is None else
             batch_link_scores(fitted.links, histories, config.links, config.model.max_history))

    popularity = history_seqs.item_counts(n_items).astype(np.float64)
    theme_of_item = hierarchy.theme_of_item_
    user_mix = M.theme_mix(histories, theme_of_item, hierarchy.n_themes)
    n_train = np.array([len(h) for h in histories])
    light_max = ecfg.light_user_max_items if ecfg.light_user_max_items is not None else int(np.median(n_train))
    segment = np.where(n_train <= light_max, "light", "heavy")
    k_main = max(ecfg.ks)

    scorers: dict[str, tuple[str, Callable[[], npt.NDArray[Any]]]] = {
        "popular": ("baseline", lambda: PopularScorer().fit(history_seqs, n_items).score(histories)),
        "item_knn": ("baseline", lambda: ItemKNNScorer().fit(history_seqs, n_items).score(histories)),
        "item_knn_recent": ("baseline",
                            lambda: ItemKNNScorer(ecfg.recent_items).fit(history_seqs, n_items).score(histories)),
        "content_knn": ("baseline", lambda: ContentKNNScorer(feats.text).fit(history_seqs, n_items).score(histories)),
        # the strongest common sequential peer, trained on the same split with the same early stopping
        "sasrec": ("baseline", lambda: SASRecScorer(ecfg.sasrec, config.seed).fit(
            fitted.train, n_items, fitted.validation,
            on_epoch=lambda s: progress(f"SASRec epoch {s.epoch}", 0.8)).score(histories)),
        "long_only": ("model", lambda: u_long @ item_vecs.T),
        "short_only": ("model", lambda: fused_scores(0.0, u_long, u_short, item_vecs, links)),
        "learned_gate": ("model", lambda: fused_scores(gate, u_long, u_short, item_vecs, links)),
    }
    for a in np.linspace(0.0, 1.0, ecfg.alpha_steps):
        scorers[f"alpha={a:.1f}"] = ("sweep", functools.partial(fused_scores, float(a), u_long, u_short,
                                                                item_vecs, links))

    rows, per_user = [], []
    for step, (name, (kind, score_fn)) in enumerate(scorers.items()):
        scores = np.asarray(score_fn(), dtype=np.float64)
        for r, h in enumerate(histories):
            scores[r, h] = -np.inf
        ranks, lists = M.rank_of_targets(scores, test.items), M.top_k_lists(scores, k_main)
        top10 = lists[:, : min(ecfg.ks)]
        ild = M.intra_list_diversity(top10, feats.text)
        nov = M.novelty(top10, popularity, len(history_seqs))
        cal = M.calibration_kl(user_mix, M.theme_mix(list(top10), theme_of_item, hierarchy.n_themes))
        row: dict[str, object] = {"model": name, "kind": kind}
        for k in ecfg.ks:
            row[f"hr@{k}"] = M.hit_rate_at_k(ranks, k)
            row[f"ndcg@{k}"] = M.ndcg_at_k(ranks, k)
        row["mrr"] = M.mean_reciprocal_rank(ranks)
        row["coverage@10"] = M.catalogue_coverage(top10, n_items)
        row["diversity@10"] = float(ild.mean())
        row["novelty@10"] = float(nov.mean())
        row["calibration_kl@10"] = float(cal.mean())
        for seg in ("light", "heavy"):
            sel = segment == seg
            row[f"ndcg@10_{seg}"] = M.ndcg_at_k(ranks[sel], 10) if sel.any() else float("nan")
        rows.append(row)
        per_user.append(pd.DataFrame({
            "model": name, "user_id": [history_seqs.user_ids[u] for u in users], "n_train": n_train.astype(np.int32),
            "segment": segment, "rank": ranks.astype(np.int32), "ndcg_10": M.ndcg_per_user(ranks, 10),
            "diversity": ild, "novelty": nov, "calibration": cal, "gate": gate,
        }))
        progress(f"scoring {name}", 0.8 + 0.2 * (step + 1) / len(scorers))
    table = pd.DataFrame(rows)
    seconds = time.perf_counter() - started
    learned = {"mean": float(gate.mean()), "p10": float(np.percentile(gate, 10)),
               "median": float(np.median(gate)), "p90": float(np.percentile(gate, 90))}
    run_config = {"model": dataclasses.asdict(config.model), "hierarchy": dataclasses.asdict(config.hierarchy),
                  "evaluation": dataclasses.asdict(ecfg), "light_user_max_items": light_max, "seed": config.seed,
                  "embedding_model": embedder.name, "epochs_run": len(epochs), "learned_alpha": learned,
                  "val_ndcg_10": [s.val_ndcg_10 for s in epochs], "links": dataclasses.asdict(config.links),
                  "fusion": fitted.fusion}
    everything = pd.concat(per_user, ignore_index=True)
    # Headroom, not a model: each user's best fixed weight picked with the test item in hand.
    # No gate can reach it; the gap to the learned gate says how much per-user fusion could still win.
    swept = everything[everything["model"].str.startswith("alpha=")]
    run_config["oracle_alpha_ndcg_10"] = float(swept.groupby("user_id")["ndcg_10"].max().mean())
    run_id = save_run(store, snapshot.data_version, run_config, table, everything, len(users), seconds)
    progress("done", 1.0)
    return EvaluationReport(run_id, table, len(users), seconds, learned, len(epochs))
