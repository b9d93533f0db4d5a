"""Is the per-user fusion headroom learnable? Each user's best fixed weight picked with the test
item in hand looks like a large gain; this asks whether a user's own past tells which weight
suits them.

Run: python bench/gate_headroom.py --db PATH

Trains as ``evaluate`` does (bench/model_variants.py's split and settings, links included), then
for each user reads two transitions the model never trained on: validation (the item before the
newest, from the history without it) and test (the newest). Prints NDCG@10 on test of: every
fixed weight; the learned gate; each user's best weight in hindsight (the headroom); each user's
weight chosen on their own validation transition (ties and misses keep the best weight for all);
and how the per-user best weights of the two transitions correlate. A per-user weight that
carries over would show here before any gate could learn it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

ALPHAS = np.round(np.linspace(0.0, 1.0, 11), 1)


def main() -> int:
    import model_variants as mv

    from recsys_core import metrics as M
    from recsys_core.evaluation.runner import fused_scores
    from recsys_core.interests.links import batch_link_scores
    from recsys_core.interests.sequences import drop_last
    from recsys_core.serving import encode_states

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path)
    args = ap.parse_args()
    if not args.db.is_file():
        raise SystemExit(f"no database at {args.db}")
    cfg, fitted, item_vecs = mv.fit_on_evaluation_split(args.db, {}, {})
    history, test = fitted.history, fitted.test
    before, validation = drop_last(history)
    users = test.users
    assert np.array_equal(validation.users, users[np.isin(users, validation.users)])

    def grid(seqs, held, fitted_links):  # type: ignore[no-untyped-def]
        states = encode_states(fitted.model, cfg.model, seqs, held.users, seqs.lengths()[held.users], held.days)
        ul, us = np.stack([s.u_long for s in states]), np.stack([s.u_short for s in states])
        gate = np.array([s.gate for s in states])
        seen = [seqs.user(int(u))[0] for u in held.users]
        links = None if fitted_links is None else batch_link_scores(fitted_links, seen, cfg.links,
                                                                   cfg.model.max_history)

        def ndcg(alpha):  # type: ignore[no-untyped-def]
            scores = np.asarray(fused_scores(alpha, ul, us, item_vecs, links), dtype=np.float64)
            for row, items in enumerate(seen):
                scores[row, items] = -np.inf
            return M.ndcg_per_user(M.rank_of_targets(scores, held.items), 10)

        return np.stack([ndcg(float(a)) for a in ALPHAS], axis=1), ndcg(gate)

    val_grid, _ = grid(before, validation, mv.links_read_from(fitted, cfg, before, len(item_vecs)))
    test_grid, test_gate = grid(history, test, fitted.links)
    common = np.isin(users, validation.users)
    tg, vg = test_grid[common], val_grid
    best_all = int(vg.mean(axis=0).argmax())
    own = np.where(vg.max(axis=1) > vg[:, best_all], vg.argmax(axis=1), best_all)
    hit_both = (vg.max(axis=1) > 0) & (tg.max(axis=1) > 0)
    weighted = lambda g: (g * ALPHAS).sum(axis=1) / np.maximum(g.sum(axis=1), 1e-12)  # noqa: E731
    corr = float(np.corrcoef(weighted(vg[hit_both]), weighted(tg[hit_both]))[0, 1]) if hit_both.sum() > 2 else None
    print(json.dumps({
        "users": int(common.sum()),
        "fixed_weight_test": {f"{a:.1f}": round(float(x), 4) for a, x in zip(ALPHAS, tg.mean(axis=0), strict=True)},
        "learned_gate_test": round(float(test_gate[common].mean()), 4),
        "best_weight_for_all_chosen_on_validation": [float(ALPHAS[best_all]), round(float(tg[:, best_all].mean()), 4)],
        "hindsight_per_user_test": round(float(tg.max(axis=1).mean()), 4),
        "own_validation_weight_per_user_test": round(float(tg[np.arange(len(own)), own].mean()), 4),
        "users_whose_validation_picks_a_weight": int((vg.max(axis=1) > vg[:, best_all]).sum()),
        "users_with_a_hit_in_both": int(hit_both.sum()),
        "correlation_of_best_weights": None if corr is None else round(corr, 3),
    }), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
