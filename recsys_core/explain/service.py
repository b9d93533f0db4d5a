"""Explanations and interest names for the served model, wired to the engine.

Holds what the explanation side keeps per process (the explainer with its LLM backend, the
index of catalogue titles the check reads) and turns a recommendation into checked text:
facts from the engine's evidence, the LLM (or the template), the faithfulness check with the
counterfactual score drop. One instance per engine configuration; the engine drops it when
the explanation settings change.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from recsys_core.data.frames import ItemAbout, load_user_events, user_fingerprint
from recsys_core.embeddings.cache import embed_cached
from recsys_core.errors import UnknownItemError
from recsys_core.explain.backends import OnToken, make_backend
from recsys_core.explain.check import TitleIndex
from recsys_core.explain.explainer import Explainer, Explanation
from recsys_core.explain.facts import engagement, facts_for
from recsys_core.explain.jobs import ExplanationJobs
from recsys_core.explain.naming import name_interests
from recsys_core.interests.hierarchy import member_centroids
from recsys_core.moments import NEXT_VISIT, AsOf, from_days
from recsys_core.recommend import Recommendation, RecommendationList, score_drop

if TYPE_CHECKING:
    from recsys_core.engine import RecsysEngine

Progress = Callable[[str, float], None]


class Explanations:
    """Checked explanations and LLM interest names for one engine."""

    def __init__(self, engine: RecsysEngine) -> None:
        self._engine = engine
        self._lock = threading.RLock()
        self._titles: tuple[int, TitleIndex] | None = None
        self.explainer = Explainer(engine.store, engine.config.explain, make_backend(engine.config.explain))
        self.jobs = ExplanationJobs(self, engine.config.explain.list_budget_seconds,
                                   engine.config.explain.settle_seconds)

    def about(self, item_ids: list[str]) -> dict[str, ItemAbout]:
        """The items' own texts and categories (what a sentence may say of them)."""
        return self._engine.item_about(item_ids)

    def past(self, user_id: str, include_simulated: bool = False) -> dict[str, str]:
        """What the user did with each item of their history (what a sentence may say of it)."""
        return engagement(load_user_events(self._engine.store, user_id, include_simulated),
                          self._engine.serving().rating_scale_top)

    def warm_up(self) -> None:
        """Load the LLM now, so the first explanation does not wait for it."""
        if callable(warm := getattr(self.explainer.backend, "warm", None)):
            warm()

    def title_index(self) -> TitleIndex:
        """Every catalogue title, for the faithfulness check (built once per served model)."""
        serving = self._engine.serving()
        with self._lock:
            if self._titles is None or self._titles[0] != id(serving):
                self._titles = (id(serving), TitleIndex(str(t) for t in serving.titles))
            return self._titles[1]

    def explain(
        self, recs: RecommendationList, interest: str | None = None, include_simulated: bool = False,
        on_token: Callable[[str, str], None] | None = None, use_cache: bool = True,
    ) -> list[Explanation]:
        """A checked explanation for every item of a list, in order (see :meth:`explain_item`)."""
        about = self.about([r.item_id for r in recs.items])
        past = self.past(recs.user_id, include_simulated)
        return [self.explain_item(recs, rec, interest, include_simulated,
                                  None if on_token is None else functools.partial(on_token, rec.item_id),
                                  use_cache, about.get(rec.item_id), past=past) for rec in recs.items]

    def explain_item(
        self, recs: RecommendationList, rec: Recommendation, interest: str | None = None,
        include_simulated: bool = False, on_token: OnToken | None = None, use_cache: bool = True,
        about: ItemAbout | None = None, time_left: float | None = None, past: dict[str, str] | None = None,
    ) -> Explanation:
        """One recommendation's explanation: cached, or written by the LLM under the timeout,
        checked against the evidence, replaced by the template when it fails; the score drop
        without the cited history items is measured and stored with it. ``time_left``: what
        remains of the list's time budget (the LLM gets at most that). ``about`` and ``past``
        (:meth:`about`, :meth:`past`) are read when not given. Never raises for backend trouble."""
        cfg = self._engine.config.explain
        if about is None:
            about = self.about([rec.item_id]).get(rec.item_id)
        if past is None:
            past = self.past(recs.user_id, include_simulated)
        reading = recs.interest_reading
        if interest and reading is not None and not reading.plain:
            # the item was picked for what is liked; "hates coffee" is not a request to cite
            interest = ", ".join(reading.liked) or None
        facts = facts_for(recs, rec, about, interest, cfg.n_evidence, cfg.description_words, past)
        return self.explainer.explain(
            facts, self.title_index(),
            lambda cited: self.counterfactual(recs.user_id, rec.item_id, cited, recs.alpha, include_simulated,
                                              recs.as_of),
            on_token, use_cache, time_left)

    def counterfactual(
        self, user_id: str, item_id: str, removed: tuple[str, ...], alpha: float, include_simulated: bool = False,
        as_of: AsOf = NEXT_VISIT,
    ) -> dict[str, float]:
        """The item's model score at ``alpha`` with the user's whole history and with ``removed``
        items taken out of it and the user re-encoded: how much the cited evidence carries it."""
        engine = self._engine
        serving = engine.serving()
        row = serving.item_index.get(item_id)
        if row is None:
            raise UnknownItemError(f"no item with id {item_id!r} in the served model")
        fingerprint = user_fingerprint(engine.store, user_id, include_simulated)
        events = load_user_events(engine.store, user_id, include_simulated)
        kept = events[~events["item_id"].astype(str).isin(set(removed))]
        before = engine.user_state(user_id, include_simulated, serving, as_of)
        # the same moment, re-encoded: a next visit estimated from the full history stays put
        moment = from_days(before.at_days) if as_of == NEXT_VISIT and before.at_days is not None else as_of
        after = serving.user_state(kept, moment, fingerprint[2]) if len(kept) else None  # type: ignore[arg-type]
        return score_drop(before, after, serving.item_vecs[row], alpha, serving.links, row)

    def name_interests(self, on_progress: Progress | None = None) -> tuple[int, int]:
        """Let the LLM name every fine interest and theme of the newest build (keyword labels
        stay where it gives no usable name); returns (named, kept). No-op without an LLM."""
        engine = self._engine
        backend = self.explainer.backend
        serving = engine.serving()
        if backend is None:
            return 0, len(serving.nodes)
        titles = {str(i): str(t) for i, t in zip(serving.item_ids, serving.titles, strict=True)}
        n_build = len(serving.space_vecs)  # the build's items: what the nodes were made of
        embed = lambda texts: embed_cached(engine.store, engine.embedder, texts)[0]  # noqa: E731
        # a name must sit nearer its own members' titles than any other node's, as labels do
        title_vecs = embed([str(t) for t in serving.titles[:n_build]])
        centroids = {level: member_centroids(title_vecs, of_item[:n_build])
                     for level, of_item in (("fine", serving.fine_of_item), ("theme", serving.theme_of_item))}
        done = name_interests(
            engine.store, serving.build.build_id, serving.nodes, titles, backend, engine.config.explain.timeout_seconds,
            (lambda f, detail: on_progress(f"naming interests: {detail}", f)) if on_progress else None,
            centroids, embed)
        self.warm_up()  # the naming prompts evicted the explanation prompt; read it again
        engine.serving()  # picks the new names up
        return done
