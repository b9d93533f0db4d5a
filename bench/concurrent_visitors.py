"""Eight browser sessions opening one page together on a freshly started app, several cold
starts in a row; prints per start how many sessions saw an error, and the total.

Run: python bench/concurrent_visitors.py [--starts 5] [--sessions 8] [--path "lab?user=U0903"] [--db DB]

Each start launches `streamlit run app.py` on a free loopback port (the database from --db or
RECSYS_DB, copied so nothing is written to it), opens the sessions at once in Debian's Chromium
(/usr/bin/chromium, driven by Playwright), waits until every page has settled, counts the ones
showing "This app has encountered an error" or an exception box, and stops the server.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.app_server import running_app  # noqa: E402


def one_start(url: str, path: str, sessions: int) -> tuple[int, float, list[str]]:
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        pages = [browser.new_context().new_page() for _ in range(sessions)]
        for page in pages:
            page.goto(f"{url}/{path}", wait_until="commit", timeout=120_000)
        bad, first = 0, []
        for page in pages:
            page.wait_for_selector("[data-testid='stMain'] h1, [data-testid='stException']", timeout=300_000)
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=300_000)
            text = page.inner_text("body")
            if page.locator("[data-testid='stException']").count() or "encountered an error" in text:
                bad += 1
                first.append(text[-300:].replace("\n", " "))
        browser.close()
    return bad, time.perf_counter() - t0, first


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--path", default="lab")
    ap.add_argument("--db", default=os.environ.get("RECSYS_DB", str(ROOT / "data" / "recsys.duckdb")))
    args = ap.parse_args()
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for start in range(1, args.starts + 1):
            db = Path(tmp) / f"start{start}.duckdb"
            shutil.copy(args.db, db)
            with running_app({"RECSYS_DB": str(db)}, Path(tmp) / f"server{start}.log") as url:
                bad, seconds, first = one_start(url, args.path, args.sessions)
            total += bad
            print(f"cold start {start}: {bad} of {args.sessions} sessions failed ({seconds:.0f} s until all settled)",
                  flush=True)
            for line in first[:2]:
                print("   ", line)
    print(f"total: {total} of {args.starts * args.sessions} sessions failed over {args.starts} cold starts")


if __name__ == "__main__":
    main()
