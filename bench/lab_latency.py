"""How fast the recommendation lab answers in a real browser, idle and with both cores busy.

Run: python bench/lab_latency.py --db FILE [--moves 20] [--user ID] [--no-busy]

Starts ``streamlit run app.py`` on a copy of FILE (a database with a build: the shipped sample
built by the app or ``python -m recsys_core build``), drives Debian's Chromium, and prints:

1. opening the lab (navigation started) to the list on screen (the ten cards' titles), and to
   all ten explanations shown (each card's badge: checked LLM text or the template), in a browser
   that has never loaded the app; then the list on screen for two other users opened the ways an
   analyst opens it again: a new tab of a browser that has the app's front end in its cache, and
   the sidebar's "Recommendation lab" link from the Overview (the front end already running);
2. a key press on the fusion slider to the list updated on screen (the list's weight figure
   showing the new value), median and p95 over ``--moves`` presses at an analyst's pace, right
   after the open (explanations still being written; weights visited twice have theirs cached);
3. the same with both cores busy: one CPU-burning process per core runs during the measure;
4. the floor under (1): a bare Streamlit page (a title, a 1,200-entry select box, a slider and ten
   bordered cards, no engine) opened the same way, idle.

Each open uses a new browser session and a fresh copy of the database (no explanation cached).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _badges(page) -> int:  # type: ignore[no-untyped-def]
    """Cards whose explanation is done (its badge is drawn)."""
    return int(page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
        .filter(e => /template|checked/.test(e.innerText) && /Evidence:/.test(e.innerText)).length"""))


def _coming(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
        .filter(e => /explanation coming/.test(e.innerText)).length"""))


def _weight_shown(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.evaluate("""() => { const m = document.querySelector('[data-testid="stMetricValue"]');
        return m ? m.innerText : ''; }"""))


def open_lab(url: str, user: str, pw) -> tuple[float, float, float | None, object, object]:  # type: ignore[no-untyped-def]
    """(seconds to the list, to all ten explanations, to the first three) for a new session; also the browser and page."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    started = time.monotonic()
    page.goto(f"{url}/lab?user={user}", wait_until="commit", timeout=180_000)
    page.wait_for_selector("text=/^10\\. /", timeout=180_000)
    listed = time.monotonic() - started
    first_three = None
    while time.monotonic() - started < 120:
        done = _badges(page)
        if first_three is None and done >= 3:
            first_three = time.monotonic() - started
        if done >= 10 and _coming(page) == 0:
            break
        time.sleep(0.05)
    return listed, time.monotonic() - started, first_three, browser, page


BARE_PAGE = """import streamlit as st
st.title("Recommendation lab")
st.selectbox("User", [f"u{i}" for i in range(1200)])
st.slider("Weight of long-term interest", 0.0, 1.0, 0.5)
for rank in range(1, 11):
    with st.container(border=True):
        st.markdown(f"**{rank}. an item**")
"""


def bare_page_floor(pw, opens: int = 3) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds to the tenth card of :data:`BARE_PAGE` in a browser that never loaded it, per open."""
    from tests.support.app_server import running_app

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bare.py"
        script.write_text(BARE_PAGE)
        with running_app({}, Path(tmp) / "bare.log", script=str(script)) as url:
            for k in range(opens + 1):  # the first open runs the script cold: not counted
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
                page = browser.new_page(viewport={"width": 1500, "height": 1300})
                started = time.monotonic()
                page.goto(f"{url}/", wait_until="commit", timeout=120_000)
                page.wait_for_selector("text=/^10\\. an item/", timeout=120_000)
                if k:
                    times.append(time.monotonic() - started)
                browser.close()
    return times


def reopen_lab(url: str, users: list[str], pw) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(seconds to the list in a new tab of a browser that loaded the app before, seconds from a
    click on the sidebar's lab link on the Overview to the list), each for a user not opened yet."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
    context = browser.new_context(viewport={"width": 1500, "height": 1300})
    page = context.new_page()
    page.goto(f"{url}/?user={users[0]}", timeout=180_000)  # the Overview: the front end is now cached
    page.wait_for_selector("text=Recommendation lab", timeout=180_000)
    page.wait_for_timeout(3000)
    started = time.monotonic()
    page.get_by_role("link", name="Recommendation lab").click()
    page.wait_for_selector("text=/^10\\. /", timeout=180_000)
    clicked = time.monotonic() - started
    deadline = time.monotonic() + 120  # that list's explanations done before the next open
    while time.monotonic() < deadline and (_badges(page) < 10 or _coming(page) > 0):
        time.sleep(0.2)
    tab = context.new_page()
    started = time.monotonic()
    tab.goto(f"{url}/lab?user={users[1]}", wait_until="commit", timeout=180_000)
    tab.wait_for_selector("text=/^10\\. /", timeout=180_000)
    cached = time.monotonic() - started
    browser.close()
    return cached, clicked


def slider_moves(page, moves: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds from a key press on the fusion slider to the list's weight figure showing the new value."""
    toggle = page.get_by_text("Use the learned weight")
    toggle.click()
    page.wait_for_timeout(1500)
    slider = page.locator("input[type=range][aria-label=\"Weight of long-term interest\"]")
    slider.focus()
    times = []
    for k in range(moves):
        key = "ArrowRight" if (k // 4) % 2 == 0 else "ArrowLeft"  # wander right then left, visiting weights again
        before = _weight_shown(page)
        expected = f"{float(slider.input_value()) + (0.01 if key == 'ArrowRight' else -0.01):.2f}"
        started = time.monotonic()
        page.keyboard.press(key)
        page.wait_for_function(
            """(want) => { const m = document.querySelector('[data-testid="stMetricValue"]');
                           return m && m.innerText === want; }""", arg=expected, timeout=30_000, polling="raf")
        times.append(time.monotonic() - started)
        assert _weight_shown(page) != before
        page.wait_for_timeout(300)  # an analyst's pace: not every press lands mid-run
    return times


def measure(db: Path, user: str, warm_user: str, others: list[str], moves: int, busy: bool) -> None:
    from playwright.sync_api import sync_playwright

    from tests.support.app_server import running_app
    from tests.support.busy import busy_cores

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "lab.duckdb"
        shutil.copy(db, copy)
        label = "both cores busy" if busy else "idle"
        with running_app({"RECSYS_DB": str(copy)}, Path(tmp) / "app.log") as url, sync_playwright() as pw:
            warm = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            page = warm.new_page()  # the first session loads the engine and the model: not what is measured
            page.goto(f"{url}/lab?user={warm_user}", timeout=300_000)  # another user: nothing cached for the measure
            page.wait_for_selector("text=/^10\\. /", timeout=300_000)
            deadline = time.monotonic() + 120  # its explanations done: the LLM is not still busy with them
            while time.monotonic() < deadline and (_badges(page) < 10 or _coming(page) > 0):
                time.sleep(0.2)
            warm.close()
            with busy_cores(busy):
                listed, all_ten, three, browser, page = open_lab(url, user, pw)
                print(f"[{label}] lab opened to the list on screen: {listed:.2f} s; first three explanations: "
                      f"{'-' if three is None else f'{three:.1f} s'}; all ten: {all_ten:.1f} s", flush=True)
                fresh = slider_moves(page, moves)
                browser.close()
                cached, clicked = reopen_lab(url, others, pw)
                print(f"[{label}] lab opened again, list on screen: new tab with the front end cached {cached:.2f} s; "
                      f"from the Overview's lab link {clicked:.2f} s", flush=True)
            print(f"[{label}] slider key press to the list updated: median {1000 * statistics.median(fresh):.0f} ms, "
                  f"p95 {1000 * _pct(fresh, 0.95):.0f} ms, max {1000 * max(fresh):.0f} ms over {len(fresh)} presses "
                  "(explanations being written meanwhile, some weights' lists cached)", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path, help="a database with a build (copied; never written)")
    ap.add_argument("--user", help="the user to open the lab for (default: the most active)")
    ap.add_argument("--moves", type=int, default=20)
    ap.add_argument("--no-busy", action="store_true", help="skip the measure with both cores busy")
    args = ap.parse_args()
    if not args.db.is_file():
        raise SystemExit(f"no database at {args.db}")
    if not Path(CHROMIUM).exists():
        print("chromium is not installed (apt install chromium): nothing measured")
        return 1
    import duckdb

    with duckdb.connect(str(args.db), read_only=True) as con:
        active = [str(r[0]) for r in con.execute(
            "SELECT user_id FROM interactions GROUP BY ALL ORDER BY count(*) DESC, user_id LIMIT 6").fetchall()]
    user = args.user or active[0]
    rest = [u for u in active if u != user] or [user]
    warm_user, others = rest[0], (rest[1:] + rest * 2)[:4]
    measure(args.db, user, warm_user, others[:2], args.moves, busy=False)
    if not args.no_busy:
        measure(args.db, user, warm_user, others[2:4], args.moves, busy=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        floor = bare_page_floor(pw)
    print(f"[idle] floor: a bare Streamlit page (title, select box, slider, ten cards) in a browser that never loaded it: "
          f"{', '.join(f'{t:.2f}' for t in floor)} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
