"""One recommendation's explanation facts (a tent, cited by two outdoor items), shared by the
explanation tests and the LLM deadline bench."""

from __future__ import annotations

from recsys_core.explain.check import TitleIndex
from recsys_core.explain.facts import EvidenceFact, ExplanationFacts

TENT_FACTS = ExplanationFacts(
    user_id="u1", item_id="T9", title="Ridge Two-Person Tent", description="A light tent for two.",
    fine_label="tent, camping, hiking", theme_label="outdoor, camping, trail",
    evidence=(EvidenceFact("S1", "Down Sleeping Bag", 60), EvidenceFact("S2", "Camp Stove Kit", 30)),
    driver="recent", weighting="learned", learned_alpha=0.2)
TENT_TITLES = TitleIndex(["Ridge Two-Person Tent", "Down Sleeping Bag", "Camp Stove Kit"])
