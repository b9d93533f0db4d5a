"""Time-ordered leave-last-out evaluation of the interest model against baselines.

Per user (with at least three items): the newest item is the test, the one before it the
validation item, the rest is training. The model is trained on the training part only, with
early stopping on the validation items; at test time every model reads training + validation
items and ranks the whole catalogue with those items removed. Metrics are never computed on
training targets and never on sampled candidates. Each run is stored with its per-user results.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.config import EvaluationConfig, RecsysConfig
from recsys_core.data.frames import load_catalogue, load_events, load_review_texts
from recsys_core.data.store import Store
from recsys_core.embeddings.base import Embedder
from recsys_core.embeddings.features import item_features
from recsys_core.errors import ModelFitError
from recsys_core.evaluation import metrics as M
from recsys_core.evaluation.baselines import ContentKNNScorer, ItemKNNScorer, PopularScorer
from recsys_core.evaluation.significance import compare_models
from recsys_core.interests.sequences import build_sequences, drop_last

_log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

BASELINES = ("popular", "item_knn", "item_knn_recent", "content_knn")
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


def _list_metrics(
    scores: npt.NDArray[np.float64], targets: npt.NDArray[np.int64], n: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    from recsys_core.interests.train import rank_of_targets

    ranks = rank_of_targets(scores, targets)
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    order = np.take_along_axis(scores, part, axis=1).argsort(axis=1)[:, ::-1]
    return ranks, np.take_along_axis(part, order, axis=1)


def _fixed_alpha(
    alpha: float, u_long: npt.NDArray[np.float32], u_short: npt.NDArray[np.float32], item_vecs: npt.NDArray[np.float32]
) -> Callable[[], npt.NDArray[Any]]:
    return lambda: (alpha * u_long + (1 - alpha) * u_short) @ item_vecs.T


def run_evaluation(
    store: Store, config: RecsysConfig, embedder: Embedder, on_progress: Progress | None = None
) -> EvaluationReport:
    """Evaluate all models on the store's imported data and save the run.

    Raises:
        ModelFitError: Fewer than 10 users with three or more items.
    """
    import torch

    from recsys_core.interests.train import train_interest_model
    from recsys_core.pipeline import build_hierarchy
    from recsys_core.serving import encode_states

    torch.set_num_threads(config.torch_threads)
    progress = on_progress or (lambda stage, fraction: None)
    ecfg = config.evaluation
    started = time.perf_counter()
    data_version = store.data_version()
    catalogue = load_catalogue(store)
    if len(catalogue) < 4:
        raise ModelFitError(f"the catalogue has {len(catalogue)} items; at least 4 are needed to evaluate")
    progress("embedding", 0.0)
    feats = item_features(store, embedder, catalogue, load_review_texts(store),
                          on_progress=lambda d, t: progress("embedding", 0.2 * d / max(t, 1)))
    hierarchy = build_hierarchy(config, feats.text, catalogue)
    item_index = {str(i): k for k, i in enumerate(catalogue["item_id"])}
    seqs = build_sequences(load_events(store, include_live=False), item_index)
    history_seqs, test = drop_last(seqs)
    train_seqs, val = drop_last(history_seqs)
    if len(test.users) < 10:
        raise ModelFitError(f"only {len(test.users)} users have 3+ items; the evaluation needs at least 10")
    n_items = len(catalogue)

    model, epochs = train_interest_model(
        config.model, feats.features, hierarchy.fine_of_item_, hierarchy.theme_of_fine_, train_seqs, config.seed,
        validation=val,
        on_epoch=lambda s: progress(f"training epoch {s.epoch}/{s.epochs}", 0.2 + 0.6 * s.epoch / s.epochs))
    progress("scoring", 0.8)
    with torch.inference_mode():
        item_vecs = model.item_vectors().numpy()
    users = test.users
    ends = history_seqs.lengths()[users]
    states = encode_states(model, config.model, history_seqs, users, ends, test.days)
    u_long = np.stack([s.u_long for s in states])
    u_short = np.stack([s.u_short for s in states])
    gate = np.array([s.gate for s in states])
    histories = [history_seqs.user(int(u))[0] for u in users]

    popularity = np.bincount(history_seqs.items, minlength=n_items).astype(np.float64)
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
        "long_only": ("model", lambda: u_long @ item_vecs.T),
        "short_only": ("model", lambda: u_short @ item_vecs.T),
        "learned_gate": ("model", lambda: (gate[:, None] * u_long + (1 - gate[:, None]) * u_short) @ item_vecs.T),
    }
    for a in np.linspace(0.0, 1.0, ecfg.alpha_steps):
        scorers[f"alpha={a:.1f}"] = ("sweep", _fixed_alpha(float(a), u_long, u_short, item_vecs))

    rows, per_user = [], []
    for step, (name, (kind, score_fn)) in enumerate(scorers.items()):
        scores = np.asarray(score_fn(), dtype=np.float64)
        for r, h in enumerate(histories):
            scores[r, h] = -np.inf
        ranks, lists = _list_metrics(scores, test.items, k_main)
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
            "diversity": ild, "novelty": nov, "calibration": cal,
        }))
        progress(f"scoring {name}", 0.8 + 0.2 * (step + 1) / len(scorers))
    table = pd.DataFrame(rows)
    seconds = time.perf_counter() - started
    learned = {"mean": float(gate.mean()), "p10": float(np.percentile(gate, 10)),
               "median": float(np.median(gate)), "p90": float(np.percentile(gate, 90))}
    run_config = {"model": dataclasses.asdict(config.model), "hierarchy": dataclasses.asdict(config.hierarchy),
                  "evaluation": dataclasses.asdict(ecfg), "light_user_max_items": light_max, "seed": config.seed,
                  "embedding_model": embedder.name, "epochs_run": len(epochs), "learned_alpha": learned,
                  "val_ndcg_10": [s.val_ndcg_10 for s in epochs]}
    everything = pd.concat(per_user, ignore_index=True)
    # Headroom, not a model: each user's best fixed weight picked with the test item in hand.
    # No gate can reach it; the gap to the learned gate says how much per-user fusion could still win.
    swept = everything[everything["model"].str.startswith("alpha=")]
    run_config["oracle_alpha_ndcg_10"] = float(swept.groupby("user_id")["ndcg_10"].max().mean())
    with store.transaction() as cur:
        run_id = int(cur.execute("SELECT coalesce(max(run_id), 0) + 1 FROM evaluation_runs").fetchall()[0][0])
        cur.execute(
            "INSERT INTO evaluation_runs (run_id, data_version, split, config, summary, n_users, seconds) "
            "VALUES (?, ?, 'leave_last_out', ?, ?, ?, ?)",
            [run_id, data_version, json.dumps(run_config), table.to_json(orient="records"), len(users), seconds],
        )
        cur.register("per_user", everything)
        try:
            cur.execute("INSERT INTO evaluation_users SELECT ?, model, user_id, n_train, segment, rank, ndcg_10, "
                        "diversity, novelty, calibration FROM per_user", [run_id])
        finally:
            cur.unregister("per_user")
    progress("done", 1.0)
    return EvaluationReport(run_id, table, len(users), seconds, learned, len(epochs))


def load_runs(store: Store) -> pd.DataFrame:
    """Past runs, newest first: run_id, created_at, data_version, n_users, seconds."""
    with store.cursor() as cur:
        return cur.execute("SELECT run_id, created_at, data_version, split, n_users, seconds FROM evaluation_runs "
                           "ORDER BY run_id DESC").df()


def load_run_table(store: Store, run_id: int) -> pd.DataFrame:
    with store.cursor() as cur:
        rows = cur.execute("SELECT summary FROM evaluation_runs WHERE run_id = ?", [run_id]).fetchall()
    return pd.DataFrame(json.loads(rows[0][0])) if rows else pd.DataFrame()


def load_run_comparison(store: Store, run_id: int, reference: str, config: EvaluationConfig) -> pd.DataFrame:
    """``reference`` against every other model of a run on per-user NDCG@10, with paired bootstrap
    intervals (see significance.py). Empty when the run has no per-user rows."""
    with store.cursor() as cur:
        per_user = cur.execute("SELECT model, user_id, ndcg_10 FROM evaluation_users WHERE run_id = ?", [run_id]).df()
    if per_user.empty:
        return pd.DataFrame(columns=["model", "delta", "low", "high", "verdict"])
    return compare_models(per_user, reference, samples=config.bootstrap_samples, confidence=config.confidence,
                          seed=run_id)


def latest_headline(store: Store) -> dict[str, object] | None:
    """The newest run in one line: learned gate vs the best simple baseline (popularity,
    item-kNN, content kNN) on NDCG@10."""
    with store.cursor() as cur:
        rows = cur.execute("SELECT run_id, created_at, n_users, summary FROM evaluation_runs "
                           "ORDER BY run_id DESC LIMIT 1").fetchall()
    if not rows:
        return None
    run_id, created_at, n_users, summary = rows[0]
    table = pd.DataFrame(json.loads(summary)).set_index("model")
    rivals = table.loc[[m for m in BASELINES if m in table.index], "ndcg@10"]
    return {"run_id": int(run_id), "created_at": created_at.isoformat(timespec="minutes"), "n_users": int(n_users),
            "learned_ndcg_10": float(table.loc["learned_gate", "ndcg@10"]),
            "best_baseline": str(rivals.idxmax()), "best_baseline_ndcg_10": float(rivals.max())}
