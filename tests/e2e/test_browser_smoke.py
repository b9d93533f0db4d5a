"""Real server, real browser: every page loads in headless Chromium with no Streamlit
exception and no console error, a deep link works as the server's first request, and moving
the fusion slider on the lab page changes the list. Screenshots land in test-artifacts/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import APP_ENV
from tests.support.app_server import running_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
PAGES = [("", "Interest explorer"), ("interest_map", "Interest map"), ("user_explorer", "User explorer"),
         ("lab", "Recommendation lab"), ("trends", "Trends & segments"), ("evaluation", "Evaluation"), ("data", "Data")]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, built_app_db: Path, tiny_sample_dir: Path) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    tmp = tmp_path_factory.mktemp("e2e")
    db = tmp / "e2e.duckdb"
    shutil.copy(built_app_db, db)
    env = {**APP_ENV, "RECSYS_DB": str(db), "RECSYS_SAMPLE_DIR": str(tiny_sample_dir)}
    with running_app(env, tmp / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"],
        )
        yield b
        b.close()


def _open(browser: Any, server: str, path: str, errors: list[str]) -> Any:
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    # Opening a page URL directly, Streamlit's frontend first probes <page>/_stcore/... for its
    # base path and gets 404 before it falls back to the root; those probes are not errors.
    probe = f"{server}/{path.split('?')[0]}/_stcore/"
    page.on("console", lambda m: errors.append(f"{m.text} ({m.location.get('url', '')})")
            if m.type == "error" and not m.location.get("url", "").startswith(probe) else None)
    page.on("response", lambda r: errors.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 and not r.url.startswith(probe) else None)
    page.on("requestfailed", lambda r: errors.append(f"request failed {r.url}"))
    page.goto(f"{server}/{path}", timeout=120_000)
    _idle(page)
    return page


def _idle(page: Any) -> None:
    page.wait_for_timeout(400)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=180_000)
    page.wait_for_timeout(800)


def _lab_titles(page: Any) -> list[str]:
    heads = page.locator("[data-testid='stMarkdownContainer'] strong").all_inner_texts()
    return [h for h in heads if re.match(r"^\d+\. ", h)]


def test_a_deep_link_as_first_request_opens_that_page_in_the_app_frame(browser: Any, server: str) -> None:
    errors: list[str] = []
    page = _open(browser, server, "lab", errors)
    page.get_by_role("heading", name=re.compile("Recommendation lab")).first.wait_for(timeout=60_000)
    nav = page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()
    assert [n.split("\n")[-1] for n in nav] == [title for _, title in
                                                [("", "Overview"), *[(p, t) for p, t in PAGES[1:]]]]
    assert page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").count() == 1  # the user picker
    page.close()
    assert errors == [], errors


@pytest.mark.parametrize(("path", "heading"), PAGES)
def test_page_loads_in_chromium(browser: Any, server: str, path: str, heading: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    page = _open(browser, server, path, errors)
    page.get_by_role("heading", name=re.compile(heading)).first.wait_for(timeout=60_000)
    page.wait_for_timeout(1200)  # let charts draw
    page.screenshot(path=str(ARTIFACTS / f"{path or 'overview'}.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()
    assert errors == [], errors


def test_moving_the_fusion_slider_changes_the_list(browser: Any, server: str) -> None:
    errors: list[str] = []
    page = _open(browser, server, "lab", errors)
    learned = _lab_titles(page)
    assert len(learned) == 10
    page.get_by_text("Use the learned weight").click()
    _idle(page)
    thumb = page.locator("[data-testid='stSlider']").first.locator("input[type='range'], [role='slider']").first
    thumb.focus()
    page.keyboard.press("End")  # alpha = 1: long-term only
    _idle(page)
    long_only = _lab_titles(page)
    assert "alpha=1" in page.url
    thumb.focus()
    page.keyboard.press("Home")  # alpha = 0: short-term only
    _idle(page)
    short_only = _lab_titles(page)
    assert len(long_only) == len(short_only) == 10
    assert long_only != short_only
    assert page.get_by_text("Moved:").count() + page.get_by_text("New:").count() > 0  # what changed is shown
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lab_after_slider.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()
    assert errors == [], errors


def test_a_lasso_on_the_map_summarises_the_selected_items(browser: Any, server: str) -> None:
    errors: list[str] = []
    page = _open(browser, server, "interest_map?overlay=0", errors)
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    cx, cy, r = area["x"] + area["width"] / 2, area["y"] + area["height"] / 2, min(area["width"], area["height"]) / 3
    page.mouse.move(cx - r, cy - r)
    page.mouse.down()
    for dx, dy in ((r, -r), (r, r), (-r, r), (-r, -r)):
        page.mouse.move(cx + dx, cy + dy, steps=8)
    page.mouse.up()
    _idle(page)
    heading = page.get_by_role("heading", name=re.compile(r"\d+ selected items"))
    heading.wait_for(timeout=60_000)
    assert int(heading.inner_text().split()[0]) > 0
    assert page.get_by_text("Top keywords:").count() == 1
    page.screenshot(path=str(ARTIFACTS / "interest_map_selection.png"), full_page=True)
    page.close()
    assert errors == [], errors
