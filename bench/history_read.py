"""What reading every user's history costs: the events as a DataFrame turned into sequences
(``build_sequences(load_events(...))``, how the build read them until 2026-12-06) against
DuckDB doing the work and Arrow batches of numbers coming back (``load_sequences``, how the
build, the population views and ``recommend --all-users`` read them now).

Run: python bench/history_read.py --db DB [--repeat 3]

Each way runs in its own process, so the peak resident memory printed is that way's alone
(the process's peak less its peak before the read: the interpreter, the libraries and the
catalogue's ids are the same for both). Checks that both give the same histories, bit for bit.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _one(db: str, way: str, repeat: int) -> dict[str, object]:
    """Read the histories ``repeat`` times one way, in this process."""
    import hashlib

    import numpy as np

    from recsys_core.data.frames import load_catalogue, load_events
    from recsys_core.data.histories import load_sequences
    from recsys_core.data.store import Store
    from recsys_core.interests.sequences import build_sequences

    with Store(db, read_only=True) as store:
        ids = load_catalogue(store)["item_id"].astype(str).tolist()
        index = {i: k for k, i in enumerate(ids)}
        before = _peak_mb()
        seconds = []
        for _ in range(repeat):
            t = time.perf_counter()
            if way == "frame":
                seqs = build_sequences(load_events(store), index)
            else:
                seqs = load_sequences(store, ids)
            seconds.append(time.perf_counter() - t)
        digest = hashlib.sha256()
        digest.update("\n".join(seqs.user_ids).encode())
        for a in (seqs.offsets, seqs.items, seqs.days, seqs.codes):
            digest.update(np.ascontiguousarray(a).tobytes())
        return {"way": way, "seconds": seconds, "peak_extra_mb": round(_peak_mb() - before, 1),
                "users": len(seqs), "entries": int(len(seqs.items)), "digest": digest.hexdigest()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--way", choices=["frame", "duckdb"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.way:
        print(json.dumps(_one(args.db, args.way, args.repeat)))
        return
    from recsys_core.data.store import Store

    with Store(args.db, read_only=True) as store, store.cursor() as cur:
        (events,) = cur.execute("SELECT (SELECT count(*) FROM interactions) + (SELECT count(*) FROM live_events)"
                                ).fetchone()
    rows = []
    for way in ("frame", "duckdb"):
        out = subprocess.run([sys.executable, __file__, "--db", args.db, "--repeat", str(args.repeat), "--way", way],
                             check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{args.db}: {events:,} events -> {rows[0]['users']:,} users, {rows[0]['entries']:,} distinct (user, item)")
    print(f"{'way':<8} {'best s':>8} {'median s':>9} {'extra peak MB':>14}")
    for r in rows:
        s = sorted(r["seconds"])  # type: ignore[arg-type]
        print(f"{r['way']:<8} {s[0]:>8.2f} {s[len(s) // 2]:>9.2f} {r['peak_extra_mb']:>14.0f}")
    same = rows[0]["digest"] == rows[1]["digest"]
    print(f"same histories, bit for bit: {'yes' if same else 'NO'}")
    print(json.dumps({"db": args.db, "events": events, "rows": rows, "same": same}))
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
