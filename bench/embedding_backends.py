"""How fast each sentence-encoder backend embeds item texts, and how close its vectors are to
PyTorch's.

Run: python bench/embedding_backends.py --db PATH [--n 2000] [--backends torch onnx onnx-int8] [--threads 2]

Reads the first ``--n`` item texts of the database (opened read-only; the texts the build embeds,
``embed_text``), embeds them with each backend in a fresh encoder, nothing read from the store's
cache, and prints per backend: load seconds (the ONNX export included when it is not in the
export cache yet), texts/s, and the cosine of each vector to the PyTorch one (mean, minimum).
One JSON line at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def main() -> int:
    from recsys_core.config import RecsysConfig
    from recsys_core.data.frames import load_catalogue
    from recsys_core.data.store import Store
    from recsys_core.embeddings.factory import make_embedder

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path, help="a database with items (opened read-only)")
    ap.add_argument("--n", type=int, default=2000, help="item texts to embed")
    ap.add_argument("--backends", nargs="+", default=["torch", "onnx", "onnx-int8"])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if not args.db.is_file():
        raise SystemExit(f"no database at {args.db}")
    cfg = RecsysConfig.from_env().with_db(args.db)
    with Store(args.db, read_only=True, config=cfg.store) as store:
        texts = load_catalogue(store)["embed_text"].astype(str).tolist()[: args.n]
    lengths = [len(t) for t in texts]
    print(f"{len(texts)} item texts from {args.db.name}, {np.mean(lengths):.0f} characters on average "
          f"(p90 {np.percentile(lengths, 90):.0f}); {args.threads} threads")
    results: dict[str, dict[str, float]] = {}
    reference = None
    for backend in args.backends:
        embedder = make_embedder(replace(cfg.embedding, backend=backend), args.threads)
        started = time.perf_counter()
        embedder.encode(texts[:8])  # loads (and exports, the first time) the model
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        vectors = embedder.encode(texts)
        seconds = time.perf_counter() - started
        row = {"load_seconds": round(loaded, 2), "texts_per_s": round(len(texts) / seconds, 1)}
        if backend == "torch":
            reference = vectors
        if reference is not None:
            cos = (vectors * reference).sum(axis=1)
            row |= {"cosine_to_torch_mean": round(float(cos.mean()), 5), "cosine_to_torch_min": round(float(cos.min()), 5)}
        results[backend] = row
        cosine = (f"; cosine to PyTorch mean {row['cosine_to_torch_mean']:.4f}, min {row['cosine_to_torch_min']:.4f}"
                  if "cosine_to_torch_mean" in row else "")
        print(f"  {embedder.name:32s} {row['texts_per_s']:7.1f} texts/s (load {loaded:.1f} s){cosine}", flush=True)
    if "torch" in results:
        for row in results.values():
            row["speed_vs_torch"] = round(row["texts_per_s"] / results["torch"]["texts_per_s"], 2)
    print(json.dumps({"texts": len(texts), "threads": args.threads, "backends": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
