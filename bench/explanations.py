"""Benchmark the explanations on the sample data with the packaged local LLM.

Run: python bench/explanations.py [--db FILE] [--n 100] [--backend local] [--dump FILE.jsonl]

With no --db, a fresh database gets the shipped sample and a build (about 3 minutes, most of
it embedding). Then, for the first --n recommendations (5 per user, users in a fixed order):
1. writes each explanation afresh (cache bypassed) and prints median and p95 seconds per
   explanation, the share whose LLM text passed the faithfulness check (shown without
   falling back), the reasons for the others, and the median counterfactual score drop;
2. writes them again through the cache (first pass stores them) and prints the cache-hit
   latency, median and p95;
3. prints three explanations that passed, verbatim, and the model load time;
4. with --dump, writes one JSON line per explanation (the facts it was checked against, the
   LLM's own text, what was shown, every problem the check found): the file to read by hand.
The check's rules each get a line: how many LLM texts each one refused (a text can fail several).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _rule(problem: str) -> str:
    """A check problem without its particulars: 'says "farm" of the item, ...' -> 'says ... of the item'."""
    if " of the item, " in problem:
        return "claims about the item not in its text, category or labels"
    if "no cited item was" in problem:
        return "claims about the user's past not in their history"
    return problem.split(":")[0].split('"')[0].strip()


def main() -> int:
    from recsys_core.config import RecsysConfig
    from recsys_core.engine import RecsysEngine
    from recsys_core.explain.check import check_explanation
    from recsys_core.explain.facts import facts_for

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="a database with the sample and a build (default: make one)")
    ap.add_argument("--n", type=int, default=100, help="recommendations to explain (default 100)")
    ap.add_argument("--per-user", type=int, default=5)
    ap.add_argument("--backend", default="local", choices=["local", "openai", "template"])
    ap.add_argument("--dump", type=Path, help="write every explanation with its facts and check as JSON lines")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    db = Path(args.db) if args.db else Path(tmp.name) / "bench.duckdb"
    config = RecsysConfig.from_env().with_db(db)
    config = dataclasses.replace(config, explain=dataclasses.replace(config.explain, backend=args.backend))
    engine = RecsysEngine(config).open()
    if engine.latest_build() is None:
        t0 = time.perf_counter()
        engine.load_sample()
        engine.build(name_interests=False)
        print(f"sample loaded and built in {time.perf_counter() - t0:.0f} s")
    with engine.store.cursor() as cur:
        users = [r[0] for r in cur.execute(
            "SELECT user_id FROM interactions GROUP BY user_id HAVING count(*) >= 3 ORDER BY hash(user_id), user_id"
        ).fetchall()]
    pairs = []
    for user in users:
        recs = engine.recommend(user, n=args.per_user)
        pairs.extend((recs, rec) for rec in recs.items)
        if len(pairs) >= args.n:
            break
    pairs = pairs[: args.n]
    backend = engine.explanations.explainer.backend
    load_s = None
    if backend is not None and hasattr(backend, "_load"):
        t0 = time.perf_counter()
        backend._load()
        load_s = time.perf_counter() - t0
    with engine.store.transaction() as cur:  # a clean cache for this backend
        cur.execute("DELETE FROM explanations WHERE backend = ?", [engine.explanations.explainer.backend_name])

    fresh = []
    dumped = []
    service = engine.explanations
    for recs, rec in pairs:
        t0 = time.perf_counter()
        e = service.explain_item(recs, rec)
        fresh.append((time.perf_counter() - t0, e))
        if args.dump:
            facts = facts_for(recs, rec, service.about([rec.item_id]).get(rec.item_id), None, config.explain.n_evidence,
                              config.explain.description_words, service.past(recs.user_id))
            llm = e.text if e.source == "llm" else e.llm_text
            problems = list(check_explanation(llm, facts, service.title_index()).problems) if llm else []
            dumped.append({"user": e.user_id, "item": e.item_id, "facts": dataclasses.asdict(facts), "llm_text": llm,
                           "shown": e.text, "source": e.source, "fallback_reason": e.fallback_reason,
                           "problems": problems})
    hits = []
    for recs, rec in pairs:
        t0 = time.perf_counter()
        e = engine.explanations.explain_item(recs, rec)
        hits.append((time.perf_counter() - t0, e))

    secs = [s for s, _ in fresh]
    passed = [e for _, e in fresh if e.source == "llm"]
    reasons = collections.Counter((e.fallback_reason or "").split(":")[0] + (
        ": " + e.fallback_reason.split(": ", 1)[1].split(";")[0] if e.fallback_reason and
        e.fallback_reason.startswith("failed check") else "") for _, e in fresh if e.source != "llm")
    drops = [e.check.counterfactual["drop_share"] for _, e in fresh if e.check.counterfactual]
    hit_secs = [s for s, _ in hits]
    print(f"\nexplanations by {engine.explanations.explainer.backend_name} ({engine.explanations.explainer.model_name}), "
          f"timeout {config.explain.timeout_seconds:.1f} s, {len(pairs)} recommendations "
          f"({len({r.user_id for r, _ in pairs})} users)")
    if load_s is not None:
        print(f"model load (with reading the prompt's fixed part): {load_s:.2f} s")
    print(f"seconds per explanation, fresh: median {statistics.median(secs):.2f}, p95 {_pct(secs, 0.95):.2f}, "
          f"max {max(secs):.2f}")
    print(f"LLM text shown (passed the check): {len(passed)}/{len(fresh)} = {100 * len(passed) / len(fresh):.0f}%")
    for reason, n in reasons.most_common():
        print(f"  template instead ({reason}): {n}")
    if drops:
        print(f"score drop without the cited history items: median {100 * statistics.median(drops):.0f}%, "
              f"p10 {100 * _pct(drops, 0.1):.0f}%, p90 {100 * _pct(drops, 0.9):.0f}%")
    print(f"cache hit: median {1000 * statistics.median(hit_secs):.1f} ms, p95 {1000 * _pct(hit_secs, 0.95):.1f} ms "
          f"({sum(e.cached for _, e in hits)}/{len(hits)} served from cache)")
    rules = collections.Counter(_rule(p)
                                for d in dumped for p in d["problems"])
    if dumped:
        print("LLM texts refused, by rule (a text can fail several):")
        for rule, n in rules.most_common():
            print(f"  {rule}: {n}")
        with args.dump.open("w") as out:
            for d in dumped:
                out.write(json.dumps(d, ensure_ascii=False) + "\n")
        print(f"wrote {len(dumped)} explanations to {args.dump}")
    print("\nthree explanations that passed, verbatim:")
    for e in passed[:3]:
        print(f"  [{e.user_id} / {e.item_id}] {e.text}")
    engine.close()
    if args.db is None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
