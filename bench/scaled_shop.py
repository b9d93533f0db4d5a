"""The product at a million events on one machine: the sample generator's shop at 100,000 items
and 50,000 users, built with the real sentence encoder, then served.

Run: python bench/scaled_shop.py --out DIR [--backend onnx-int8] [--items 100000] [--users 50000]
     [--skip-build] [--browser] [--profile] [--parts] [--kernel-threads N] [--collector-on]

Makes (or reuses) ``DIR/files`` (``generate-sample``) and ``DIR/shop.duckdb`` (``sample --from``),
then, each stage in its own process so memory is per stage:
1. the build (``python -m recsys_core build --no-names`` with ``RECSYS_EMBEDDING_BACKEND``):
   wall time, the build's own seconds per stage, texts/s of its embedding stage, epochs and
   seconds per epoch, and the process's peak resident memory;
2. serving: ``recommend --all-users`` (``RecsysEngine.recommend_many`` over every user, the served
   model loaded first) in users/s, and the lab's slider (the same user, a new weight per call)
   median and p95 over 400 calls on 20 users, with the serving process's peak memory; then the
   command as a user runs it (a fresh process that loads the model and writes every row as
   CSV): wall time, users/s and peak memory;
3. with ``--browser``: ``bench/dashboard.py`` on the built database (app start, the interest
   map page drawn in Chromium, the lab's slider through AppTest).
``--skip-build`` serves the newest build already in ``DIR/shop.duckdb``. Prints a table and one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _env(backend: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "RECSYS_EMBEDDING_BACKEND": backend,
            "RECSYS_LLM_BACKEND": "template"}


def _encoder(backend: str) -> str:
    """What embeds the texts: the hashing embedder when RECSYS_EMBEDDING_MODEL names one (the
    backend setting is then unused), else the sentence encoder on ``backend``."""
    model = os.environ.get("RECSYS_EMBEDDING_MODEL", "")
    return model if model.startswith("hashing-") else backend


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run a command; its wall seconds and its peak resident memory in GB."""
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(args[:6])} ...")
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2


def _time_parts() -> dict[tuple[str, str], list[float]]:
    """Wrap the all-users pass's parts in timers: per (thread, part) wall and CPU seconds and
    calls, so where the time goes (and on which thread) can be read again."""
    import collections
    import threading

    import recsys_core.engine as engine_module
    import recsys_core.serving as serving_module

    seen: dict[tuple[str, str], list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0.0])

    def wrap(owner: object, name: str) -> None:
        inner = getattr(owner, name)

        def timed(*args: object, **kwargs: object) -> object:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                row = seen[(threading.current_thread().name.split("_")[0], name)]
                row[0] += time.perf_counter() - wall
                row[1] += time.thread_time() - cpu
                row[2] += 1

        setattr(owner, name, timed)

    for name in ("fused_scores_many", "top_n_many", "slot_link_parts_many", "list_parts"):
        wrap(serving_module, name)
    for name in ("score_lists", "assemble_lists", "load_events"):
        wrap(engine_module, name)
    wrap(serving_module.ServingModel, "user_states")
    return seen


def serve(db: Path, profile: bool = False, parts: bool = False, kernel_threads: int | None = None,
          collector_on: bool = False) -> dict[str, float]:
    """Stage 2, in a child process: every user's list, then slider moves; ``profile`` prints
    cProfile's table of the all-users pass (its main thread: the scoring thread's time shows as
    the wait for it) before the figures; ``parts`` prints each part's wall and CPU seconds per
    thread. ``kernel_threads`` and ``collector_on`` undo two of the pass's settings (BLAS and
    torch threads per kernel; the garbage collector left running) to measure what they bring."""
    import contextlib
    from dataclasses import replace

    import numpy as np

    import recsys_core.engine as engine_module
    from recsys_core.config import RecsysConfig
    from recsys_core.engine import RecsysEngine

    config = RecsysConfig.from_env().with_db(db)
    if kernel_threads is not None:
        config = replace(config, recommend=replace(config.recommend, kernel_threads=kernel_threads))
    if collector_on:
        engine_module.collector_paused = contextlib.nullcontext  # type: ignore[assignment]
    seen = _time_parts() if parts else None
    engine = RecsysEngine(config).open()
    try:
        started = time.perf_counter()
        serving = engine.serving()
        load = time.perf_counter() - started
        users = engine.user_ids()
        started = time.perf_counter()
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        lists = sum(1 for _ in engine.recommend_many(users, n=20))
        all_users = time.perf_counter() - started
        if profile:
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)
        if seen is not None:
            print(f"all-users pass {all_users:.1f} s wall; per thread and part (wall s, CPU s, calls):")
            for (thread, name), (wall, cpu, calls) in sorted(seen.items()):
                print(f"  {thread:12s} {name:22s} {wall:7.2f} {cpu:7.2f} {int(calls):7d}")
        rng = np.random.default_rng(0)
        moves = []
        for user in [users[i] for i in rng.choice(len(users), 20, replace=False)]:
            engine.recommend(user, n=10)  # the state, computed once and cached
            for _ in range(20):
                t = time.perf_counter()
                engine.recommend(user, n=10, alpha=float(rng.uniform()))
                moves.append((time.perf_counter() - t) * 1000)
    finally:
        engine.close()
    return {"items": len(serving.item_ids), "users": lists, "model_load_s": round(load, 2),
            "all_users_s": round(all_users, 1), "users_per_s": round(lists / all_users, 1),
            "slider_ms_median": round(float(np.median(moves)), 2), "slider_ms_p95": round(float(np.percentile(moves, 95)), 2),
            "serving_peak_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2, 2)}


def command(db: Path, users: int) -> dict[str, float]:
    """Stage 2b, in a child process: ``recommend --all-users --n 20 --format csv`` as a user
    runs it (a fresh process: start-up, model load, every list written out), its wall time
    and peak memory."""
    with open(os.devnull, "w") as sink:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "recsys_core", "--db", str(db), "recommend", "--all-users", "--n", "20",
                        "--format", "csv"], cwd=ROOT, stdout=sink, check=True)
        seconds = time.perf_counter() - started
    return {"command_s": round(seconds, 1), "command_users_per_s": round(users / seconds, 1),
            "command_peak_gb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2, 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for the shop's files and database")
    ap.add_argument("--backend", default="onnx-int8", choices=["torch", "onnx", "onnx-int8"])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=50_000)
    ap.add_argument("--skip-build", action="store_true", help="serve the newest build already in the database")
    ap.add_argument("--browser", action="store_true", help="also run bench/dashboard.py on the built database")
    ap.add_argument("--profile", action="store_true", help="print cProfile's table of the all-users pass")
    ap.add_argument("--parts", action="store_true", help="print the pass's parts' wall and CPU seconds per thread")
    ap.add_argument("--kernel-threads", type=int, help="BLAS and torch threads per kernel in the pass (default: the config's)")
    ap.add_argument("--collector-on", action="store_true", help="leave the garbage collector running in the pass")
    ap.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--command", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        print(json.dumps(serve(args.serve, args.profile, args.parts, args.kernel_threads, args.collector_on)))
        return 0
    if args.command:
        print(json.dumps(command(args.command, args.users)))
        return 0
    env = _env(args.backend)
    py = [sys.executable, "-m", "recsys_core"]
    files, db = args.out / "files", args.out / "shop.duckdb"
    out: dict[str, object] = {"backend": _encoder(args.backend)}
    if not (files / "items.csv").is_file():
        seconds, _ = _run([*py, "generate-sample", "--out", str(files), "--items", str(args.items),
                           "--users", str(args.users)], env)
        out["generate_s"] = round(seconds, 1)
    if not db.is_file():
        seconds, _ = _run([*py, "--db", str(db), "sample", "--from", str(files)], env)
        out["import_s"] = round(seconds, 1)
    if not args.skip_build:
        seconds, peak = _run([*py, "--db", str(db), "build", "--no-names"], env)
        out["build_wall_s"], out["build_peak_gb"] = round(seconds, 1), round(peak, 2)
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT stats FROM builds ORDER BY build_id DESC LIMIT 1").fetchone()
        if row is None:
            raise SystemExit(f"no build in {db}: run without --skip-build")
        stats = json.loads(row[0])
        (events,) = con.execute("SELECT count(*) FROM interactions").fetchone() or (0,)
    out.update(items=stats["n_items"], build_users=stats["n_users"], events=events, stage_s=stats["seconds"],
               new_texts=stats.get("new_texts"), epochs=len(stats["losses"]))
    if stats.get("new_texts") and stats["seconds"].get("embedding"):
        out["embedding_texts_per_s"] = round(stats["new_texts"] / stats["seconds"]["embedding"], 1)
    if stats["losses"] and stats["seconds"].get("training"):
        out["seconds_per_epoch"] = round(stats["seconds"]["training"] / len(stats["losses"]), 1)
    serve_flags = [*(["--profile"] if args.profile else []), *(["--parts"] if args.parts else []),
                   *(["--collector-on"] if args.collector_on else []),
                   *([] if args.kernel_threads is None else ["--kernel-threads", str(args.kernel_threads)])]
    done = subprocess.run([sys.executable, __file__, "--out", str(args.out), "--serve", str(db), *serve_flags], env=env,
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit("serving failed")
    *table, figures = done.stdout.strip().splitlines()
    if args.profile or args.parts:
        print("\n".join(table))
    out["serving"] = json.loads(figures)
    done = subprocess.run([sys.executable, __file__, "--out", str(args.out), "--command", str(db),
                           "--users", str(out["serving"]["users"])], env=env, cwd=ROOT, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit("the recommend command failed")
    out["serving"].update(json.loads(done.stdout.strip().splitlines()[-1]))

    s = out["serving"]
    print(f"scaled shop: {out['items']:,} items, {events:,} events, {s['users']:,} users; encoder {out['backend']}")  # type: ignore[index]
    if "build_wall_s" in out:
        stages = ", ".join(f"{k} {v:.0f} s" for k, v in stats["seconds"].items() if k != "total")
        print(f"  build {out['build_wall_s']} s wall ({stages}); peak RSS {out['build_peak_gb']} GB")
    if "embedding_texts_per_s" in out:
        print(f"  embedding in the build: {out['new_texts']:,} texts at {out['embedding_texts_per_s']} texts/s")
    if "seconds_per_epoch" in out:
        print(f"  training: {out['epochs']} epochs, {out['seconds_per_epoch']} s each (validation included)")
    print(f"  recommend --all-users: {s['users_per_s']} users/s ({s['users']:,} users in {s['all_users_s']} s, "  # type: ignore[index]
          f"model loaded first in {s['model_load_s']} s)")  # type: ignore[index]
    print(f"  the command (recommend --all-users --n 20 --format csv, a fresh process writing every row): "
          f"{s['command_users_per_s']} users/s ({s['command_s']} s; peak RSS {s['command_peak_gb']} GB)")  # type: ignore[index]
    print(f"  slider re-rank: median {s['slider_ms_median']} ms, p95 {s['slider_ms_p95']} ms; serving peak RSS "  # type: ignore[index]
          f"{s['serving_peak_gb']} GB")  # type: ignore[index]
    print(json.dumps(out))
    if args.browser:
        subprocess.run([sys.executable, str(ROOT / "bench" / "dashboard.py"), "--db", str(db)], env=env, cwd=ROOT,
                       check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
