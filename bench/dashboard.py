"""Benchmark the dashboard on the sample data: app start, the interest map page, and a slider
move on the recommendation lab.

Run: python bench/dashboard.py [--db FILE]

With no --db, a fresh database gets the shipped sample and a build (about 3 minutes). Prints:
1. app start to the home page drawn in Chromium (process launch to the page's heading, with
   the script idle), and the interest map page drawn in a new browser session (navigation to
   the chart on screen) after the map was projected once;
2. server-side time of a lab slider move (one script run of the lab page through AppTest: a
   new alpha, the list, its summary and ten explanations read from the cache), median and p95
   over 20 moves, after one warm-up pass that writes the explanations.
Needs Debian's chromium for part 1 (skipped with a message otherwise).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ALPHAS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 0.9, 0.7, 0.5, 0.3]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def prepare(db: Path) -> None:
    from recsys_core.config import RecsysConfig
    from recsys_core.engine import RecsysEngine

    engine = RecsysEngine(RecsysConfig.from_env().with_db(db)).open()
    try:
        if engine.latest_build() is None:
            t0 = time.perf_counter()
            engine.load_sample()
            engine.build()
            print(f"sample loaded and built in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        engine.interest_map()
        print(f"interest map ready in {time.perf_counter() - t0:.1f} s (projected once per build, then stored)")
    finally:
        engine.close()


def browser_timings(db: Path) -> None:
    if not Path(CHROMIUM).exists():
        print("chromium not installed: app start and map page not measured")
        return
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RECSYS_DB": str(db)}
    url = f"http://127.0.0.1:{port}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                                 "--server.address", "127.0.0.1", "--server.port", str(port),
                                 "--server.fileWatcherType", "none"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            while True:
                try:
                    page.goto(url, timeout=5_000)
                    break
                except Exception:  # noqa: BLE001 - not listening yet
                    time.sleep(0.2)
            page.get_by_role("heading", name="Interest explorer").first.wait_for(timeout=120_000)
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000)
            print(f"app start to the home page drawn: {time.perf_counter() - t0:.1f} s")
            page.close()
            draws = []
            for _ in range(4):
                page = browser.new_page(viewport={"width": 1500, "height": 1000})
                page.goto(url, timeout=60_000)
                page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000)
                page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)  # home charts drawn
                page.wait_for_timeout(500)
                t1 = time.perf_counter()
                page.get_by_role("link", name="Interest map").click()
                page.wait_for_selector("h1:has-text('Interest map')", timeout=120_000)
                page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000)
                page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot canvas').length > 0 && "
                                       "document.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length >= 2",
                                       timeout=120_000)
                draws.append(time.perf_counter() - t1)
                page.close()
            print(f"interest map page drawn (new session, click to chart on screen): "
                  f"{', '.join(f'{d:.2f}' for d in draws)} s (the first visit shares the CPU with the served model and the LLM loading in the background)")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            browser.close()


def slider_timings(db: Path) -> None:
    os.environ["RECSYS_DB"] = str(db)
    os.chdir(ROOT)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
    at.switch_page("views/05_lab.py").run()
    at.toggle(key="lab.learned").set_value(False).run()
    t0 = time.perf_counter()
    for a in ALPHAS:  # warm-up: writes the explanations of every list
        at.slider(key="lab.alpha").set_value(a).run()
    print(f"warm-up pass over {len(ALPHAS)} slider values (explanations written): {time.perf_counter() - t0:.0f} s")
    times = []
    for a in ALPHAS + ALPHAS[::-1]:
        at.slider(key="lab.alpha").set_value(a)
        t1 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t1)
        assert not at.exception, at.exception
    print(f"lab slider move, server-side script run: median {1000 * statistics.median(times):.0f} ms, "
          f"p95 {1000 * _pct(times, 0.95):.0f} ms, max {1000 * max(times):.0f} ms ({len(times)} moves)")
    from app_ui.shared import engine

    engine().close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="a database with the sample (built or not); default: a fresh one")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    db = Path(args.db) if args.db else Path(tmp.name) / "bench.duckdb"
    prepare(db)
    browser_timings(db)
    slider_timings(db)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
