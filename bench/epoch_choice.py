"""Which epoch should training keep? The interest model trained on the evaluation's split for
its whole epoch budget, each epoch scored on the validation items (what early stopping reads)
and on the test items (what nobody may read), then the epoch each stopping rule would have
kept and its test NDCG@10: the best validation figure with ``patience`` (today's rule), the
last epoch, and the latest epoch whose validation figure is not clearly below the best one
(paired over users, ``--z`` standard errors).

Run: python bench/epoch_choice.py --db PATH [--epochs 3 8] [--seeds 0 1 2] [--z 1.96]

The model alone at its learned gate (no links), full ranking without seen items: the figure
the training's validation reads. The database is opened read-only. Prints a line per seed and
budget and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def todays_rule(val: list[np.ndarray], patience: int) -> int:
    """The epoch (0-based) the training's own early stopping keeps, fed the same figures."""
    import torch

    from recsys_core.interests.train import EarlyStopping

    stop, net = EarlyStopping(patience), torch.nn.Linear(1, 1)
    for epoch, figures in enumerate(val, start=1):
        if stop.should_stop(epoch, float(figures.mean()), net):
            break
    assert stop.best_epoch is not None
    return stop.best_epoch - 1


def not_clearly_worse(val: list[np.ndarray], patience: int, z: float) -> int:
    """The latest epoch whose per-user figures are not clearly below the best epoch's (mean
    paired difference above ``-z`` standard errors), stopping after ``patience`` epochs in a
    row that are clearly below."""
    best, kept, worse = 0, 0, 0
    for e in range(1, len(val)):
        if val[e].mean() > val[best].mean():
            best = e
        diff = val[e] - val[best]
        se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
        if diff.mean() >= -z * se:
            kept, worse = e, 0
        else:
            worse += 1
            if worse >= patience:
                break
    return kept


def run(db: Path, budget: int, seed: int) -> dict[str, Any]:
    import torch

    from recsys_core.config import RecsysConfig
    from recsys_core.data.store import Store
    from recsys_core.engine import RecsysEngine
    from recsys_core.interests import train as loop
    from recsys_core.interests.sequences import drop_last
    from recsys_core.training import fit_model, take_snapshot

    cfg = RecsysConfig.from_env().with_db(db).with_epochs(budget)
    cfg = replace(cfg, seed=seed)
    val_by_epoch: list[np.ndarray] = []
    test_by_epoch: list[np.ndarray] = []
    with Store(db, read_only=True, config=cfg.store) as store:
        snapshot = take_snapshot(store, RecsysEngine(cfg).embedder, include_live=False, what="evaluate")
    history, test = drop_last(snapshot.sequences)
    train, validation = drop_last(history)

    class Recorder(loop.EarlyStopping):
        """Never stops, keeps the last weights, scores every epoch on both held-out sets."""

        def should_stop(self, epoch: int, val: float | None, model: torch.nn.Module) -> bool:
            val_by_epoch.append(loop.validation_ndcg_per_user(model, train, validation))  # type: ignore[arg-type]
            test_by_epoch.append(loop.validation_ndcg_per_user(model, history, test))  # type: ignore[arg-type]
            return False

        def restore_best(self, model: torch.nn.Module) -> None:
            pass

    real = loop.EarlyStopping
    loop.EarlyStopping = Recorder  # type: ignore[misc]
    try:
        fit_model(snapshot, cfg, hold_out_test=True)
    finally:
        loop.EarlyStopping = real  # type: ignore[misc]
    patience = cfg.model.patience
    return {"val": [round(float(v.mean()), 4) for v in val_by_epoch],
            "test": [round(float(t.mean()), 4) for t in test_by_epoch],
            "picks": {"best (today)": todays_rule(val_by_epoch, patience), "last": len(val_by_epoch) - 1,
                      "not clearly worse": not_clearly_worse(val_by_epoch, patience, Z)},
            "test_per_user": test_by_epoch}


Z = 1.96


def main(argv: list[str] | None = None) -> int:
    global Z
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path, help="a database with imported data and its vectors (read only)")
    ap.add_argument("--epochs", type=int, nargs="+", default=[3, 8], help="epoch budgets")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--z", type=float, default=1.96, help="standard errors a later epoch may sit below the best")
    args = ap.parse_args(argv)
    if not args.db.is_file():
        ap.error(f"no database at {args.db}")
    Z = args.z
    summary: dict[str, Any] = {}
    for budget in args.epochs:
        per_rule: dict[str, list[np.ndarray]] = {}
        for seed in args.seeds:
            out = run(args.db, budget, seed)
            picks = out["picks"]
            print(f"budget {budget} seed {seed}: validation {out['val']} test {out['test']} kept (1-based) "
                  + ", ".join(f"{rule} {e + 1}" for rule, e in picks.items()), flush=True)
            for rule, e in picks.items():
                per_rule.setdefault(rule, []).append(out["test_per_user"][e])
        means = {rule: round(float(np.concatenate(v).mean()), 4) for rule, v in per_rule.items()}
        base = np.concatenate(per_rule["best (today)"])
        gaps = {}
        for rule in per_rule:
            d = np.concatenate(per_rule[rule]) - base
            se = d.std(ddof=1) / np.sqrt(len(d))
            gaps[rule] = [round(float(d.mean()), 4), round(float(d.mean() - 1.96 * se), 4), round(float(d.mean() + 1.96 * se), 4)]
        print(f"budget {budget}, {len(args.seeds)} seeds: test NDCG@10 by rule {means}; minus today's rule "
              f"(mean, 95% interval over users x seeds) {gaps}", flush=True)
        summary[str(budget)] = {"test": means, "minus_today": gaps}
    print(json.dumps({"z": Z, "seeds": args.seeds, "budgets": summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
