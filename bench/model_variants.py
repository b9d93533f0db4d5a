"""Train the interest model on a built database's evaluation split with model settings changed,
and print the test NDCG@10 / HR@10 of the learned gate, each branch alone and the best fixed weight
(with the items-chosen-together links at the weight validation chose, and without them), and the
learned gate and every fixed weight on the validation items too.

Run: python bench/model_variants.py --db PATH [--set n_negatives=20000 id_dropout=0.2 ...] [--hier ...]
     [--links enabled=False ...]

The split and the training are the evaluation's (``training.fit_model(hold_out_test=True)``:
each user's newest item is the test, the one before it stops training); one seed, so compare
variants over several seeds or with ``evaluate``'s paired bootstrap before believing a gap.
The database is opened read-only. Per-epoch lines, then one JSON line.
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


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"True": True, "False": False, "None": None}.get(text, text)


def _fields(pairs: list[str]) -> dict[str, Any]:
    """``field=value`` settings; a comma in the value makes a tuple (``weights=0,1,2``); a pair
    without ``=`` is refused by name rather than by a traceback."""
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise SystemExit(f"--set {pair!r}: give field=value")
        key, text = pair.split("=", 1)
        out[key] = tuple(_value(v) for v in text.split(",") if v) if "," in text else _value(text)
    return out


def fit_on_evaluation_split(db: Path, model_fields: dict[str, Any], hierarchy_fields: dict[str, Any],
                            link_fields: dict[str, Any] | None = None) -> tuple[Any, Any, np.ndarray]:
    """``(config, fitted, item vectors)``: the model trained as ``evaluate`` trains it, settings
    changed; per-epoch lines printed. Shared by the benches that try variants on that split."""
    import torch

    from recsys_core.config import RecsysConfig
    from recsys_core.data.store import Store
    from recsys_core.engine import RecsysEngine
    from recsys_core.training import fit_model, take_snapshot

    cfg = RecsysConfig.from_env().with_db(db)
    cfg = replace(cfg, model=replace(cfg.model, **model_fields), hierarchy=replace(cfg.hierarchy, **hierarchy_fields),
                  links=replace(cfg.links, **(link_fields or {})))
    with Store(db, read_only=True, config=cfg.store) as store:
        snapshot = take_snapshot(store, RecsysEngine(cfg).embedder, include_live=False, what="evaluate")
        fitted = fit_model(snapshot, cfg, hold_out_test=True, on_epoch=lambda s: print(
            f"  epoch {s.epoch} loss {s.loss:.3f} val NDCG@10 {s.val_ndcg_10:.4f} ({s.seconds:.0f} s)", flush=True))
    assert fitted.test is not None
    with torch.inference_mode():
        item_vecs = fitted.model.item_vectors().numpy()  # type: ignore[attr-defined]
    return cfg, fitted, item_vecs


def links_read_from(fitted: Any, cfg: Any, seqs: Any, n_items: int) -> Any:
    """The build's links (at the weight validation chose) fitted on ``seqs`` only: scoring a
    held-out item with links that were fitted on sequences holding it would leak it (the fitted
    model's own links are refitted on the whole history, validation items included)."""
    from recsys_core.interests.links import item_links

    if fitted.links is None:
        return None
    return item_links(seqs, n_items, cfg.links, float(fitted.fusion["link_weight"]),
                      float(fitted.fusion.get("transition_share", 0.0)))


def run(db: Path, model_fields: dict[str, Any], hierarchy_fields: dict[str, Any],
        link_fields: dict[str, Any]) -> dict[str, Any]:
    from recsys_core import metrics as M
    from recsys_core.evaluation.runner import fused_scores
    from recsys_core.interests.links import batch_link_scores
    from recsys_core.serving import encode_states

    cfg, fitted, item_vecs = fit_on_evaluation_split(db, model_fields, hierarchy_fields, link_fields)
    history, test = fitted.history, fitted.test
    states = encode_states(fitted.model, cfg.model, history, test.users, history.lengths()[test.users], test.days)
    u_long = np.stack([s.u_long for s in states])
    u_short = np.stack([s.u_short for s in states])
    gate = np.array([s.gate for s in states])
    seen = [history.user(int(u))[0] for u in test.users]
    links = (None if fitted.links is None else
             batch_link_scores(fitted.links, seen, cfg.links, cfg.model.max_history))

    def ndcg_hr(scores: np.ndarray) -> list[float]:
        scores = np.asarray(scores, np.float64)
        for row, items in enumerate(seen):
            scores[row, items] = -np.inf
        ranks = M.rank_of_targets(scores, test.items)
        return [round(M.ndcg_at_k(ranks, 10), 4), round(M.hit_rate_at_k(ranks, 10), 4)]

    fixed = {round(float(a), 1): ndcg_hr(fused_scores(float(a), u_long, u_short, item_vecs, links))[0]
             for a in np.linspace(0, 1, 11)}
    best = max(fixed, key=lambda a: fixed[a])
    # the same figures on the validation items (what the weights were chosen on), read from the
    # training part: does validation prefer the weights the test items do?
    train, val = fitted.train, fitted.validation
    v_states = encode_states(fitted.model, cfg.model, train, val.users, train.lengths()[val.users], val.days)
    v_long, v_short = np.stack([s.u_long for s in v_states]), np.stack([s.u_short for s in v_states])
    v_seen = [train.user(int(u))[0] for u in val.users]
    train_links = links_read_from(fitted, cfg, train, len(item_vecs))
    v_links = None if train_links is None else batch_link_scores(train_links, v_seen, cfg.links, cfg.model.max_history)

    def val_ndcg(alpha: Any) -> float:
        scores = np.asarray(fused_scores(alpha, v_long, v_short, item_vecs, v_links), np.float64)
        for row, items in enumerate(v_seen):
            scores[row, items] = -np.inf
        return round(M.ndcg_at_k(M.rank_of_targets(scores, val.items), 10), 4)

    validation = {"learned_gate": val_ndcg(np.array([s.gate for s in v_states])),
                  "fixed": {round(float(a), 1): val_ndcg(float(a)) for a in np.linspace(0, 1, 11)}}
    return {"model": model_fields, "hierarchy": hierarchy_fields, "links": link_fields, "epochs": len(fitted.epochs),
            "training_seconds": round(fitted.seconds["training"]), "fusion_seconds": round(fitted.seconds.get("fusion", 0), 1),
            "fusion": fitted.fusion, "test_users": len(test.users),
            "learned_gate": ndcg_hr(fused_scores(gate, u_long, u_short, item_vecs, links)),
            "learned_gate_without_links": ndcg_hr(fused_scores(gate, u_long, u_short, item_vecs)),
            "long_only": ndcg_hr(u_long @ item_vecs.T), "short_only": ndcg_hr(fused_scores(0.0, u_long, u_short, item_vecs, links)),
            "best_fixed_weight": [best, fixed[best]], "test_fixed": fixed, "validation": validation}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path, help="a database with imported data (opened read-only)")
    ap.add_argument("--set", nargs="*", default=[], help="InterestModelConfig field=value")
    ap.add_argument("--hier", nargs="*", default=[], help="HierarchyConfig field=value")
    ap.add_argument("--links", nargs="*", default=[], help="LinksConfig field=value")
    args = ap.parse_args(argv)
    if not args.db.exists():
        raise SystemExit(f"no database at {args.db}")
    print(json.dumps(run(args.db, _fields(args.set), _fields(args.hier), _fields(args.links))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
