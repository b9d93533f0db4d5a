"""How often a recommendation's evidence, or its explanation, cites an item its user rated low.

Run: python bench/ratings_sign.py --db PATH [--users N] [--n 10] [--json]

For every user with ratings (or the first ``--users``), the served build recommends ``--n``
items at the default moment (the user's next visit). Counted per recommendation:

- **evidence**: its top cited history item (and any of the top two, which the explanation
  names) is one the user rated 2 stars or less on a 5-star scale (40% of the scale's top), or
  low on their own scale (``sequences.low_ratings``: 1.5 of their own SDs below their mean);
- **as liked before**: the same count had low-rated history slots been citable, as they were
  before ratings had a sign (the state's ``slot_liked`` cleared; same scores);
- **explanation** (the first ``--explain-users`` users with low ratings): the template explanation's text (the one shown when no LLM answers; it says
  "liked" or "chose") contains the title of an item the user rated low.

The engine reads the database read-only; explanations use the template backend, so no LLM
runs and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def run(db: Path, max_users: int | None, n: int, explain_users: int) -> dict[str, Any]:
    from recsys_core.config import ExplainConfig, RecsysConfig
    from recsys_core.engine import open_engine
    from recsys_core.interests.sequences import low_ratings
    from recsys_core.recommend import evidence_for

    config = replace(RecsysConfig.from_env().with_db(db), explain=ExplainConfig(backend="template"))
    t0 = time.perf_counter()
    engine = open_engine(config, read_only=True)
    try:
        with engine.store.cursor() as cur:
            ratings = cur.execute("SELECT user_id, item_id, occurred_at, event_type, value FROM interactions "
                                  "WHERE event_type = 'rating' AND value IS NOT NULL").df()
        ratings["low"] = low_ratings(ratings)
        ratings["two_or_less"] = ratings["value"] <= 2.0
        users = sorted(ratings["user_id"].astype(str).unique())[: max_users or None]
        low = ratings[ratings["low"]].groupby("user_id")["item_id"].apply(lambda s: set(map(str, s)))
        serving = engine.serving()
        titles = dict(zip(serving.item_ids, serving.titles, strict=True))
        counts = {"recommendations": 0, "top_evidence_low": 0, "top2_evidence_low": 0,
                  "top_evidence_low_before": 0, "top2_evidence_low_before": 0,
                  "explanations": 0, "explanation_names_low": 0, "users_with_low_ratings": 0}
        for user in users:
            low_items = low.get(user, set())
            counts["users_with_low_ratings"] += bool(low_items)
            recs = engine.recommend(user, n=n)
            state = engine.user_state(user)
            citable_all = replace(state, slot_liked=None)
            for rec in recs.items:
                counts["recommendations"] += 1
                cited = [e.item_id for e in rec.evidence[:2]]
                counts["top_evidence_low"] += bool(cited[:1] and cited[0] in low_items)
                counts["top2_evidence_low"] += any(c in low_items for c in cited)
                before = evidence_for(citable_all, serving.item_vecs[serving.item_index[rec.item_id]], recs.alpha, 2)
                before_ids = [str(serving.item_ids[j]) for j, _ in before]
                counts["top_evidence_low_before"] += bool(before_ids[:1] and before_ids[0] in low_items)
                counts["top2_evidence_low_before"] += any(c in low_items for c in before_ids)
            if low_items and counts["users_with_low_ratings"] <= explain_users:
                for expl in engine.explanations.explain(recs, use_cache=False):
                    counts["explanations"] += 1
                    counts["explanation_names_low"] += any(str(titles[i]) in expl.text for i in low_items
                                                           if i in titles)
    finally:
        engine.close()
    total = max(counts["recommendations"], 1)
    return {
        "db": str(db), "users": len(users), "n": n, "counts": counts,
        "shares": {
            "top evidence rated low": counts["top_evidence_low"] / total,
            "top-2 evidence rated low": counts["top2_evidence_low"] / total,
            "top evidence rated low, low ratings citable (before)": counts["top_evidence_low_before"] / total,
            "top-2 evidence rated low, low ratings citable (before)": counts["top2_evidence_low_before"] / total,
            "explanations naming a low-rated item": counts["explanation_names_low"] / max(counts["explanations"], 1),
        },
        "ratings": {"low": int(ratings["low"].sum()), "two_or_less": int(ratings["two_or_less"].sum()),
                    "all": len(ratings)},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path, help="a built database (opened read-only)")
    ap.add_argument("--users", type=int, help="only the first N users with ratings (default: all)")
    ap.add_argument("--n", type=int, default=10, help="recommendations per user")
    ap.add_argument("--explain-users", type=int, default=50,
                    help="explain the lists of the first N users with low ratings (explanations are the slow part)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not args.db.exists():
        raise SystemExit(f"no database at {args.db}")
    res = run(args.db, args.users, args.n, args.explain_users)
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    r = res["ratings"]
    print(f"{res['db']}: {res['users']} users, {res['counts']['recommendations']} recommendations "
          f"(n={res['n']}); {r['low']:,} of {r['all']:,} ratings are low ({r['two_or_less']:,} at 2 stars or less)")
    for name, share in res["shares"].items():
        print(f"  {name:<56} {share:7.2%}")
    print(f"  ({res['counts']['explanations']} template explanations checked; {res['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
