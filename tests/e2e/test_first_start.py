"""A newcomer's first ``streamlit run app.py`` (empty database, every setting at its default: the
shipped sample, its shipped model, the local LLM) shows a recommendation list in the lab within
a minute of the server starting, in a real browser."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.support.app_server import running_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FIRST_START_SECONDS = 60.0

pytestmark = pytest.mark.e2e


def test_the_first_start_shows_a_list_in_the_lab_within_a_minute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    for name in ("RECSYS_EMBEDDING_MODEL", "RECSYS_EPOCHS", "RECSYS_SEED", "RECSYS_SAMPLE_DIR", "RECSYS_LLM_BACKEND",
                 "RECSYS_LLM_URL"):
        monkeypatch.delenv(name, raising=False)
    db = tmp_path / "first.duckdb"
    started = time.monotonic()
    with running_app({"RECSYS_DB": str(db)}, tmp_path / "app.log") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(f"{url}/lab", timeout=60_000)
            left_ms = max(1.0, FIRST_START_SECONDS - (time.monotonic() - started)) * 1000
            page.wait_for_selector("text=/^10\\. /", timeout=left_ms)
            shown_after = time.monotonic() - started
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.get_by_text("No model yet").count() == 0
            print(f"first start: list in the lab {shown_after:.1f} s after the server was started")
        finally:
            browser.close()
    assert db.exists()
