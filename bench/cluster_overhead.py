"""What running on a Ray cluster costs against running in-process, on a two-node cluster
started on loopback (``ray start --head`` plus ``ray start --address``, one CPU each), as the
issue's test cluster is.

Run: python bench/cluster_overhead.py --db PATH [--epochs N] [--backend torch|onnx|onnx-int8]

``--db`` is a database with imported data and no embedded texts needed (e.g. ``sample`` into a
fresh file: its shipped model is a build, but this bench builds again on two copies, nothing
cached for the encoder's name unless the database already has it). The same commands run once
in-process and once with ``--ray``: ``build --no-names`` (its own seconds per stage) and
``recommend --all-users --n 20`` (the command's wall time, process start and model load
included). Prints a table; the cluster is stopped afterwards (``ray stop --force``: it stops
every Ray process on this machine).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAY = Path(sys.executable).parent / "ray"


def _env(backend: str, epochs: int | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "RAY_DISABLE_USAGE_STATS": "1",
           "RECSYS_EMBEDDING_BACKEND": backend, "RECSYS_LLM_BACKEND": "template"}
    if epochs:
        env["RECSYS_EPOCHS"] = str(epochs)
    return env


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(args[3:8])}")
    return time.perf_counter() - started


def _stats(db: Path) -> dict[str, float]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return json.loads(con.execute("SELECT stats FROM builds ORDER BY build_id DESC LIMIT 1").fetchone()[0])["seconds"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--epochs", type=int, help="epoch budget of the build (default: the configuration's)")
    ap.add_argument("--backend", default="torch", choices=["torch", "onnx", "onnx-int8"])
    args = ap.parse_args()
    env = _env(args.backend, args.epochs)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"127.0.0.1:{port}"
    work = Path(tempfile.mkdtemp(prefix="rb", dir="/tmp"))
    py = [sys.executable, "-m", "recsys_core"]
    try:
        started = time.perf_counter()
        for cmd in (["start", "--head", "--port", str(port), "--num-cpus", "1", "--node-ip-address", "127.0.0.1",
                     "--temp-dir", str(work / "ray"), "--include-dashboard", "false", "--disable-usage-stats"],
                    ["start", "--address", address, "--num-cpus", "1", "--node-ip-address", "127.0.0.1"]):
            subprocess.run([str(RAY), *cmd], env=env, check=True, capture_output=True, timeout=180)
        cluster_start = time.perf_counter() - started
        local, remote = work / "local.duckdb", work / "remote.duckdb"
        shutil.copy(args.db, local)
        shutil.copy(args.db, remote)
        ray_args = ["--ray", address, "--ray-shared-dir", str(work / "shared")]
        rows = []
        wall_local = _timed([*py, "--db", str(local), "build", "--no-names"], env)
        wall_remote = _timed([*py, "--db", str(remote), "build", "--no-names", *ray_args], env)
        here, there = _stats(local), _stats(remote)
        for stage in ("embedding", "hierarchy", "training", "fusion", "saving", "total"):
            if stage in here:
                rows.append((f"build: {stage}", here[stage], there.get(stage, float("nan"))))
        rows.append(("build command, wall", wall_local, wall_remote))
        rows.append(("recommend --all-users --n 20, wall",
                     _timed([*py, "--db", str(local), "recommend", "--all-users", "--n", "20"], env),
                     _timed([*py, "--db", str(remote), "recommend", "--all-users", "--n", "20", *ray_args], env)))
    finally:
        subprocess.run([str(RAY), "stop", "--force"], env=env, capture_output=True, check=False, timeout=180)
        shutil.rmtree(work, ignore_errors=True)
    print(f"two-node Ray cluster on loopback, one CPU each (started in {cluster_start:.1f} s); "
          f"{args.db.name}, backend {args.backend}")
    print(f"{'stage':40} {'in-process':>11} {'on Ray':>9} {'overhead':>9}")
    for name, a, b in rows:
        print(f"{name:40} {a:10.1f}s {b:8.1f}s {b - a:+8.1f}s")
    print(json.dumps({"cluster_start_s": round(cluster_start, 1),
                      "rows": [{"stage": n, "in_process_s": round(a, 2), "ray_s": round(b, 2)} for n, a, b in rows]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
