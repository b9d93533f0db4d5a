"""How long the population views take in the engine, and the Trends & segments page in a browser.

Run: python bench/population_speed.py --db FILE [--no-browser] [--no-busy]

FILE: a database with a build (for the page's segment and policy parts, saved segments, a
saved policy and an evaluation run on the current data; ``segments save`` / ``policy save``).
Prints, on a copy of FILE:

1. engine, one fresh process: the labelled histories, adoptions, trends (fine, theme), the
   per-user features segments read, each saved segment's members, one interest's movers, the
   trends report; then the same calls again (a page rerun: they come from the engine's cache);
2. browser (Debian's Chromium against ``streamlit run app.py``): opening /trends to the rising
   chart on screen and to the whole page (its last section) drawn, on the first visit after a
   server start and on a second visit in a new browser session; idle, then with both cores busy.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def engine_times(db: Path) -> None:
    from recsys_core.config import RecsysConfig
    from recsys_core.engine import RecsysEngine

    engine = RecsysEngine(RecsysConfig.from_env().with_db(db)).open()
    t0 = time.perf_counter()
    engine.serving()
    print(f"served model loaded: {time.perf_counter() - t0:.2f} s")
    calls = [("labelled histories", engine.interest_history), ("adoptions", engine.adoptions),
             ("trends, fine", lambda: engine.interest_trends("fine")),
             ("trends, theme", lambda: engine.interest_trends("theme")),
             ("user features", engine.user_features),
             ("members of every saved segment", lambda: [engine.segment_members(n) for n in engine.segments()]),
             ("movers of one interest", lambda: engine.interest_movers("fine", 0)),
             ("trends report", lambda: engine.report("trends"))]
    info = engine.info()
    print(f"{info.n_users:,} users, {info.n_interactions:,} events")
    for label in ("first", "again (cached)"):
        cells = []
        for name, call in calls:
            t0 = time.perf_counter()
            call()
            cells.append(f"{name} {time.perf_counter() - t0:.2f} s")
        print(f"{label}: " + "; ".join(cells))
    engine.close()


def page_times(db: Path, busy: bool) -> None:
    from playwright.sync_api import sync_playwright

    from tests.support.app_server import running_app
    from tests.support.busy import busy_cores

    def visit(url: str) -> tuple[float, float]:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            t0 = time.monotonic()
            page.goto(f"{url}/trends")
            page.wait_for_selector("text=/^Rising \\(/", timeout=180_000)
            first = time.monotonic() - t0
            page.wait_for_selector("text=Fusion policy per segment", timeout=180_000)
            whole = time.monotonic() - t0
            browser.close()
        return first, whole

    with tempfile.TemporaryDirectory() as tmp:
        for state in ([False, True] if busy else [False]):
            copy = Path(tmp) / f"page{int(state)}.duckdb"
            shutil.copy(db, copy)
            with running_app({"RECSYS_DB": str(copy)}, Path(tmp) / "app.log") as url, busy_cores(state):
                first, again = visit(url), visit(url)
            print(f"{'both cores busy' if state else 'idle'}: first visit after the server start: rising chart "
                  f"{first[0]:.1f} s, whole page {first[1]:.1f} s; second visit: {again[0]:.1f} s, {again[1]:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-busy", action="store_true")
    args = parser.parse_args()
    db = Path(args.db)
    if not db.is_file():
        parser.error(f"no database at {db}")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "engine.duckdb"
        shutil.copy(db, copy)
        engine_times(copy)
    if not args.no_browser:
        page_times(db, busy=not args.no_busy)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
