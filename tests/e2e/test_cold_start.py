"""Eight browser sessions open the lab together on a server that has just started: none sees an
error, all get the lab. (Before the page scripts moved out of a ``pages/`` folder, several of
eight failed with ``ImportError: cannot import name ... from 'pages._shared'``; before the
store ran one transaction at a time, two sessions caching the same explanation made DuckDB
abort one with "Conflict on update".)"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import APP_ENV
from tests.support.app_server import running_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SESSIONS = 8

pytestmark = pytest.mark.e2e


def _settled(page: Any) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=240_000)


def test_eight_first_sessions_on_a_cold_server_all_get_the_lab(
    tmp_path: Path, built_app_db: Path, tiny_sample_dir: Path
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    db = tmp_path / "cold.duckdb"
    shutil.copy(built_app_db, db)
    env = {**APP_ENV, "RECSYS_DB": str(db), "RECSYS_SAMPLE_DIR": str(tiny_sample_dir)}
    with running_app(env, tmp_path / "server.log") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            pages = [browser.new_context().new_page() for _ in range(SESSIONS)]
            for page in pages:  # all requests go out before any page has rendered
                page.goto(f"{url}/lab", wait_until="commit", timeout=120_000)
            failed = []
            for i, page in enumerate(pages):
                heading = page.get_by_role("heading", name=re.compile("Recommendation lab"))
                error = page.locator("[data-testid='stException']").or_(page.get_by_text("encountered an error"))
                heading.or_(error).first.wait_for(timeout=240_000)
                _settled(page)
                if error.count() or not heading.count():
                    failed.append((i, page.inner_text("body")[-400:]))
            assert failed == [], f"{len(failed)} of {SESSIONS} sessions failed: {failed}"
        finally:
            browser.close()
