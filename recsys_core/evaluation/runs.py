"""Stored evaluation runs: writing a run with its per-user results, and reading runs back
(the table, the configuration, the paired comparison, the home page's headline).

No torch here: the pages read runs without loading the model.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from recsys_core.config import EvaluationConfig
from recsys_core.data.store import Store
from recsys_core.evaluation.significance import compare_models

BASELINES = ("popular", "item_knn", "item_knn_recent", "content_knn", "sasrec")
# How each model of a run is called wherever it is shown (pages, reports)
MODEL_NAMES = {"popular": "most popular", "item_knn": "item-kNN (whole history)",
               "item_knn_recent": "item-kNN (last items)", "content_knn": "content kNN",
               "sasrec": "SASRec (2 self-attention blocks)", "long_only": "long-term only",
               "short_only": "short-term only", "learned_gate": "learned gate"}


def save_run(store: Store, data_version: int, run_config: dict[str, Any], table: pd.DataFrame,
             per_user: pd.DataFrame, n_users: int, seconds: float) -> int:
    """Write one run (summary table, config, per-user rows) in one transaction; returns its id."""
    with store.transaction() as cur:
        run_id = int(cur.execute("SELECT coalesce(max(run_id), 0) + 1 FROM evaluation_runs").fetchall()[0][0])
        cur.execute(
            "INSERT INTO evaluation_runs (run_id, data_version, split, config, summary, n_users, seconds) "
            "VALUES (?, ?, 'leave_last_out', ?, ?, ?, ?)",
            [run_id, data_version, json.dumps(run_config), table.to_json(orient="records"), n_users, seconds],
        )
        cur.register("per_user", per_user)
        try:
            cur.execute("INSERT INTO evaluation_users SELECT ?, model, user_id, n_train, segment, rank, ndcg_10, "
                        "diversity, novelty, calibration, gate FROM per_user", [run_id])
        finally:
            cur.unregister("per_user")
    return run_id


def load_runs(store: Store) -> pd.DataFrame:
    """Past runs, newest first: run_id, created_at, data_version, n_users, seconds."""
    with store.cursor() as cur:
        return cur.execute("SELECT run_id, created_at, data_version, split, n_users, seconds FROM evaluation_runs "
                           "ORDER BY run_id DESC").df()


def load_run_config(store: Store, run_id: int) -> dict[str, object] | None:
    """A run's stored configuration (learned weights and headroom included), or None."""
    with store.cursor() as cur:
        rows = cur.execute("SELECT config FROM evaluation_runs WHERE run_id = ?", [run_id]).fetchall()
    return json.loads(rows[0][0]) if rows else None


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


def gate_verdict(store: Store, config: EvaluationConfig) -> dict[str, object] | None:
    """What the newest run says of the learned weight against one fixed weight for everyone:
    the best fixed weight of its sweep, the learned gate's NDCG@10 minus that weight's, with the
    paired bootstrap interval and a verdict ("better", "tie", "worse"). None without a run."""
    with store.cursor() as cur:
        rows = cur.execute("SELECT run_id, summary FROM evaluation_runs ORDER BY run_id DESC LIMIT 1").fetchall()
    if not rows:
        return None
    run_id, summary = rows[0]
    table = pd.DataFrame(json.loads(summary)).set_index("model")
    sweep = table[table.index.str.startswith("alpha=")]
    if sweep.empty or "learned_gate" not in table.index:
        return None
    best = str(sweep["ndcg@10"].idxmax())
    compared = load_run_comparison(store, int(run_id), "learned_gate", config).set_index("model")
    if best not in compared.index:
        return None
    row = compared.loc[best]
    return {"run_id": int(run_id), "best_fixed": float(best.split("=")[1]),
            "learned_ndcg_10": float(table.loc["learned_gate", "ndcg@10"]),
            "fixed_ndcg_10": float(sweep.loc[best, "ndcg@10"]), "delta": float(row["delta"]),
            "low": float(row["low"]), "high": float(row["high"]), "verdict": str(row["verdict"])}


def alpha_curve_data(table: pd.DataFrame, run_config: dict[str, object], metric: str) -> tuple[
        pd.DataFrame, dict[str, float], dict[str, float] | None]:
    """What the metric-against-weight chart of a run draws: the sweep (alpha, all users, and
    light / heavy users for NDCG@10), reference levels (learned gate, best baseline, each user's
    best weight in hindsight) and the learned weights' quantiles."""
    sweep = table[table["kind"] == "sweep"].copy()
    sweep["alpha"] = sweep["model"].str.replace("alpha=", "").astype(float)
    curve = pd.DataFrame({"alpha": sweep["alpha"], "all users": sweep[metric]})
    if metric == "ndcg@10" and "ndcg@10_light" in sweep:
        curve["light users"] = sweep["ndcg@10_light"]
        curve["heavy users"] = sweep["ndcg@10_heavy"]
    rows = table.set_index("model")
    refs = {"learned gate": float(rows.loc["learned_gate", metric])}
    baselines = rows[rows["kind"] == "baseline"][metric]
    if len(baselines):
        best = str(baselines.idxmax())
        refs[f"best baseline ({MODEL_NAMES.get(best, best)})"] = float(baselines.max())
    oracle = run_config.get("oracle_alpha_ndcg_10")
    if metric == "ndcg@10" and isinstance(oracle, float):
        refs["each user's best weight (hindsight)"] = oracle
    learned = run_config.get("learned_alpha")
    return curve, refs, learned if isinstance(learned, dict) else None  # type: ignore[return-value]


def load_run_users(store: Store, run_id: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """One run's NDCG@10 per test user, users x models (wide), and each user's learned weight
    (empty for runs stored before the weight was kept)."""
    with store.cursor() as cur:
        per_user = cur.execute("SELECT model, user_id, ndcg_10, gate FROM evaluation_users WHERE run_id = ?",
                               [run_id]).df()
    wide = per_user.pivot(index="user_id", columns="model", values="ndcg_10")
    gates = per_user[per_user["model"] == "learned_gate"].dropna(subset=["gate"])
    return wide, dict(zip(gates["user_id"].astype(str), gates["gate"].astype(float), strict=True))


def load_run_data_version(store: Store, run_id: int) -> int | None:
    with store.cursor() as cur:
        row = cur.execute("SELECT data_version FROM evaluation_runs WHERE run_id = ?", [run_id]).fetchone()
    return None if row is None else int(row[0])
