"""Names for the interest hierarchy's nodes, written by the LLM from descriptors and members.

The prompt gives the node's descriptors (what its members share: categories, decade, words;
see :mod:`recsys_core.interests.labels`) and example members. A name is kept only if it looks
like one (1-5 words, letters, no quotes or colons) and passes :func:`name_problem`: no word said
twice ("Kitchen and kitchen"), no product code, and nearer (in the sentence encoder's space)
to its own members than to any other node's of its level. Otherwise the descriptor label
stays. Names live in ``interest_names`` beside an analyst's renames, which win.

The LLM's replies are kept in ``llm_replies`` by backend, model and prompt: naming is greedy
by default (temperature 0), so the same prompt gets the same reply, and a rebuild whose interests did not
change (the same data with other model settings, or the same build again) reads them instead
of asking again (about a minute on ml-latest-small with the packaged model). A backend set
to sample (temperature above 0) is asked every time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.data.store import Store
from recsys_core.explain.backends import LLMError, TextBackend
from recsys_core.explain.check import normalise
from recsys_core.explain.facts import clean_text
from recsys_core.explain.prompts import NAME_EXAMPLE_NAMES, PROMPT_VERSION, naming_prompt

_log = logging.getLogger(__name__)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9&'+\- ,]{1,38}[A-Za-z0-9)]$")


def valid_name(raw: str) -> str | None:
    """The cleaned name, or None when the text does not look like a short name."""
    name = raw.strip().splitlines()[0] if raw.strip() else ""
    name = name.strip(" .;'\"*-")
    if not name or not _NAME.match(name) or not 1 <= len(name.split()) <= 5:
        return None
    if any(w in name.lower() for w in ("keyword", "name", "example")):
        return None
    return name[0].upper() + name[1:]


_CODE = re.compile(r"\d")
_YEAR = re.compile(r"^(1[89]|20)\d\d'?s?$")


def _word_stems(name: str) -> list[str]:
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in normalise(name).split()
            if w not in {"and", "or", "of", "the", "a", "an", "for", "with", "in", "on", "to", "by"}]


def name_problem(
    name: str, own: int, centroids: npt.NDArray[np.float32] | None = None,
    embed: Callable[[list[str]], npt.NDArray[np.float32]] | None = None,
) -> str | None:
    """Why a proposed name cannot label node ``own``, or None when it can.

    ``centroids``: ``(n_nodes, d)`` the level's mean member title vectors; with ``embed`` (the
    same encoder) the name must be more similar to row ``own`` than to every other row.
    """
    stems = _word_stems(name)
    if len(stems) != len(set(stems)):
        return "repeats a word"
    if any(_CODE.search(tok) and not _YEAR.match(tok) for tok in name.split()):
        return "looks like a product code"
    if embed is not None and centroids is not None and len(centroids) > 1:
        vec = np.asarray(embed([name]), dtype=np.float32)[0]
        cents = centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
        sims = cents @ (vec / max(float(np.linalg.norm(vec)), 1e-12))
        if int(np.argmax(sims)) != own:
            return "nearer another interest's members"
    return None


def _within_one(name: str, others: list[str]) -> bool:
    """True when every word of ``name`` is a word of one of ``others``."""
    words = set(normalise(name).split())
    return any(words <= set(normalise(o).split()) for o in others)


def _reply_key(backend: TextBackend, keywords: list[str], examples: list[str]) -> tuple[str, str, str] | None:
    """(backend, model, request digest): what a kept reply is found by, or None when the backend
    samples (temperature above 0: its replies differ by design, so each run asks). The digest
    covers the prompt version (:data:`~recsys_core.explain.prompts.PROMPT_VERSION`, bumped
    whenever a prompt changes), the endpoint's URL and the prompt with its inputs."""
    if float(getattr(getattr(backend, "config", None), "temperature", 0.0)) > 0:
        return None
    request = json.dumps([PROMPT_VERSION, getattr(backend, "url", ""), naming_prompt(keywords, examples),
                          keywords, examples])
    return type(backend).__name__, str(backend.model), hashlib.sha256(request.encode("utf-8")).hexdigest()


def _ask(store: Store, backend: TextBackend, keywords: list[str], examples: list[str], timeout: float) -> tuple[str, bool]:
    """The backend's reply to a naming prompt and whether it was kept from an earlier run; a
    reply is kept once it came (a failed call is asked again next time)."""
    key = _reply_key(backend, keywords, examples)
    if key is None:
        return backend.name_group(keywords, examples, timeout), False
    with store.cursor() as cur:
        kept = cur.execute("SELECT reply FROM llm_replies WHERE backend = ? AND model = ? AND prompt_key = ?",
                           list(key)).fetchall()
    if kept:
        return str(kept[0][0]), True
    reply = backend.name_group(keywords, examples, timeout)
    with store.transaction() as cur:
        cur.execute("INSERT OR REPLACE INTO llm_replies (backend, model, prompt_key, reply) VALUES (?, ?, ?, ?)",
                    [*key, reply])
    return reply, False


def name_interests(
    store: Store,
    build_id: int,
    nodes: pd.DataFrame,
    titles: dict[str, str],
    backend: TextBackend,
    timeout: float,
    on_progress: Callable[[float, str], None] | None = None,
    centroids: dict[str, npt.NDArray[np.float32]] | None = None,
    embed: Callable[[list[str]], npt.NDArray[np.float32]] | None = None,
) -> tuple[int, int]:
    """Ask the LLM for a name of every node of a build; returns (named, kept keyword label).

    ``nodes`` has level, node_id, parent_id, label, keywords, representatives (item ids);
    ``titles`` maps item ids to titles. Fine interests are named from their keywords and
    member titles, then each theme from its keywords and its fine interests' names. A name
    that is a catalogue title, a prompt example's name, or repeats another name of the same
    level is refused, and so is a theme name whose words all come from one of its own fine
    interests' names ("Cat food" for a theme whose child is "Wet cat food": the small model
    tends to pick one child instead of summing them up), and so is a name with a
    :func:`name_problem` (``centroids`` per level and ``embed`` enable its encoder check). A refused node loses an
    earlier run's LLM name (an analyst's name stays). Names are written as they come, so an
    interrupted run keeps its progress. A prompt asked before (same backend and model) is
    answered from ``llm_replies``.
    """
    named = kept = reused = 0
    total = max(len(nodes), 1)
    title_keys = {normalise(t) for t in titles.values()} | {normalise(n) for n in NAME_EXAMPLE_NAMES}
    fine = nodes[nodes["level"] == "fine"]
    themes = nodes[nodes["level"] == "theme"]
    fine_names: dict[int, str] = {}
    used: dict[str, set[str]] = {"fine": set(), "theme": set()}
    refusals: dict[str, int] = {}
    for k, row in enumerate(list(fine.itertuples(index=False)) + list(themes.itertuples(index=False))):
        keywords = [clean_text(w, 3) for w in list(row.keywords)[:6]]
        refused = title_keys | used[row.level]
        if row.level == "fine":
            examples = [clean_text(titles.get(str(i), ""), 10) for i in list(row.representatives)[:3]]
        else:
            children = [fine_names.get(int(c.node_id), str(c.label))
                        for c in fine[fine["parent_id"] == row.node_id].itertuples(index=False)]
            examples = children[:5]
            refused = refused | {normalise(c) for c in children}
        try:
            reply, was_kept = _ask(store, backend, keywords, [e for e in examples if e], timeout)
            reused += was_kept
            name = valid_name(reply)
        except LLMError:
            name = None
        if name is not None and normalise(name) in refused:
            name = None
        if name is not None and row.level == "theme" and _within_one(name, children):
            name = None
        problem = None if name is None else name_problem(
            name, int(row.node_id), (centroids or {}).get(row.level), embed)
        if problem is not None:
            refusals[problem] = refusals.get(problem, 0) + 1
            name = None
        with store.transaction() as cur:  # this run's outcome replaces an earlier run's name
            cur.execute("DELETE FROM interest_names WHERE build_id = ? AND level = ? AND node_id = ? AND source = 'llm'",
                        [build_id, row.level, int(row.node_id)])
            if name is not None:
                cur.execute("INSERT INTO interest_names (build_id, level, node_id, source, name, model) "
                            "VALUES (?, ?, ?, 'llm', ?, ?)", [build_id, row.level, int(row.node_id), name, backend.model])
        if name is None:
            kept += 1
        else:
            named += 1
            used[row.level].add(normalise(name))
            if row.level == "fine":
                fine_names[int(row.node_id)] = name
        if on_progress is not None:
            on_progress((k + 1) / total, f"{row.level} {row.node_id}: {name or '(label kept)'}")
    _log.info("named %d interests, kept %d labels (%d replies reused from earlier runs); refused: %s",
              named, kept, reused, refusals or "none")
    return named, kept
