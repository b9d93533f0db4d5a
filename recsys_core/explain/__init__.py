"""Explanations of recommendations: facts from the engine, an LLM (local or an endpoint)
or a template to word them, a faithfulness check, and a cache in DuckDB."""

from recsys_core.explain.backends import LLMError, LocalLlamaBackend, OpenAICompatibleBackend, TextBackend
from recsys_core.explain.check import CheckResult, TitleIndex, check_explanation
from recsys_core.explain.explainer import Explainer, Explanation
from recsys_core.explain.facts import ExplanationFacts, facts_for

__all__ = [
    "CheckResult", "Explainer", "Explanation", "ExplanationFacts", "LLMError", "LocalLlamaBackend",
    "OpenAICompatibleBackend", "TextBackend", "TitleIndex", "check_explanation", "facts_for",
]
