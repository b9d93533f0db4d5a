"""Train the interest model once on a database's evaluation split and try extra terms on top of
its fused scores, each weight chosen on the validation items and reported on the test items:
a log-popularity prior, and item-kNN on the user's last k items (cosine of the item columns of
the training user x item matrix), both standardised per user before they are added.

Run: python bench/score_mixes.py --db PATH [--set field=value ...]

The split is the evaluation's (each user's newest item is the test, the one before it the
validation target; the validation rows use the history without it, so no weight is chosen on
the test). One seed: compare against the paired-bootstrap interval of `evaluate` before
believing a gap (about +-0.018 NDCG@10 on ml-latest-small's 610 users).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)


def _standardise(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(1, keepdims=True)) / (x.std(1, keepdims=True) + 1e-9)


def _cooccurrence(seqs: object, n_items: int) -> np.ndarray:
    lengths = seqs.lengths()  # type: ignore[attr-defined]
    rows = np.repeat(np.arange(len(lengths)), lengths)
    x = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, seqs.items)), shape=(len(lengths), n_items))  # type: ignore[attr-defined]
    norms = np.sqrt(np.asarray(x.sum(0))).ravel() + 1e-9
    c = (x.T @ x).toarray().astype(np.float32)
    np.fill_diagonal(c, 0)
    return c / norms[:, None] / norms[None, :]


def main() -> None:
    import model_variants as mv

    from recsys_core import metrics as M
    from recsys_core.fusion import fuse
    from recsys_core.interests.sequences import drop_last
    from recsys_core.serving import encode_states

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--set", nargs="*", default=[], help="InterestModelConfig field=value")
    args = ap.parse_args()
    cfg, fitted, vecs = mv.fit_on_evaluation_split(args.db, mv._fields(args.set), {})
    history, test = fitted.history, fitted.test
    n_items = vecs.shape[0]
    before_val, val = drop_last(history)

    def figures(seqs: object, held: object, extra: dict[str, np.ndarray]) -> dict[tuple[str, float], float]:
        states = encode_states(fitted.model, cfg.model, seqs, held.users, seqs.lengths()[held.users], held.days)  # type: ignore[attr-defined]
        base = _standardise(fuse(np.stack([s.u_long for s in states]), np.stack([s.u_short for s in states]),
                                 np.array([s.gate for s in states])) @ vecs.T)
        seen = [seqs.user(int(u))[0] for u in held.users]  # type: ignore[attr-defined]
        out = {}
        for name, term in extra.items():
            for w in WEIGHTS:
                scores = base + w * term
                for row, items in enumerate(seen):
                    scores[row, items] = -np.inf
                out[(name, w)] = M.ndcg_at_k(M.rank_of_targets(scores, held.items), 10)  # type: ignore[attr-defined]
        return out

    def extras(seqs: object, held: object) -> dict[str, np.ndarray]:
        pop = np.log1p(seqs.item_counts(n_items).astype(np.float64))  # type: ignore[attr-defined]
        sim = _cooccurrence(seqs, n_items)
        last = [seqs.user(int(u))[0] for u in held.users]  # type: ignore[attr-defined]
        return {"log-popularity": _standardise(np.tile(pop, (len(last), 1))),
                "item-kNN last 5": _standardise(np.stack([sim[items[-5:]].sum(0) for items in last]))}

    on_val = figures(before_val, val, extras(before_val, val))
    on_test = figures(history, test, extras(history, test))
    print(f"{'term':<18} {'weight':>6}  {'val NDCG@10':>11}  {'test NDCG@10':>12}")
    for name in ("log-popularity", "item-kNN last 5"):
        best = max(WEIGHTS, key=lambda w: on_val[(name, w)])
        for w in WEIGHTS:
            mark = "  <- chosen on validation" if w == best else ""
            print(f"{name:<18} {w:>6.2f}  {on_val[(name, w)]:>11.4f}  {on_test[(name, w)]:>12.4f}{mark}")


if __name__ == "__main__":
    main()
