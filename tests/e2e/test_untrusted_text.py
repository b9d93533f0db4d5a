"""A catalogue title carrying Markdown image and link syntax that points at a server on loopback:
every page shows it literally, draws no link to it, and the browser never requests it."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from tests.conftest import APP_ENV
from tests.support.app_server import running_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGES = ["", "interest_map", "user_explorer", "lab", "data"]

pytestmark = pytest.mark.e2e


@pytest.fixture()
def bait() -> Iterator[tuple[str, list[str]]]:
    """A loopback server that records every request (an image fetch or a followed link)."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_title_with_markdown_is_shown_literally_and_fetches_nothing(
    tmp_path: Path, built_app_db: Path, tiny_sample_dir: Path, bait: tuple[str, list[str]]
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    host, hits = bait
    hostile = f"Tin ![x]({host}/b.png) [free gift]({host}/c) :red[ALERT] **bold**"
    db = tmp_path / "hostile.duckdb"
    shutil.copy(built_app_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE items SET title = ? || ' ' || item_id", [hostile])
    env = {**APP_ENV, "RECSYS_DB": str(db), "RECSYS_SAMPLE_DIR": str(tiny_sample_dir)}
    with running_app(env, tmp_path / "server.log") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url) if r.url.startswith(host) else None)
            for path in PAGES:
                page.goto(f"{url}/{path}", timeout=120_000)
                page.wait_for_timeout(500)
                page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=180_000)
                page.wait_for_timeout(1500)  # let charts and tables draw
                assert page.locator(f"a[href^='{host}']").count() == 0, path
                assert page.locator(f"img[src^='{host}']").count() == 0, path
                if path == "lab":
                    body = page.inner_text("body").replace("\u200b", "")  # the autolink breaker is invisible
                    assert f"![x]({host}/b.png)" in body and "**bold**" in body and ":red[ALERT]" in body
            assert requested == [] and hits == []
        finally:
            browser.close()
