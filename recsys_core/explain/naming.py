"""Names for the interest hierarchy's nodes, written by the LLM from keywords and members.

A name is kept only if it looks like one (1-5 words, letters, no quotes or colons); otherwise
the keyword label stays. Names live in ``interest_names`` beside an analyst's renames, which win.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from recsys_core.data.store import Store
from recsys_core.explain.backends import LLMError, TextBackend
from recsys_core.explain.check import normalise
from recsys_core.explain.facts import clean_text
from recsys_core.explain.prompts import NAME_EXAMPLE_NAMES

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


def _within_one(name: str, others: list[str]) -> bool:
    """True when every word of ``name`` is a word of one of ``others``."""
    words = set(normalise(name).split())
    return any(words <= set(normalise(o).split()) for o in others)


def name_interests(
    store: Store,
    build_id: int,
    nodes: pd.DataFrame,
    titles: dict[str, str],
    backend: TextBackend,
    timeout: float,
    on_progress: Callable[[float, str], None] | None = None,
) -> tuple[int, int]:
    """Ask the LLM for a name of every node of a build; returns (named, kept keyword label).

    ``nodes`` has level, node_id, parent_id, label, keywords, representatives (item ids);
    ``titles`` maps item ids to titles. Fine interests are named from their keywords and
    member titles, then each theme from its keywords and its fine interests' names. A name
    that is a catalogue title, a prompt example's name, or repeats another name of the same
    level is refused, and so is a theme name whose words all come from one of its own fine
    interests' names ("Cat food" for a theme whose child is "Wet cat food": the small model
    tends to pick one child instead of summing them up). A refused node loses an
    earlier run's LLM name (an analyst's name stays). Names are written as they come, so an
    interrupted run keeps its progress.
    """
    named = kept = 0
    total = max(len(nodes), 1)
    title_keys = {normalise(t) for t in titles.values()} | {normalise(n) for n in NAME_EXAMPLE_NAMES}
    fine = nodes[nodes["level"] == "fine"]
    themes = nodes[nodes["level"] == "theme"]
    fine_names: dict[int, str] = {}
    used: dict[str, set[str]] = {"fine": set(), "theme": set()}
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
            name = valid_name(backend.name_group(keywords, [e for e in examples if e], timeout))
        except LLMError:
            name = None
        if name is not None and normalise(name) in refused:
            name = None
        if name is not None and row.level == "theme" and _within_one(name, children):
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
            on_progress((k + 1) / total, f"{row.level} {row.node_id}: {name or '(keywords kept)'}")
    return named, kept
