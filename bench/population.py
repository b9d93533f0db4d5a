"""Trends and adoption against what the sample generator planted.

Usage:
    python bench/population.py --db DB [--truth sample_data/truth]

DB holds the sample with a build (``python -m recsys_core --db DB sample`` installs the shipped
one). Each of the build's fine interests is named by the planted interest most of its items
carry (the engine never sees the truth files; only this script reads them). Prints:

- adoption: precision and recall of detected (user, interest) pairs against the planted
  adoptions (truth/users.csv: adopted, adopted_at), a detected interest matching a planted
  one when it is the planted interest most of its items carry ("majority") or one with at
  least a quarter of its items ("member": a build interest that merges two planted ones can
  only name the merge), and how far the detected burst lies from the planted one;
- trends: the top rising and falling fine interests with their intervals, against the
  interests planted to rise and fall (truth/trends.csv).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recsys_core.config import RecsysConfig  # noqa: E402
from recsys_core.data.histories import load_sequences  # noqa: E402
from recsys_core.engine import RecsysEngine  # noqa: E402
from recsys_core.population.adoption import detect_adoptions  # noqa: E402
from recsys_core.population.trends import interest_trends  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from planted import DEFAULT_TRUTH, MEMBER_SHARE, Planted, match_adoptions, name_nodes, planted_history  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--truth", default=str(DEFAULT_TRUTH))
    args = parser.parse_args()
    planted = Planted.read(args.truth)
    truth_users, truth_trends = planted.users, planted.trends

    engine = RecsysEngine(RecsysConfig().with_db(args.db), read_only=True).open()
    serving = engine.serving()
    names = name_nodes(serving.item_ids, serving.fine_of_item, planted)
    majority, members = names.majority, names.members
    print(f"build {serving.build.build_id}: {len(majority)} fine interests, item purity against the planted "
          f"interests: median {names.purity.median():.2f}")

    t0 = time.perf_counter()
    found = engine.adoptions("fine")
    planted_of = planted.adopted_of
    t_adopt = time.perf_counter() - t0
    truth_pairs = planted.adoptions
    adopted = truth_users[truth_users["adopted"] != ""]
    when = adopted.set_index("user_id")["adopted_at"].map(lambda s: pd.Timestamp(s).tz_convert(None))
    print(f"\nadoption, (user, interest) pairs: {len(truth_pairs)} planted, {len(found)} detected")
    for rule, holds in (("majority", lambda node, name: majority.get(node) == name),
                        (f"member (>= {MEMBER_SHARE:.0%} of its items)", lambda node, name: name in members.get(node, ()))):
        hit_rows, used = match_adoptions(found, planted, holds)
        precision, recall = len(hit_rows) / max(len(found), 1), len(used) / max(len(truth_pairs), 1)
        print(f"  build interest named by its {rule}: precision {precision:.3f}   recall {recall:.3f}")
        if rule == "majority":
            # where the errors are: detections for users who adopted nothing, or on another interest
            # than theirs; the planted adoptions missed, by planted interest
            no_adoption = sum(planted_of.get(u, "") == "" for u in found["user_id"])
            print(f"    detections: {len(hit_rows)} right, {no_adoption} for users with no planted adoption, "
                  f"{len(found) - len(hit_rows) - no_adoption} on another interest than the planted one")
            missed = pd.Series([name for user, name in truth_pairs if (user, name) not in used]).value_counts()
            print("    missed, by planted interest: " + ", ".join(f"{k} {v}" for k, v in missed.head(8).items()))
        if rule == "majority" and hit_rows:
            hits = pd.DataFrame(hit_rows)
            lag = (pd.to_datetime(hits["burst_at"]) - hits["user_id"].map(when)).dt.total_seconds() / 86400.0
            lag_line = (f"  detected burst minus planted adoption, days: median {np.median(lag):+.2f}, "
                        f"|lag| <= 1 day for {np.mean(np.abs(lag) <= 1.0):.0%}")
    print("  (target: precision and recall >= 0.7)")
    if "lag_line" in locals():
        print(lag_line)
    print(f"  {t_adopt:.2f} s")

    # The same rules on the planted labels instead of the build's interests: what the rules
    # find when the interests are exactly right (the gap to the above is the build's clustering).
    planted_hist = planted_history(load_sequences(engine.store, [str(i) for i in serving.item_ids]), serving.item_ids,
                                   planted, serving.config.session_gap_minutes / 1440.0)
    on_planted = detect_adoptions(planted_hist, "fine", engine.config.population)
    both = set(zip(on_planted["user_id"], on_planted["label"], strict=True)) & truth_pairs
    print(f"  the same rules on the planted labels: precision {len(both) / max(len(on_planted), 1):.3f}   "
          f"recall {len(both) / max(len(truth_pairs), 1):.3f}")
    planted_report = interest_trends(planted_hist, "fine", engine.config.population, serving.config.short_window,
                                     serving.config.max_history)

    t0 = time.perf_counter()
    report = engine.interest_trends("fine")
    t_trend = time.perf_counter() - t0
    planted_trend = dict(zip(truth_trends["fine_interest"], truth_trends["trend"], strict=True))
    rising_set = {k for k, v in planted_trend.items() if v == "rising"}
    falling_set = {k for k, v in planted_trend.items() if v == "falling"}
    print(f"\ntrends: {report.period}s, recent part from {report.split_label}; change = log2 of the "
          f"interest's share of (user, interest) pairs, recent over before, {engine.config.population.interval:.0%} interval")
    for title, table, want in (("rising", report.rising(), rising_set), ("falling", report.falling(), falling_set)):
        top = table.head(len(want))
        names = [majority.get(int(n), "?") for n in top["node"]]
        agree = len(set(names) & want)
        print(f"  top {len(want)} {title}: {agree} of {len(want)} planted {title} "
              f"({len(table)} interests called {title} in all)")
        for (_, row), name in zip(top.iterrows(), names, strict=True):
            mark = "planted" if name in want else "-"
            print(f"    {row['label'][:38]:38s} -> {name:14s} {row['change']:+.2f} "
                  f"[{row['change_low']:+.2f}, {row['change_high']:+.2f}]  emerging={bool(row['emerging'])}  {mark}")
        missed = want - set(names)
        for name in sorted(missed):
            nodes = [int(n) for n, m in majority.items() if m == name]
            rows = report.changes[report.changes["node"].isin(nodes)]
            for _, row in rows.iterrows():
                print(f"    missed {name}: {row['label'][:38]} {row['change']:+.2f} "
                      f"[{row['change_low']:+.2f}, {row['change_high']:+.2f}] {row['status']}")
    for title, table, want in (("rising", planted_report.rising(), rising_set),
                               ("falling", planted_report.falling(), falling_set)):
        top = list(table["label"].head(len(want)))
        print(f"  the same measure on the planted labels, top {len(want)} {title}: {len(set(top) & want)} of "
              f"{len(want)} planted ({', '.join(top)})")
    print(f"  {t_trend:.2f} s")
    engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
