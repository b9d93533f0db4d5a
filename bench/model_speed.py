"""How fast the model is built and served on a real catalogue: build time per stage, training
seconds per epoch, and users/s of ``recommend --all-users``.

Run: python bench/model_speed.py --db PATH [--no-build] [--one-by-one] [--n 20]

``--db`` is a database with imported data (e.g. ``import --movielens``); it is copied, never
changed. The build runs on the copy (item texts already embedded in the database are read from
its cache, so the build time is the model's); ``--no-build`` reads the newest build's figures
instead. All-users serving times ``RecsysEngine.recommend_many`` (what ``--all-users`` calls)
after the served model is loaded; ``--one-by-one`` also times ``recommend`` called per user, the
path before batching. The slider re-rank at 10k and 100k items is ``bench/engine.py``'s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path, help="a database with imported data (copied first)")
    ap.add_argument("--no-build", action="store_true", help="read the newest build's figures instead of building")
    ap.add_argument("--one-by-one", action="store_true", help="also time recommend() called per user")
    ap.add_argument("--n", type=int, default=20, help="list length per user")
    args = ap.parse_args(argv)
    if not args.db.is_file():
        ap.error(f"no database at {args.db}")

    from recsys_core.config import RecsysConfig
    from recsys_core.engine import RecsysEngine

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        shutil.copy(args.db, db)
        engine = RecsysEngine(RecsysConfig.from_env().with_db(db)).open()
        try:
            out: dict[str, object] = {}
            if not args.no_build:
                started = time.perf_counter()
                report = engine.build(name_interests=False)
                out["build_seconds_total"] = round(time.perf_counter() - started, 1)
                out["model_seconds"] = round(report.seconds["total"], 1)  # what build_model itself took
                out["saving_seconds"] = round(report.seconds["saving"], 1)
                out["map_seconds"] = round(out["build_seconds_total"] - report.seconds["total"], 1)  # type: ignore[operator]
            build = engine.latest_build()
            if build is None:
                ap.error("the database has no build; drop --no-build")
            stats = build.stats
            out["stage_seconds"] = {k: round(float(v), 1) for k, v in dict(stats.get("seconds", {})).items()}
            epochs = len(stats.get("losses") or [])
            training = float(dict(stats.get("seconds", {})).get("training", 0.0))
            out["epochs"] = epochs
            out["training_seconds_per_epoch"] = round(training / max(epochs, 1), 1)
            print(f"build {build.build_id}: stages {out['stage_seconds']} (s); {epochs} epochs, "
                  f"{out['training_seconds_per_epoch']} s per epoch (validation included)"
                  + (f"; saving {out['saving_seconds']} s; the item map {out['map_seconds']} s; whole build "
                     f"{out['build_seconds_total']} s (interests not named)" if "build_seconds_total" in out else ""))

            users = engine.user_ids()
            started = time.perf_counter()
            engine.serving()
            out["serving_load_seconds"] = round(time.perf_counter() - started, 2)
            started = time.perf_counter()
            lists = sum(1 for _ in engine.recommend_many(users, n=args.n))
            seconds = time.perf_counter() - started
            out["all_users"] = {"users": lists, "seconds": round(seconds, 2), "users_per_s": round(lists / seconds, 1)}
            print(f"recommend --all-users: {lists} users in {seconds:.2f} s = {lists / seconds:.0f} users/s "
                  f"(n={args.n}; serving model loaded first in {out['serving_load_seconds']} s)")
            if args.one_by_one:
                started = time.perf_counter()
                for user in users:
                    engine.recommend(user, n=args.n)
                seconds = time.perf_counter() - started
                out["one_by_one"] = {"users": len(users), "seconds": round(seconds, 2),
                                     "users_per_s": round(len(users) / seconds, 1)}
                print(f"recommend per user: {len(users)} users in {seconds:.2f} s = {len(users) / seconds:.0f} users/s")
        finally:
            engine.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
