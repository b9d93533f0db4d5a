"""Measure interest descriptions with likes and dislikes on a built sample database.

Run: python bench/descriptions.py --db PATH [--truth sample_data/truth/items.csv] [--json]

Writes ``--descriptions`` (30) descriptions from the planted taxonomy, deterministically: pairs
(X, Y) of fine interests from different planted themes drawn with a seeded RNG, phrased by turns
in the templates below, X and Y being the planted fine-interest ids in words ("pour_over" ->
"pour over"; ``--phrasing labels`` uses the planted display names instead). Each description
asks for every one of ``--users`` users (the first by id) and, as a harder set, for the first
``--users`` users (by id) who have had an item of Y: the users whose lists Y would fill.

For each top-``--n`` list it records whether the list holds no item of the disliked fine
interest Y and at least one item of the liked X (planted truth, ``fine_interest`` of
``truth/items.csv``), and prints the shares three ways:

- no description: the plain recommendation (how often Y is absent anyway);
- whole text: the description embedded whole, the ranking before descriptions were read
  (``ServingModel.text_similarities`` into ``score_lists``);
- read: ``RecsysEngine.recommend(interest=...)``, the description read into liked and
  disliked concepts (``recsys_core.interests.descriptions``).

A second block does the same for dislike-only descriptions ("anything but Y", "no Y please"),
where the no-Y share applies and "kept non-Y" says what it costs: the mean share of the plain
list's items not of Y that are still in the list (1.0 = only Y items went). The database is opened read-only: nothing is written,
concept vectors not in its cache are embedded on every run. Nothing is downloaded.
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

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from recsys_core.config import RecsysConfig  # noqa: E402
from recsys_core.engine import RecsysEngine  # noqa: E402
from recsys_core.errors import RecsysError  # noqa: E402
from recsys_core.recommend import RecommendationList  # noqa: E402
from recsys_core.serving import assemble_lists, score_lists  # noqa: E402

TEMPLATES = (
    "loves {x}, hates {y}",
    "{x} but not {y}",
    "anything {x}, no {y} please",
    "into {x}; avoid {y}",
    "{x}, never {y}",
    "I like {x} but I don't want {y}",
)
DISLIKE_ONLY = ("anything but {y}", "no {y} please", "hates {y}")
DEFAULT_TRUTH = ROOT / "sample_data" / "truth" / "items.csv"


def phrase(fine_id: str) -> str:
    """A planted fine-interest id in words: "pour_over" -> "pour over"."""
    return fine_id.replace("_", " ").replace("-", " ").strip()


def make_descriptions(truth: pd.DataFrame, n: int, seed: int, phrasing: str) -> list[dict[str, Any]]:
    """``n`` (X, Y, text) from distinct pairs of fine interests of different themes, by turns in
    the templates; the same for the same truth and seed."""
    rng = np.random.default_rng(seed)
    fines = truth.drop_duplicates("fine_interest").sort_values("fine_interest")
    theme = dict(zip(fines["fine_interest"], fines["theme"], strict=True))
    names = dict(zip(fines["fine_interest"], fines["fine_interest_label"], strict=True)) if phrasing == "labels" else {}
    ids = sorted(theme)
    possible = sum(theme[a] != theme[b] for a in ids for b in ids)
    if not 1 <= n <= possible:
        raise RecsysError(f"--descriptions must be between 1 and {possible} (pairs of fine interests of different themes)")
    pairs: list[tuple[str, str]] = []
    while len(pairs) < n:
        x, y = (str(v) for v in rng.choice(ids, size=2, replace=False))
        if theme[x] != theme[y] and (x, y) not in pairs:
            pairs.append((x, y))
    out = []
    for k, (x, y) in enumerate(pairs):
        px, py = (names[f].lower() if names else phrase(f) for f in (x, y))
        out.append({"x": x, "y": y, "x_words": px, "y_words": py,
                    "text": TEMPLATES[k % len(TEMPLATES)].format(x=px, y=py),
                    "dislike_only": DISLIKE_ONLY[k % len(DISLIKE_ONLY)].format(y=py)})
    return out


def _fans(engine: RecsysEngine, truth: pd.DataFrame, fine: str, n: int) -> list[str]:
    """The first ``n`` users (by id) who have had an item of ``fine``."""
    items = truth.loc[truth["fine_interest"] == fine, "item_id"].astype(str).tolist()
    with engine.store.cursor() as cur:
        rows = cur.execute("SELECT DISTINCT user_id FROM interactions WHERE item_id IN (SELECT unnest(?)) "
                           "ORDER BY user_id LIMIT ?", [items, n]).fetchall()
    return [str(r[0]) for r in rows]


def _hits(recs: RecommendationList, fine_of: dict[str, str], x: str | None, y: str) -> tuple[bool, bool, bool]:
    """(no item of y, at least one item of x, empty list) for one list."""
    fines = [fine_of.get(r.item_id) for r in recs.items]
    return y not in fines, x is not None and x in fines, not fines


def run(db: Path, truth_path: Path, n_descriptions: int, n_users: int, n: int, seed: int, phrasing: str,
        threshold: float | None, dislike_threshold: float | None, refines_at: str | None) -> dict[str, Any]:
    started = time.perf_counter()
    truth = pd.read_csv(truth_path, dtype={"item_id": str})
    missing = {"item_id", "fine_interest", "theme", "fine_interest_label"} - set(truth.columns)
    if missing:
        raise RecsysError(f"{truth_path} lacks the column(s) {', '.join(sorted(missing))}")
    config = RecsysConfig.from_env().with_db(db)
    rc = config.recommend
    rc = replace(rc, interest_threshold=rc.interest_threshold if threshold is None else threshold,
                 dislike_threshold=rc.dislike_threshold if dislike_threshold is None else dislike_threshold,
                 dislike_refines_at=rc.dislike_refines_at if refines_at is None else
                 (None if refines_at == "none" else float(refines_at)))
    config = replace(config, recommend=rc)
    engine = RecsysEngine(config, read_only=True).open()
    try:
        serving = engine.serving()
        fine_of = dict(zip(truth["item_id"], truth["fine_interest"], strict=True))
        served = {str(i) for i in serving.item_ids}
        if len(served & set(fine_of)) < 0.9 * len(served):
            raise RecsysError(f"{truth_path} does not label this database's items: is it the sample's truth?")
        descriptions = make_descriptions(truth, n_descriptions, seed, phrasing)
        first = engine.user_ids()[:n_users]
        whole: dict[str, np.ndarray] = {}
        plain_lists: dict[str, RecommendationList] = {}

        def lists(user: str, text: str | None) -> dict[str, RecommendationList]:
            if text is None:
                if user not in plain_lists:
                    plain_lists[user] = engine.recommend(user, n=n)
                return {"no description": plain_lists[user]}
            if text not in whole:
                whole[text] = serving.text_similarities(engine.store, engine.embedder, text)
            state = engine.user_state(user, serving=serving)
            old = assemble_lists(score_lists(serving, [state], [user], n, [None], whole[text], rc.interest_threshold,
                                             rc.interest_boost, rc.diversity, rc.mmr_pool), rc.n_evidence)[0]
            return {"whole text": old, "read": engine.recommend(user, n=n, interest=text)}

        records = []
        for d in descriptions:
            reading = engine.interest_match(d["text"], serving).reading
            only = engine.interest_match(d["dislike_only"], serving).reading
            d["read_as"] = reading.summary()
            d["dislike_only_read_as"] = only.summary()
            d["read_right"] = (
                [c.lower() for c in reading.liked] == [c.strip() for c in d["x_words"].split(",")]
                and sorted(c.lower() for c in reading.disliked)
                == sorted(c.strip() for part in d["y_words"].split(",") for c in part.split(" and ") if c.strip()))
            for users_set, users in (("first users", first), ("users who had Y", _fans(engine, truth, d["y"], n_users))):
                for user in users:
                    base = lists(user, None)
                    plain = {r.item_id for r in base["no description"].items if fine_of.get(r.item_id) != d["y"]}
                    for kind, text, x in (("likes and dislikes", d["text"], d["x"]),
                                          ("dislike only", d["dislike_only"], None)):
                        for mode, recs in {**base, **lists(user, text)}.items():
                            no_y, has_x, empty = _hits(recs, fine_of, x, d["y"])
                            kept = len(plain & {r.item_id for r in recs.items}) / len(plain) if plain else np.nan
                            records.append({"users": users_set, "kind": kind, "mode": mode, "description": text,
                                            "user": user, "no_y": no_y, "has_x": has_x, "empty": empty,
                                            "kept": kept})
        frame = pd.DataFrame(records)
        table = (frame.groupby(["kind", "users", "mode"], sort=False)
                 .agg(lists=("user", "size"), no_y=("no_y", "mean"), has_x=("has_x", "mean"), empty=("empty", "sum"),
                      kept=("kept", "mean"))
                 .reset_index())
        per_description = (frame[frame["kind"] == "likes and dislikes"].groupby(["description", "mode"], sort=False)
                           .agg(no_y=("no_y", "mean"), has_x=("has_x", "mean")).reset_index())
        return {
            "db": str(db), "embedding_model": engine.embedder.name, "build_id": serving.build.build_id,
            "truth": str(truth_path), "seed": seed, "phrasing": phrasing, "n": n, "n_users": n_users,
            "threshold": rc.interest_threshold,
            "dislike_threshold": rc.interest_threshold if rc.dislike_threshold is None else rc.dislike_threshold,
            "dislike_refines_at": rc.dislike_refines_at,
            "descriptions": descriptions, "rows": table.to_dict("records"),
            "per_description": per_description.to_dict("records"),
            "seconds": round(time.perf_counter() - started, 1),
        }
    finally:
        engine.close()


def format_report(res: dict[str, Any]) -> str:
    """The printed table and its header lines."""
    ds = res["descriptions"]
    right = sum(d["read_right"] for d in ds)
    lines = [
        f"database {res['db']} (build {res['build_id']}, {res['embedding_model']}); truth {res['truth']}",
        f"{len(ds)} descriptions (seed {res['seed']}, X and Y as planted {res['phrasing']}), top-{res['n']} lists; "
        f"match threshold {res['threshold']:.2f}, dislike threshold {res['dislike_threshold']:.2f}, "
        f"kin spared at {res['dislike_refines_at']}",
        f"read as (X liked, Y disliked) exactly: {right}/{len(ds)}; e.g. "
        + "; ".join(f"\"{d['text']}\" -> {d['read_as']}" for d in ds[:2]),
        "",
    ]
    header = ("descriptions", "users", "ranking", "lists", "no Y item", ">=1 X item", "kept non-Y", "empty")
    table = [header] + [
        (r["kind"], r["users"], r["mode"], str(r["lists"]), f"{r['no_y']:.3f}",
         "-" if r["kind"] == "dislike only" else f"{r['has_x']:.3f}",
         f"{r['kept']:.3f}" if r["kind"] == "dislike only" else "-", str(r["empty"]))
        for r in res["rows"]
    ]
    widths = [max(len(row[c]) for row in table) for c in range(len(header))]
    for k, row in enumerate(table):
        lines.append("  ".join(cell.ljust(widths[c]) if c < 3 else cell.rjust(widths[c]) for c, cell in enumerate(row)))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    misread = [d for d in ds if not d["read_right"]]
    if misread:
        lines += ["", "not read as (X, Y): " + "; ".join(f"\"{d['text']}\" -> {d['read_as']}" for d in misread)]
    worst = sorted((r for r in res["per_description"] if r["mode"] == "read"), key=lambda r: r["no_y"] + r["has_x"])[:3]
    lines += ["", "weakest descriptions (read): " + "; ".join(
        f"\"{r['description']}\" no Y {r['no_y']:.2f}, X {r['has_x']:.2f}" for r in worst)]
    lines.append(f"seconds: {res['seconds']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path, help="a database built from the shipped sample (opened read-only)")
    ap.add_argument("--truth", type=Path, default=DEFAULT_TRUTH, help="the sample's planted truth (items.csv)")
    ap.add_argument("--descriptions", type=int, default=30, help="how many descriptions to write")
    ap.add_argument("--users", type=int, default=30, help="users per description and user set")
    ap.add_argument("--n", type=int, default=10, help="list length")
    ap.add_argument("--seed", type=int, default=0, help="seed of the (X, Y) pairs")
    ap.add_argument("--phrasing", choices=("ids", "labels"), default="ids",
                    help="X and Y as the planted ids in words (default) or the planted display names")
    ap.add_argument("--threshold", type=float, help="match threshold (default: the config's)")
    ap.add_argument("--dislike-threshold", type=float, help="dislike threshold (default: the config's)")
    ap.add_argument("--refines-at", help="kinship that spares a disliked concept's cosine veto, or 'none'")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    args = ap.parse_args(argv)
    try:
        res = run(args.db, args.truth, args.descriptions, args.users, args.n, args.seed, args.phrasing,
                  args.threshold, args.dislike_threshold, args.refines_at)
    except (RecsysError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(res, indent=2, default=str) if args.json else format_report(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
