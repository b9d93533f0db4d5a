"""The HTML reports open in Chromium from a file with the network off: every figure draws,
nothing is fetched, no console error. Screenshots land in test-artifacts/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import APP_ENV

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, built_app_db: Path, tiny_sample_dir: Path) -> dict[str, Path]:
    from recsys_core.config import RecsysConfig
    from recsys_core.engine import RecsysEngine

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    tmp = tmp_path_factory.mktemp("reports")
    db = tmp / "r.duckdb"
    shutil.copy(built_app_db, db)
    env = {**APP_ENV, "RECSYS_DB": str(db), "RECSYS_SAMPLE_DIR": str(tiny_sample_dir)}
    engine = RecsysEngine(RecsysConfig.from_env(env)).open()
    try:
        user = engine.user_ids()[0]
        out = {}
        for kind in ("trends", "user", "evaluation"):
            out[kind] = tmp / f"{kind}.html"
            out[kind].write_text(engine.report(kind, user_id=user), encoding="utf-8")
    finally:
        engine.close()
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                               "--disable-background-networking", "--no-first-run"])
        yield b
        b.close()


@pytest.mark.parametrize(("kind", "min_figures"), [("trends", 2), ("user", 5), ("evaluation", 1)])
def test_report_opens_offline_with_every_figure_drawn(browser: Any, reports: dict[str, Path], kind: str,
                                                      min_figures: int) -> None:
    context = browser.new_context(offline=True, viewport={"width": 1300, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    fetched: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: fetched.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
    page.goto(reports[kind].as_uri())
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {min_figures}",
                           timeout=30_000)
    page.wait_for_timeout(500)
    drawn = page.locator(".js-plotly-plot").count()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report_{kind}.png"), full_page=True)
    context.close()
    assert drawn >= min_figures
    assert errors == [] and fetched == [], (errors, fetched)
