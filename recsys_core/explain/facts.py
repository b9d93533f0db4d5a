"""The facts an explanation may use, taken from what the engine computed, and nothing else.

Item titles and texts come from imported files, so they are untrusted: :func:`clean_text`
flattens them to one quoted-safe line before they reach a prompt. The facts are rounded so
that a slider move which keeps an item's evidence gives the same facts, the same digest and
therefore a cache hit.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from recsys_core.data.frames import ItemAbout
from recsys_core.interests.sequences import rating_scale_top
from recsys_core.recommend import Recommendation, RecommendationList

HIGH_SHARE_OF_SCALE = 0.8  # a rating at least this share of the scale's top (4 of 5 stars) is a high one

_SPACE = re.compile(r"\s+")


def clean_text(text: str | None, max_words: int | None = None) -> str:
    """One line of printable text: control characters and line breaks become spaces, double
    quotes and backticks become single quotes, braces and angle brackets are dropped."""
    if not text:
        return ""
    out = []
    for ch in str(text):
        cat = unicodedata.category(ch)
        if ch in '"“”«»`':
            out.append("'")
        elif ch in "{}<>":
            out.append(" ")
        elif cat.startswith("C") or cat in ("Zl", "Zp"):
            out.append(" ")
        else:
            out.append(ch)
    flat = _SPACE.sub(" ", "".join(out)).strip()
    if max_words is not None:
        words = flat.split(" ")
        if len(words) > max_words:
            flat = " ".join(words[:max_words]) + " ..."
    return flat


@dataclass(frozen=True, slots=True)
class EvidenceFact:
    """A history item behind the recommendation and its share (in %, rounded to 10) of the push."""

    item_id: str
    title: str
    percent: int
    how: str = ""  # what the user did with it: "rated high", "rated", "bought", "clicked", "viewed", ...


@dataclass(frozen=True, slots=True)
class ExplanationFacts:
    """Everything a sentence about one recommendation may rest on.

    ``driver`` is which branch carries the score ("recent", "long-term" or "both");
    ``weighting`` says whether the long/short weight is the learned one or the analyst's
    ("learned", "more long-term" or "more recent" than learned).
    """

    user_id: str
    item_id: str
    title: str
    description: str
    fine_label: str
    theme_label: str
    evidence: tuple[EvidenceFact, ...]
    driver: str
    weighting: str
    learned_alpha: float
    interest: str | None = None
    cold_start: str | None = None
    category: str = ""

    def digest(self) -> str:
        """SHA-1 of the facts: the cache key's evidence part."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()

    @property
    def evidence_titles(self) -> list[str]:
        return [e.title for e in self.evidence]


def _driver(rec: Recommendation) -> str:
    long_p, short_p = max(rec.long_part, 0.0), max(rec.short_part, 0.0)
    total = long_p + short_p
    if total <= 0:
        return "both"
    share = long_p / total
    return "long-term" if share > 0.6 else "recent" if share < 0.4 else "both"


def _weighting(recs: RecommendationList) -> str:
    diff = recs.alpha - recs.learned_alpha
    if abs(diff) < 0.05:
        return "learned"
    return "more long-term" if diff > 0 else "more recent"


def engagement(events: pd.DataFrame, scale_top: float | None = None) -> dict[str, str]:
    """What a user did with each item of their history, strongest first: "bought", "rated high"
    (at least :data:`HIGH_SHARE_OF_SCALE` of the rating scale's top; ``scale_top``: the
    catalogue's, see :func:`sequences.low_ratings`), "rated", else the event type.
    Vectorised: the lab reads it for every list it explains."""
    if events.empty:
        return {}
    kind = events["event_type"].astype(str)
    value = pd.to_numeric(events["value"], errors="coerce")
    rated = (kind == "rating") & value.notna()
    top = rating_scale_top(value[rated].to_numpy(dtype=np.float64)) if scale_top is None else scale_top
    how = np.where(kind == "purchase", "bought",
                   np.where(rated, np.where(value >= HIGH_SHARE_OF_SCALE * top, "rated high", "rated"), kind))
    rank = np.select([how == "bought", how == "rated high", how == "rated"], [4, 3, 2], 1)
    frame = pd.DataFrame({"item": events["item_id"].astype(str).to_numpy(), "how": how, "rank": rank})
    best = frame.sort_values("rank", ascending=False, kind="stable").drop_duplicates("item")
    return dict(zip(best["item"], best["how"], strict=True))


def facts_for(
    recs: RecommendationList,
    rec: Recommendation,
    about: ItemAbout | None,
    interest: str | None = None,
    n_evidence: int = 2,
    description_words: int = 30,
    past: Mapping[str, str] | None = None,
) -> ExplanationFacts:
    """The facts of one recommendation in a list; ``about`` is the item's own text and category,
    ``past`` what the user did with each history item (:func:`engagement`)."""
    past = past or {}
    evidence = tuple(
        EvidenceFact(e.item_id, clean_text(e.title, 16), int(round(e.weight * 10)) * 10, past.get(e.item_id, ""))
        for e in rec.evidence[:n_evidence] if e.weight > 0
    )
    return ExplanationFacts(
        user_id=recs.user_id,
        item_id=rec.item_id,
        title=clean_text(rec.title, 16),
        description=clean_text(about.text if about else "", description_words),
        fine_label=clean_text(rec.fine_label, 8),
        theme_label=clean_text(rec.theme_label, 8),
        evidence=evidence,
        driver=_driver(rec),
        weighting=_weighting(recs),
        learned_alpha=round(recs.learned_alpha, 1),
        interest=clean_text(interest, 20) or None,
        cold_start=recs.cold_start,
        category=clean_text((about.category if about else "").replace("|", ", "), 12),
    )
