"""The deterministic explainer: a sentence assembled from the same facts, no model.

Used when no LLM is configured, when the LLM is slow or failing, and when its text fails the
faithfulness check. It is faithful by construction (it only quotes the evidence).
"""

from __future__ import annotations

from recsys_core.explain.facts import ExplanationFacts
from recsys_core.explain.prompts import sentence_start


def template_explanation(f: ExplanationFacts) -> str:
    """E.g. 'Because you recently chose "A" and "B", "C" fits your interest in x, y (theme z).'"""
    if f.cold_start == "popular":
        return f'"{f.title}" is among the most popular items; there is no history for this user yet.'
    start = sentence_start(f)
    tail = f'"{f.title}" fits your interest in {f.fine_label} (theme: {f.theme_label}).'
    if f.interest:
        tail = f'"{f.title}" matches the request "{f.interest}" and your interest in {f.fine_label}.'
    return f"{start} {tail}"
