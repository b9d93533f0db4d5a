"""Writes, checks, falls back and caches: one explanation per recommendation.

The flow for one item: cache lookup by (user, item, facts digest, backend, model, prompt
version) -> the LLM under a timeout -> tidy -> faithfulness check -> the template when
anything failed -> the counterfactual score drop -> stored with its check. Backend errors never
leave this module. After a timeout or an unreachable endpoint the backend is skipped for a
short cool-down, so a dead server costs one timeout, not one per item (a local model's timeout
only means that one sentence ran long, so it gets no cool-down, unless not even its first word
came in time: the machine is overloaded, and every item would pay the same wait).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from recsys_core.config import ExplainConfig
from recsys_core.data.store import Store
from recsys_core.explain.backends import LLMError, OnToken, TextBackend
from recsys_core.explain.check import CheckResult, TitleIndex, check_explanation, tidy
from recsys_core.explain.facts import ExplanationFacts
from recsys_core.explain.jobs import JobCancelled
from recsys_core.explain.prompts import PROMPT_VERSION
from recsys_core.explain.template import template_explanation

_log = logging.getLogger(__name__)

Counterfactual = Callable[[tuple[str, ...]], dict[str, float]]
_TRANSIENT = ("timeout", "busy", "unreachable", "overloaded", "http 5", "http 429")
COOL_DOWN_SECONDS = 30.0
MIN_LLM_SECONDS = 0.5  # less than this left of a list's budget: not worth asking the LLM


@dataclass(frozen=True, slots=True)
class Explanation:
    """The sentence shown for one recommendation and how it came about.

    ``source`` is "llm" when the LLM's own text passed the check, else "template";
    ``fallback_reason`` says why an LLM text was not shown (None when it was, or when no LLM
    is configured); ``llm_text`` keeps the rejected text for the analyst.
    """

    user_id: str
    item_id: str
    text: str
    source: str
    backend: str
    model: str
    check: CheckResult
    evidence_hash: str
    llm_text: str | None = None
    fallback_reason: str | None = None
    seconds: float = 0.0
    cached: bool = False

    @property
    def flagged(self) -> bool:
        """True when an LLM was asked but its text is not the one shown."""
        return self.fallback_reason is not None


class Explainer:
    """Explanations for recommendations, through one backend (or none) and the DuckDB cache."""

    def __init__(self, store: Store, config: ExplainConfig, backend: TextBackend | None) -> None:
        self.store = store
        self.config = config
        self.backend = backend
        self._skip_until = 0.0
        self._skip_reason = ""
        self._lock = threading.Lock()

    @property
    def backend_name(self) -> str:
        return self.backend.name if self.backend else "template"

    @property
    def model_name(self) -> str:
        return self.backend.model if self.backend else "template"

    def key(self, facts: ExplanationFacts) -> list[object]:
        return [facts.user_id, facts.item_id, facts.digest(), self.backend_name, self.model_name, PROMPT_VERSION]

    def cached(self, facts: ExplanationFacts) -> Explanation | None:
        """The stored explanation for these facts and this backend, or None."""
        t0 = time.perf_counter()
        with self.store.cursor() as cur:
            rows = cur.execute(
                "SELECT text, source, llm_text, fallback_reason, checks FROM explanations WHERE user_id = ? "
                "AND item_id = ? AND evidence_hash = ? AND backend = ? AND model = ? AND prompt_version = ?",
                self.key(facts)).fetchall()
        if not rows:
            return None
        text, source, llm_text, reason, checks = rows[0]
        c = json.loads(checks)
        check = CheckResult(bool(c["passed"]), tuple(c["cited_items"]), tuple(c["cited_labels"]),
                            tuple(c["foreign_titles"]), tuple(c["problems"]), dict(c.get("counterfactual") or {}))
        return Explanation(facts.user_id, facts.item_id, text, source, self.backend_name, self.model_name, check,
                           facts.digest(), llm_text, reason, time.perf_counter() - t0, cached=True)

    def explain(
        self,
        facts: ExplanationFacts,
        titles: TitleIndex,
        counterfactual: Counterfactual | None = None,
        on_token: OnToken | None = None,
        use_cache: bool = True,
        time_left: float | None = None,
    ) -> Explanation:
        """The checked explanation of one recommendation; never raises for backend trouble.

        Args:
            facts: The recommendation's facts (:func:`facts.facts_for`).
            titles: The catalogue's titles, for the "names nothing else" rule.
            counterfactual: Given the cited history item ids, the score before and after
                removing them (filled into the check); None to skip.
            on_token: Called with text pieces as the LLM writes them (streaming).
            use_cache: Read and write the DuckDB cache.
            time_left: Seconds left of the list's time budget: the LLM gets at most that, and
                none when it is (nearly) spent; a text cut short by the budget is not cached.
        """
        if use_cache:
            hit = self.cached(facts)
            if hit is not None:
                return hit
        t0 = time.perf_counter()
        llm_text: str | None = None
        reason: str | None = None
        transient = False
        timeout = self.config.timeout_seconds if time_left is None else min(self.config.timeout_seconds, time_left)
        if self.backend is not None:
            now = time.monotonic()
            if timeout < MIN_LLM_SECONDS:
                reason, transient = "the list's time budget for explanations was used up", True
            elif now < self._skip_until:
                reason, transient = f"skipped: {self._skip_reason} {COOL_DOWN_SECONDS:.0f} s ago or less", True
            else:
                try:
                    llm_text = tidy(self.backend.write(facts, timeout, on_token))
                except LLMError as exc:
                    reason = exc.reason
                    transient = exc.reason.startswith(_TRANSIENT)
                    cut_short = timeout < self.config.timeout_seconds  # by the list's budget, not the backend
                    if exc.reason == "unreachable" or (not cut_short and (
                            exc.reason == "overloaded" or (exc.reason == "timeout" and self.backend.name != "local"))):
                        with self._lock:
                            self._skip_until, self._skip_reason = time.monotonic() + COOL_DOWN_SECONDS, exc.reason
                    _log.warning("explanation by %s failed (%s); using the template", self.backend_name, exc)
                except JobCancelled:
                    raise  # the list is no longer shown: nothing to write, check or store
                except Exception as exc:  # noqa: BLE001 - a backend bug must not reach the page
                    reason, transient = f"backend error: {type(exc).__name__}", True
                    _log.exception("explanation backend raised")
        text, source = llm_text, "llm"
        check = check_explanation(llm_text, facts, titles) if llm_text is not None else None
        if check is not None and not check.passed:
            reason = "failed check: " + "; ".join(check.problems)
        if check is None or not check.passed:
            text, source = template_explanation(facts), "template"
            check = check_explanation(text, facts, titles)
        assert text is not None
        if counterfactual is not None and check.cited_items:
            try:
                check = replace(check, counterfactual=counterfactual(check.cited_items))
            except Exception:  # noqa: BLE001 - a measurement, not worth failing the page
                _log.exception("counterfactual check failed")
        result = Explanation(facts.user_id, facts.item_id, text, source, self.backend_name, self.model_name, check,
                             facts.digest(), llm_text if source == "template" else None, reason,
                             time.perf_counter() - t0)
        if use_cache and not transient:
            self._store(result)
        return result

    def _store(self, e: Explanation) -> None:
        with self.store.transaction() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO explanations (user_id, item_id, evidence_hash, backend, model, prompt_version, "
                "text, source, llm_text, fallback_reason, checks, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [e.user_id, e.item_id, e.evidence_hash, e.backend, e.model, PROMPT_VERSION, e.text, e.source,
                 e.llm_text, e.fallback_reason, json.dumps(e.check.to_json()), e.seconds])
