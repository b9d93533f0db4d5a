"""Benchmark the interest engine: embedding throughput, build time, recommendation latency, memory.

Run: python bench/engine.py [--sizes 10000 100000] [--skip-sample-build]

1. Embedding throughput of all-MiniLM-L6-v2 on the sample's item texts (texts/s).
2. Build time on the shipped sample (fresh database: embedding + hierarchy + training), and the
   build's peak resident memory.
3. For scaled synthetic shops (the sample generator at 10k and 100k items): build, then serve
   slider-style re-ranks (same user, a new alpha each call) and print median and p95 latency
   per call, plus peak resident memory of the build process and of the serving process.
   The scaled shops embed texts with the hashing embedder (384 dims, like MiniLM) because
   embedding 100k texts with MiniLM on two cores takes about half an hour (see the throughput
   above); serving cost does not depend on which encoder made the vectors. Scaled builds train
   for 2 epochs: latency and memory do not depend on the epoch count.
Every stage runs in its own process so peak memory is per stage.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def stage_throughput() -> dict[str, float]:
    from recsys_core.data.frames import load_catalogue
    from recsys_core.data.sample import load_sample
    from recsys_core.data.store import Store
    from recsys_core.embeddings.sentence import SentenceTransformerEmbedder

    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "t.duckdb") as store:
        load_sample(store, ROOT / "sample_data")
        texts = load_catalogue(store)["embed_text"].tolist()[:800]
    embedder = SentenceTransformerEmbedder()
    embedder.encode(texts[:8])
    start = time.perf_counter()
    embedder.encode(texts)
    seconds = time.perf_counter() - start
    return {"texts": len(texts), "seconds": seconds, "texts_per_s": len(texts) / seconds}


def _config(db: Path, embedding: str, epochs: int | None, sample: str | None = None):  # noqa: ANN202
    from recsys_core.config import RecsysConfig

    cfg = RecsysConfig.from_env().with_db(db)
    cfg = replace(cfg, embedding=replace(cfg.embedding, model=embedding))
    if sample is not None:
        cfg = replace(cfg, sample_dir=Path(sample))
    if epochs is not None:
        cfg = replace(cfg, model=replace(cfg.model, epochs=epochs))
    return cfg


def stage_build(db: str, sample: str, embedding: str, epochs: int | None) -> dict[str, float]:
    from recsys_core.engine import RecsysEngine

    engine = RecsysEngine(_config(Path(db), embedding, epochs, sample)).open()
    start = time.perf_counter()
    engine.load_sample()
    loaded = time.perf_counter() - start
    report = engine.build()
    engine.close()
    return {"load_s": loaded, "build_s": report.seconds["total"], **{f"{k}_s": v for k, v in report.seconds.items()},
            "n_items": report.n_items, "n_users": report.n_users, "epochs": report.epochs_run, "peak_mb": _peak_mb()}


def stage_serve(db: str, embedding: str, calls: int) -> dict[str, float]:
    import numpy as np

    from recsys_core.engine import RecsysEngine

    engine = RecsysEngine(_config(Path(db), embedding, None)).open()
    start = time.perf_counter()
    serving = engine.serving()
    load_s = time.perf_counter() - start
    with engine.store.cursor() as cur:
        users = [r[0] for r in cur.execute(
            "SELECT user_id FROM interactions GROUP BY ALL ORDER BY count(*) DESC, user_id LIMIT 20").fetchall()]
    rng = np.random.default_rng(0)
    first, moves = [], []
    for user in users:
        t = time.perf_counter()
        engine.recommend(user, n=10)  # computes and caches the user's state
        first.append(time.perf_counter() - t)
        for _ in range(calls // len(users)):
            t = time.perf_counter()
            engine.recommend(user, n=10, alpha=float(rng.uniform()))
            moves.append(time.perf_counter() - t)
    engine.close()
    ms = np.array(moves) * 1000
    return {"n_items": len(serving.item_ids), "load_s": load_s, "first_call_ms_median": float(np.median(first) * 1000),
            "slider_ms_median": float(np.median(ms)), "slider_ms_p95": float(np.percentile(ms, 95)),
            "calls": len(ms), "peak_mb": _peak_mb()}


def _child(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--stage", *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(f"stage {args[0]} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--skip-sample-build", action="store_true")
    parser.add_argument("--stage", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        name, *rest = args.stage
        if name == "throughput":
            result = stage_throughput()
        elif name == "build":
            result = stage_build(rest[0], rest[1], rest[2], int(rest[3]) if rest[3] != "-" else None)
        else:
            result = stage_serve(rest[0], rest[1], int(rest[2]))
        print(json.dumps(result))
        return

    tp = _child("throughput")
    print(f"embedding throughput (all-MiniLM-L6-v2, 2 threads): {tp['texts_per_s']:.0f} texts/s "
          f"({tp['texts']} sample item texts in {tp['seconds']:.1f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if not args.skip_sample_build:
            b = _child("build", str(tmp_path / "sample.duckdb"), str(ROOT / "sample_data"),
                       "packaged:all-MiniLM-L6-v2", "-")
            print(f"sample build ({b['n_items']:,} items, {b['n_users']:,} users, {b['epochs']} epochs): "
                  f"{b['build_s']:.0f} s total = embedding {b['embedding_s']:.0f} s + hierarchy "
                  f"{b['hierarchy_s']:.1f} s + training {b['training_s']:.0f} s + saving "
                  f"{b['saving_s']:.1f} s; peak RSS {b['peak_mb']:.0f} MB")
            s = _child("serve", str(tmp_path / "sample.duckdb"), "packaged:all-MiniLM-L6-v2", "400")
            print(f"sample serving: slider re-rank median {s['slider_ms_median']:.1f} ms, p95 "
                  f"{s['slider_ms_p95']:.1f} ms ({s['calls']} calls); peak RSS {s['peak_mb']:.0f} MB")
        from recsys_core.synthetic.sample_files import write_sample

        for n in args.sizes:
            folder = tmp_path / f"shop{n}"
            t = time.perf_counter()
            write_sample(folder, n_items=n, n_users=max(1200, n // 20), seed=11)
            gen_s = time.perf_counter() - t
            db = str(tmp_path / f"shop{n}.duckdb")
            b = _child("build", db, str(folder), "hashing-384", "2")
            s = _child("serve", db, "hashing-384", "400")
            print(f"{n:,} items ({b['n_users']:,} users, generated in {gen_s:.0f} s): build {b['build_s']:.0f} s "
                  f"(2 epochs, training {b['training_s']:.0f} s), build peak RSS {b['peak_mb']:.0f} MB; "
                  f"model load {s['load_s']:.1f} s; first call {s['first_call_ms_median']:.0f} ms; slider re-rank "
                  f"median {s['slider_ms_median']:.1f} ms, p95 {s['slider_ms_p95']:.1f} ms ({s['calls']} calls); "
                  f"serving peak RSS {s['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
