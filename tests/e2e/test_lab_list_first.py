"""The lab's list never waits for explanations, in a real browser against ``streamlit run``: the
explanations come from a slow endpoint on loopback (one second each). The list is on screen
while its cards still say "explanation coming"; slider moves while explanations are being
written raise nothing, the newest list wins (every card ends with its own item's explanation)
and the work for lists no longer shown is dropped; the same holds with both cores busy."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import APP_ENV
from tests.support.app_server import running_app
from tests.support.busy import busy_cores
from tests.support.chat_server import ChatServer, chat_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SLIDER = "input[type=range]"  # the first one: the weight of long-term interest

pytestmark = pytest.mark.e2e


def _cards(page) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(title, explanation text) of each card, in order: a card's head "N. Title", then the first
    text after it that names its evidence."""
    texts = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
        .map(m => m.innerText)""")
    cards: list[tuple[str, str]] = []
    for k, text in enumerate(texts):
        head = re.match(r"^\d+\. (.+)", text)
        if head:
            after = next((t for t in texts[k + 1:] if "Evidence:" in t), "")
            cards.append((head.group(1).split("\n")[0].strip(), after))
    return cards


def _finished(cards: list[tuple[str, str]]) -> bool:
    return len(cards) == 10 and all("explanation coming" not in text and re.search(r"checked|template", text)
                                    for _, text in cards)


def _settled_cards(page, timeout_s: float = 120.0) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The cards once all ten show a finished explanation in two reads 2 s apart (a single
    read can fall between a card's slot being drawn and filled, and one look without "coming"
    is not the end state); the last read when that never happens, for the assertions to show."""
    deadline = time.monotonic() + timeout_s
    cards = _cards(page)
    while time.monotonic() < deadline:
        if _finished(cards):
            page.wait_for_timeout(2000)
            again = _cards(page)
            if again == cards:
                return cards
            cards = again
            continue
        page.wait_for_timeout(500)
        cards = _cards(page)
    return cards


@pytest.fixture()
def slow_llm() -> Iterator[ChatServer]:
    with chat_server() as server:
        server.mode, server.delay = "slow", 1.0
        yield server


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "both-cores-busy"])
def test_the_list_comes_first_and_the_newest_list_wins(tmp_path: Path, built_app_db: Path, tiny_sample_dir: Path,
                                                       slow_llm: ChatServer, busy: bool) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    db = tmp_path / "lab.duckdb"
    shutil.copy(built_app_db, db)
    env = {**APP_ENV, "RECSYS_DB": str(db), "RECSYS_SAMPLE_DIR": str(tiny_sample_dir),
           "RECSYS_LLM_BACKEND": "openai", "RECSYS_LLM_URL": slow_llm.url, "RECSYS_LLM_TIMEOUT": "5",
           "RECSYS_LLM_BUDGET": "60"}
    with running_app(env, tmp_path / "app.log") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        with busy_cores(busy):
            page.goto(f"{url}/lab", timeout=180_000)
            page.wait_for_selector("text=/^10\\. /", timeout=180_000)
            # the whole list is there while explanations are still coming
            assert page.locator("text=explanation coming").count() >= 5
            page.get_by_text("Use the learned weight").click()
            page.wait_for_timeout(1000)
            page.locator(SLIDER).first.focus()
            for _ in range(4):  # moves while the first list's explanations are being written
                page.keyboard.press("ArrowLeft")
                page.wait_for_timeout(400)
            final = f"{float(page.locator(SLIDER).first.input_value()):.2f}"
            page.wait_for_function("(want) => document.querySelector('[data-testid=\"stMetricValue\"]')"
                                   "?.innerText === want", arg=final, timeout=60_000)
            cards = _settled_cards(page)
            assert page.locator('[data-testid="stException"]').count() == 0
        browser.close()
    assert len(cards) == 10
    for title, text in cards:  # each card ends with its own item's explanation, of the list shown
        assert title in text.replace("\u200b", ""), (title, text)
        assert re.search(r"checked|template", text), text
    # lists replaced mid-writing were dropped: far fewer requests than 10 per list shown
    assert len(slow_llm.requests) < 10 + 4 * 3
