"""Train the interest model once on the evaluation split, then try settings of the links (the
second stage, chosen after training with the branches frozen) against the validation and the
test items.

Usage:
    python bench/links_settings.py --db DB [--model-cache FILE] [SETTING ...]

A SETTING is ``field=value`` pairs of :class:`recsys_core.config.LinksConfig` joined by spaces in
one argument (``"l2=500"``, ``"weights=0,1,2,5,8,12,20 shares=0,1,2"``); the defaults are always
tried first. For each it prints, as one JSON line: the weight and share validation chose, the
validation NDCG@10 at that choice, and the test NDCG@10 of the learned gate with those links
refitted on the whole history the model may read (as the build serves them), with a 95% paired
bootstrap interval against the defaults over the test users. Training takes most of the time
(about 8 epochs of a minute or more on ml-latest-small); ``--model-cache`` keeps the trained model in
a file so the next run tries other settings on the same weights. One seed: a setting is better
only where both validation and the interval say so.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import numpy as np  # noqa: E402
from model_variants import _fields, fit_on_evaluation_split  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path, help="a database with imported data (opened read-only)")
    ap.add_argument("--model-cache", type=Path, help="a file keeping the trained model between runs")
    ap.add_argument("settings", nargs="*", help='LinksConfig "field=value ..." per setting to try')
    args = ap.parse_args(argv)
    if not args.db.exists():
        raise SystemExit(f"no database at {args.db}")
    settings = [_fields(s.split()) for s in args.settings]

    from recsys_core.evaluation.runner import fused_scores
    from recsys_core.evaluation.significance import paired_bootstrap
    from recsys_core.interests.links import batch_link_scores, item_links
    from recsys_core.metrics import ndcg_per_user, rank_of_targets
    from recsys_core.serving import encode_states
    from recsys_core.training import fit_fusion

    if args.model_cache is not None and args.model_cache.exists():
        cfg, fitted, item_vecs = pickle.loads(args.model_cache.read_bytes())
        print(f"model read from {args.model_cache}", flush=True)
    else:
        cfg, fitted, item_vecs = fit_on_evaluation_split(args.db, {}, {})
        if args.model_cache is not None:
            args.model_cache.write_bytes(pickle.dumps((cfg, fitted, item_vecs)))
    history, test = fitted.history, fitted.test
    states = encode_states(fitted.model, cfg.model, history, test.users, history.lengths()[test.users], test.days)
    u_long, u_short = np.stack([s.u_long for s in states]), np.stack([s.u_short for s in states])
    gate = np.array([s.gate for s in states])
    seen = [history.user(int(u))[0] for u in test.users]

    def per_user(scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, np.float64)
        for row, items in enumerate(seen):
            scores[row, items] = -np.inf
        return ndcg_per_user(rank_of_targets(scores, test.items), 10)

    baseline: np.ndarray | None = None
    for fields in [{}, *settings]:
        links_cfg = replace(cfg.links, **fields)
        run_cfg = replace(cfg, links=links_cfg)
        started = time.perf_counter()
        links, figures = fit_fusion(fitted.model, run_cfg, fitted.train, fitted.validation, len(item_vecs))
        served = (None if links is None else
                  item_links(history, len(item_vecs), links_cfg, figures["link_weight"], figures["transition_share"]))
        link_s = None if served is None else batch_link_scores(served, seen, links_cfg, cfg.model.max_history)
        test_ndcg = per_user(fused_scores(gate, u_long, u_short, item_vecs, link_s))
        line: dict[str, Any] = {
            "setting": {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()} or "defaults",
            "weight": figures["link_weight"], "share": figures["transition_share"],
            "validation_ndcg_10": round(figures["val_ndcg_10"], 4), "test_ndcg_10": round(float(test_ndcg.mean()), 4),
            "seconds": round(time.perf_counter() - started, 1)}
        if baseline is None:
            baseline = test_ndcg
        else:
            diff = paired_bootstrap(test_ndcg, baseline, seed=cfg.seed)
            line["test_minus_defaults"] = [round(diff.delta, 4), round(diff.low, 4), round(diff.high, 4)]
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
