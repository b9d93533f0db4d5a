"""The background explanation writer against a real loopback chat server: every card of a list
is written in the order shown, a newer list from the same viewer drops the older one, a list
has one time budget, and lists of different viewers are both served."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from recsys_core.config import ExplainConfig
from recsys_core.explain.jobs import DONE
from tests.support.chat_server import ChatServer, chat_server

Engine = Any


@pytest.fixture()
def slow_engine(built_engine: Engine) -> Iterator[tuple[Engine, ChatServer]]:
    """The built shop with an endpoint that takes ``delay`` seconds per explanation."""
    with chat_server() as server:
        server.mode, server.delay = "slow", 0.4
        built_engine.configure_explanations(ExplainConfig(backend="openai", endpoint_url=server.url,
                                                          endpoint_model="slow-model", timeout_seconds=3.0,
                                                          list_budget_seconds=30.0))
        try:
            yield built_engine, server
        finally:
            built_engine.configure_explanations(ExplainConfig(backend="template"))


def _users(engine: Engine, n: int) -> list[str]:
    with engine.store.cursor() as cur:
        return [str(r[0]) for r in cur.execute(
            "SELECT user_id FROM interactions GROUP BY ALL HAVING count(*) >= 8 ORDER BY user_id LIMIT ?",
            [n]).fetchall()]


def _done_ids(progress: Any) -> list[str]:
    return [item for item, card in progress.cards.items() if card.state == DONE]


def test_a_list_is_written_in_the_order_shown(slow_engine: tuple[Engine, ChatServer]) -> None:
    engine, server = slow_engine
    recs = engine.recommend(_users(engine, 1)[0], n=4)
    jobs = engine.explanations.jobs
    started = time.monotonic()
    job = jobs.submit("viewer", recs)
    assert time.monotonic() - started < 0.2  # submitting never waits for the LLM
    order = [r.item_id for r in recs.items]
    seen_prefixes = []
    while not (progress := jobs.progress(job)).finished:
        seen_prefixes.append(_done_ids(progress))
        time.sleep(0.05)
    assert all(done == order[:len(done)] for done in seen_prefixes)  # cards fill in the order shown
    assert any(0 < len(done) < 4 for done in seen_prefixes)  # and one by one, not all at the end
    cards = progress.cards
    assert list(cards) == order and all(c.state == DONE for c in cards.values())
    assert all(c.explanation is not None and c.explanation.source == "llm" for c in cards.values())
    assert len(server.requests) == 4


def test_a_newer_list_drops_the_older_one(slow_engine: tuple[Engine, ChatServer]) -> None:
    engine, server = slow_engine
    first_user, second_user = _users(engine, 2)
    jobs = engine.explanations.jobs
    old = jobs.submit("viewer", engine.recommend(first_user, n=6))
    while len(_done_ids(jobs.progress(old))) < 1:
        time.sleep(0.02)
    new = jobs.submit("viewer", engine.recommend(second_user, n=3))
    finished_new = jobs.wait(new, timeout=30)
    finished_old = jobs.progress(old)
    assert finished_old.cancelled and finished_old.finished
    assert len(_done_ids(finished_old)) < 6  # its remaining items were never written
    assert finished_new.finished and not finished_new.cancelled and len(_done_ids(finished_new)) == 3
    assert len(server.requests) <= 1 + 1 + 3  # at most the one being written when it was dropped


def test_a_list_has_one_time_budget(slow_engine: tuple[Engine, ChatServer]) -> None:
    engine, server = slow_engine
    engine.configure_explanations(ExplainConfig(backend="openai", endpoint_url=server.url, endpoint_model="slow-model",
                                                timeout_seconds=3.0, list_budget_seconds=1.0))
    jobs = engine.explanations.jobs
    user = _users(engine, 4)[3]  # one no other test here explains, so nothing is cached
    started = time.monotonic()
    progress = jobs.wait(jobs.submit("viewer", engine.recommend(user, n=6)), timeout=30)
    took = time.monotonic() - started
    assert took < 1.0 + 0.4 + 1.0  # the budget, one reply that began inside it, slack
    results = [c.explanation for c in progress.cards.values()]
    assert results[0].source == "llm"  # the first one had the whole budget
    assert results[-1].source == "template" and "time budget" in (results[-1].fallback_reason or "")
    assert len(server.requests) < 6
    # what the budget cut short is not cached: a later look asks the LLM again
    again = jobs.wait(jobs.submit("viewer", engine.recommend(user, n=6)), timeout=30)
    assert list(again.cards.values())[-1].explanation.cached is False


def test_two_viewers_are_both_served(slow_engine: tuple[Engine, ChatServer]) -> None:
    engine, _ = slow_engine
    a_user, b_user = _users(engine, 2)
    jobs = engine.explanations.jobs
    a = jobs.submit("viewer-a", engine.recommend(a_user, n=2))
    b = jobs.submit("viewer-b", engine.recommend(b_user, n=2))
    for job in (a, b):
        progress = jobs.wait(job, timeout=30)
        assert progress.finished and not progress.cancelled and len(_done_ids(progress)) == 2


def test_closing_the_writer_stops_it(slow_engine: tuple[Engine, ChatServer]) -> None:
    engine, _ = slow_engine
    jobs = engine.explanations.jobs
    job = jobs.submit("viewer", engine.recommend(_users(engine, 1)[0], n=6))
    jobs.close(wait=5.0)
    progress = jobs.progress(job)
    assert progress.finished and progress.cancelled
    with pytest.raises(RuntimeError):
        jobs.submit("viewer", engine.recommend(_users(engine, 1)[0], n=2))


def test_a_list_nobody_watches_is_dropped(slow_engine: tuple[Engine, ChatServer], monkeypatch: pytest.MonkeyPatch) -> None:
    from recsys_core.explain import jobs as jobs_module

    engine, server = slow_engine
    monkeypatch.setattr(jobs_module, "UNWATCHED_SECONDS", 0.6)
    jobs = engine.explanations.jobs
    job = jobs.submit("closed-tab", engine.recommend(_users(engine, 3)[2], n=8))
    time.sleep(3.0)  # nobody polls: the tab was closed right after the list was drawn
    progress = jobs.progress(job)
    assert progress.cancelled and progress.finished
    assert len(_done_ids(progress)) < 8 and len(server.requests) <= 3


def test_lists_moved_past_quickly_never_reach_the_llm(slow_engine: tuple[Engine, ChatServer]) -> None:
    """A slider being moved: each list replaces the one before within the settle time, so only
    the list the analyst stops at is written."""
    engine, server = slow_engine
    users = _users(engine, 4)
    jobs = engine.explanations.jobs
    assert jobs.settle_seconds > 0.2
    first = jobs.submit("viewer", engine.recommend(users[0], n=3))  # the lab opening: no settling
    while len(_done_ids(jobs.progress(first))) < 1:
        time.sleep(0.02)
    asked = len(server.requests)
    passed = []
    for user in users[1:3]:
        passed.append(jobs.submit("viewer", engine.recommend(user, n=3)))
        time.sleep(0.05)
    last = jobs.submit("viewer", engine.recommend(users[3], n=3))
    finished = jobs.wait(last, timeout=30)
    assert finished.finished and not finished.cancelled and len(_done_ids(finished)) == 3
    for job in passed:
        progress = jobs.progress(job)
        assert progress.cancelled and _done_ids(progress) == []
    # the first list's sentence being written when it was dropped, then only the last list's three
    assert len(server.requests) <= asked + 1 + 3
