"""Explanations written in the background, list by list, so a page never waits for an LLM.

A page hands the list it shows to :meth:`ExplanationJobs.submit` and draws the list at once;
one worker thread per engine writes the items' explanations in the order shown, through
:meth:`Explanations.explain_item` (so the cache, the check and the fallback are the usual ones),
and the page reads :meth:`ExplanationJobs.progress` to fill its cards as they come.

- A newer list from the same viewer cancels the older one: its items not yet begun are dropped
  and a sentence being written stops at its next token (nothing of it is stored).
- A list has one time budget, counted from its submission: each item's LLM call gets what is
  left of it (at most the per-item timeout), and items begun after it is spent get the template
  at once, marked as such. Nothing a budget cut short is cached, so a later look can do better.
- A list that replaces the same viewer's previous list waits ``settle_seconds`` before its
  first LLM call: while a slider is being moved, no CPU goes to lists it moves past (they are
  cancelled before they start), and the page redrawing the lists keeps the cores.
- Lists from several viewers are served in the order they came.
- A list nobody looks at any more (no :meth:`ExplanationJobs.progress` or :meth:`wait` for
  :data:`UNWATCHED_SECONDS`: its browser tab was closed) is dropped before its next item.

No Streamlit here: the lab polls, the command line can wait with :meth:`wait`.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recsys_core.explain.explainer import Explanation
    from recsys_core.explain.service import Explanations
    from recsys_core.recommend import RecommendationList

_log = logging.getLogger(__name__)

WAITING, WRITING, DONE = "waiting", "writing", "done"
_KEEP_FINISHED = 64  # finished jobs kept readable (a page polls its job once more after it ends)
UNWATCHED_SECONDS = 5.0  # a list not polled for this long (its page polls every second) is shown nowhere


_LIVE: weakref.WeakSet[ExplanationJobs] = weakref.WeakSet()


@atexit.register
def _stop_writers() -> None:
    """Stop every writer before the interpreter goes: a daemon thread still inside DuckDB or
    llama.cpp while the process ends can abort it."""
    for jobs in list(_LIVE):
        jobs.close(wait=5.0)


class JobCancelled(Exception):
    """Raised inside a token callback to stop a sentence whose list is no longer shown."""


@dataclass(frozen=True, slots=True)
class CardProgress:
    """Where one card's explanation stands: ``state`` is waiting / writing / done; ``text`` is
    what the LLM has written so far (unchecked: show it as plain text); ``explanation`` is the
    checked result once done."""

    state: str
    text: str = ""
    explanation: Explanation | None = None


@dataclass(frozen=True, slots=True)
class ListProgress:
    """A job's cards by item id, in the order shown; ``finished`` when every card is done or the
    job was cancelled."""

    job_id: int
    cards: dict[str, CardProgress]
    finished: bool
    cancelled: bool

    def done(self) -> int:
        return sum(c.state == DONE for c in self.cards.values())


@dataclass(slots=True)
class _Job:
    job_id: int
    owner: str
    recs: RecommendationList
    interest: str | None
    simulated: bool
    deadline: float
    start_at: float = 0.0  # monotonic time before which no LLM call is made for it
    cancelled: threading.Event = field(default_factory=threading.Event)
    partial: dict[str, str] = field(default_factory=dict)
    results: dict[str, Explanation] = field(default_factory=dict)
    writing: str | None = None
    finished: bool = False
    watched: float = field(default_factory=time.monotonic)  # when a page last asked for it


class ExplanationJobs:
    """One background writer of explanations for one engine's :class:`Explanations`."""

    def __init__(self, explanations: Explanations, budget_seconds: float, settle_seconds: float = 0.0) -> None:
        self._explanations = explanations
        self.budget_seconds = budget_seconds
        self.settle_seconds = settle_seconds
        self._cond = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._jobs: dict[int, _Job] = {}
        self._current: dict[str, int] = {}  # owner -> newest job id
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._closed = False
        _LIVE.add(self)

    # ------------------------------------------------------------------ the page's side
    def submit(self, owner: str, recs: RecommendationList, interest: str | None = None,
               simulated: bool = False) -> int:
        """Queue ``recs`` for ``owner`` (a browser session, a command) and cancel the owner's
        previous list; returns the job id to poll."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the explanation writer is closed")
            old = self._current.get(owner)
            now = time.monotonic()
            replacing = False
            if old is not None and old in self._jobs:
                self._cancel(self._jobs[old])
                replacing = True
            job = _Job(next(self._ids), owner, recs, interest, simulated, now + self.budget_seconds,
                       now + self.settle_seconds if replacing else now)
            self._jobs[job.job_id] = job
            self._current[owner] = job.job_id
            self._queue.append(job)
            self._forget_old()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="explanation-writer", daemon=True)
                self._thread.start()
            self._cond.notify_all()
            return job.job_id

    def progress(self, job_id: int) -> ListProgress | None:
        """The job's cards as they stand (None for an unknown or long-forgotten job)."""
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            job.watched = time.monotonic()
            cards: dict[str, CardProgress] = {}
            for r in job.recs.items:
                done = job.results.get(r.item_id)
                if done is not None:
                    cards[r.item_id] = CardProgress(DONE, done.text, done)
                elif job.writing == r.item_id:
                    cards[r.item_id] = CardProgress(WRITING, job.partial.get(r.item_id, ""))
                else:
                    cards[r.item_id] = CardProgress(WAITING)
            return ListProgress(job.job_id, cards, job.finished, job.cancelled.is_set())

    def wait(self, job_id: int, timeout: float | None = None) -> ListProgress | None:
        """Block until the job is finished (or ``timeout`` seconds); its progress then."""
        end = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while (job := self._jobs.get(job_id)) is not None and not job.finished:
                job.watched = time.monotonic()
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._cond.wait(1.0 if left is None else min(left, 1.0))
        return self.progress(job_id)

    def cancel(self, owner: str) -> None:
        """Drop the owner's list (its page went away or turned explanations off)."""
        with self._cond:
            job_id = self._current.pop(owner, None)
            if job_id is not None and job_id in self._jobs:
                self._cancel(self._jobs[job_id])

    def close(self, wait: float = 0.0) -> None:
        """Cancel everything and let the worker end (waiting up to ``wait`` seconds for it)."""
        with self._cond:
            self._closed = True
            for job in self._jobs.values():
                self._cancel(job)
            self._cond.notify_all()
            thread = self._thread
        if wait > 0 and thread is not None and thread is not threading.current_thread():
            thread.join(wait)

    # ------------------------------------------------------------------ the worker
    def _cancel(self, job: _Job) -> None:
        job.cancelled.set()
        if job in self._queue:
            self._queue.remove(job)
            job.finished = True
        self._cond.notify_all()

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished]
        for job in finished[: max(len(finished) - _KEEP_FINISHED, 0)]:
            del self._jobs[job.job_id]

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job = self._queue[0]
                # a replacement list settles first; a newer one cancelling it meanwhile skips it
                while not self._closed and not job.cancelled.is_set() and (wait := job.start_at - time.monotonic()) > 0:
                    self._cond.wait(wait)
                if self._closed:
                    return
                if job.cancelled.is_set() or not self._queue or self._queue[0] is not job:
                    continue  # dropped while it settled (_cancel took it off the queue)
                self._queue.popleft()
            try:
                self._run(job)
            except Exception:  # noqa: BLE001 - one bad list must not stop the writer for every page
                _log.exception("writing the explanations of a list failed")
            with self._cond:
                job.finished, job.writing = True, None
                self._cond.notify_all()

    def _run(self, job: _Job) -> None:
        service = self._explanations
        about = service.about([r.item_id for r in job.recs.items])
        past = service.past(job.recs.user_id, job.simulated)
        for rec in job.recs.items:
            if time.monotonic() - job.watched > UNWATCHED_SECONDS:
                job.cancelled.set()  # its page is gone
            if job.cancelled.is_set():
                return
            with self._cond:
                job.writing = rec.item_id

            def on_token(piece: str, item_id: str = rec.item_id) -> None:
                if job.cancelled.is_set():
                    raise JobCancelled
                with self._cond:
                    job.partial[item_id] = job.partial.get(item_id, "") + piece

            left = job.deadline - time.monotonic()
            try:
                result = service.explain_item(job.recs, rec, job.interest, job.simulated, on_token=on_token,
                                              about=about.get(rec.item_id), time_left=left, past=past)
            except JobCancelled:
                return
            if job.cancelled.is_set():
                return
            with self._cond:
                job.results[rec.item_id] = result
                job.partial.pop(rec.item_id, None)
                self._cond.notify_all()
