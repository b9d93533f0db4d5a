"""SASRec alone on a database's leave-last-out split (the evaluation's exact split), printing
test NDCG/HR and seconds per epoch.

    python bench/sasrec.py --db DB [--seed 42] [--batch-size 32]

DB is any imported database (e.g. `python -m recsys_core --db /tmp/ml.duckdb import --movielens
../shared/datasets/ml-latest-small`). SASRec reads item ids only, so the hashing encoder stands in
for the text vectors the snapshot carries.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recsys_core import metrics as M  # noqa: E402
from recsys_core.config import SASRecConfig  # noqa: E402
from recsys_core.data.store import Store  # noqa: E402
from recsys_core.embeddings.hashing import HashingEmbedder  # noqa: E402
from recsys_core.evaluation.sasrec import SASRecScorer  # noqa: E402
from recsys_core.interests.sequences import drop_last  # noqa: E402
from recsys_core.training import take_snapshot  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--batch-size", type=int, default=SASRecConfig().batch_size)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    with Store(args.db, read_only=True) as store:
        snap = take_snapshot(store, HashingEmbedder(64), include_live=False, what="evaluate")
    n_items = len(snap.catalogue)
    history, test = drop_last(snap.sequences)  # as fit_model(hold_out_test=True)
    train, validation = drop_last(history)
    started = time.perf_counter()
    scorer = SASRecScorer(SASRecConfig(batch_size=args.batch_size), seed=args.seed).fit(train, n_items, validation)
    fit_s = time.perf_counter() - started
    histories = [history.user(int(u))[0] for u in test.users]
    scores = scorer.score(histories).astype(np.float64)
    for r, h in enumerate(histories):
        scores[r, h] = -np.inf
    ranks = M.rank_of_targets(scores, test.items)
    secs = [s.seconds for s in scorer.epochs_]
    print(f"{len(test.users)} test users, {n_items} items")
    print(f"SASRec NDCG@10 {M.ndcg_at_k(ranks, 10):.4f}  HR@10 {M.hit_rate_at_k(ranks, 10):.4f}  "
          f"MRR {M.mean_reciprocal_rank(ranks):.4f}")
    print(f"epochs run {len(secs)} (best {scorer.best_epoch_}), seconds per epoch median {np.median(secs):.1f}, "
          f"fit {fit_s:.0f} s")


if __name__ == "__main__":
    main()
