"""Interest descriptions with likes and dislikes: the rule reader, the filter rule, and the engine
dropping a disliked concept's items while a plain description ranks exactly as before."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np
import pytest

from recsys_core.interests.descriptions import DescriptionReading, InterestMatch, read_description, whole_text
from recsys_core.recommend import Recommendation, RecommendationList
from recsys_core.serving import assemble_lists, score_lists

Engine = Any

READINGS = [
    # the brief's examples
    ("hates coffee, anything but coffee", (), ("coffee",)),
    ("Loves suspense films, hates romance", ("suspense films",), ("romance",)),
    ("tea but not green tea", ("tea",), ("green tea",)),
    # the bench's templates
    ("anything hiking, no crime novels please", ("hiking",), ("crime novels",)),
    ("into yoga; avoid video games", ("yoga",), ("video games",)),
    ("cycling, never matcha", ("cycling",), ("matcha",)),
    ("I like retro gaming but I don't want pet health", ("retro gaming",), ("pet health",)),
    # other cues
    ("not coffee but tea", ("tea",), ("coffee",)),
    ("no coffee or tea", (), ("coffee", "tea")),
    ("neither coffee nor tea", (), ("coffee", "tea")),
    ("I don't like romance", (), ("romance",)),
    ("sci-fi without romance", ("sci-fi",), ("romance",)),
    ("tea instead of coffee", ("tea",), ("coffee",)),
    ("drinks except coffee", ("drinks",), ("coffee",)),
    ("anything other than coffee", (), ("coffee",)),
    ("no more coffee please", (), ("coffee",)),
    ("Loves suspense films and hates romance", ("suspense films",), ("romance",)),
    ("I can't stand romance but love thrillers", ("thrillers",), ("romance",)),
    ("dislikes coffee stuff", (), ("coffee",)),
    ("not into romance, likes thrillers", ("thrillers",), ("romance",)),
    ("My wife hates coffee", (), ("coffee",)),
    ("loves tea and coffee, hates matcha", ("tea and coffee",), ("matcha",)),
    ("Hiking boots but no trail-running shoes", ("Hiking boots",), ("trail-running shoes",)),
    ("coffee, but no decaf products", ("coffee",), ("decaf",)),
    ("hiking, not camping", ("hiking",), ("camping",)),
    ("+ suspense films; - romance", ("suspense films",), ("romance",)),  # the summary's own format
    ("coffee, no coffee", (), ("coffee",)),  # named both ways: the dislike wins
]


@pytest.mark.parametrize(("text", "liked", "disliked"), READINGS)
def test_the_rules_read_likes_and_dislikes(text: str, liked: tuple[str, ...], disliked: tuple[str, ...]) -> None:
    reading = read_description(text)
    assert (reading.liked, reading.disliked) == (liked, disliked)
    assert reading.source == "rules" and reading.text == text and not reading.plain
    assert not {c.lower() for c in reading.liked} & {c.lower() for c in reading.disliked}
    assert all(w.lower() in text.lower() for c in reading.concepts for w in c.split())  # words of the text only


@pytest.mark.parametrize("text", [
    "espresso and coffee",  # a list of positives stays one concept, as it was embedded before
    "espresso at home",
    "Loves suspense films",
    "coffee espresso grinder",
    "Into saving bees; slowly getting into spotting rare birds.",
    "nothing but coffee",
])
def test_a_description_without_a_dislike_is_the_whole_text(text: str) -> None:
    reading = read_description(text)
    assert reading == whole_text(text) and reading.plain
    assert reading.liked == (text,) and reading.disliked == ()


def test_the_summary_says_plus_and_minus_with_the_nearest_interests() -> None:
    reading = read_description("Loves suspense films, hates romance")
    assert reading.summary() == "+ suspense films; - romance"
    named = reading.with_nearest({"suspense films": ["Thriller", "Crime"], "romance": ["Romance", "Drama"]})
    assert named.summary() == "+ suspense films (≈ Thriller · Crime); - romance (≈ Romance · Drama)"
    assert read_description("no coffee or tea").summary() == "- coffee, tea"
    assert named.to_json()["disliked"] == ["romance"] and named.to_json()["read_as"] == named.summary()
    with pytest.raises(dataclasses.FrozenInstanceError):
        reading.liked = ()  # type: ignore[misc]


def _match(liked: list[list[float]], disliked: list[list[float]], kinship: list[float] | None = None) -> InterestMatch:
    n = len((liked or disliked)[0])
    return InterestMatch(DescriptionReading(("x",) * len(liked), ("y",) * len(disliked)),
                         np.array(liked, np.float32).reshape(len(liked), n),
                         np.array(disliked, np.float32).reshape(len(disliked), n),
                         kinship=np.array(kinship or [0.0] * len(disliked), np.float32))


def test_the_filter_rule() -> None:
    # items:          0     1     2     3     4
    liked = [[0.60, 0.40, 0.30, 0.10, 0.50]]
    disliked = [[0.10, 0.30, 0.35, 0.05, 0.20]]
    sim, keep = _match(liked, disliked).filter(threshold=0.25, dislike_threshold=0.25)
    assert sim is not None and np.allclose(sim, liked[0])
    # 1: too close to the dislike; 2: closer to the dislike than to the like; 3: below the threshold
    assert keep.tolist() == [True, False, False, False, True]
    # the best of several liked concepts counts
    sim, keep = _match([[0.1, 0.1], [0.5, 0.2]], [[0.0, 0.0]]).filter(0.25, 0.25)
    assert sim is not None and sim.tolist() == pytest.approx([0.5, 0.2]) and keep.tolist() == [True, False]
    # dislikes only: no boost, no liked threshold, only the veto
    sim, keep = _match([], [[0.1, 0.3, 0.24]]).filter(0.25, 0.25)
    assert sim is None and keep.tolist() == [True, False, True]
    # a kin of the liked concept ("green tea" of "tea") vetoes only what it is closer to
    tea, green = [[0.55, 0.60, 0.20]], [[0.45, 0.70, 0.10]]
    assert _match(tea, green, [0.81]).filter(0.25, 0.25)[1].tolist() == [False, False, False]
    assert _match(tea, green, [0.81]).filter(0.25, 0.25, refines_at=0.5)[1].tolist() == [True, False, False]
    assert _match(tea, green, [0.30]).filter(0.25, 0.25, refines_at=0.5)[1].tolist() == [False, False, False]
    # a plain description: the former rule exactly
    sims = np.array([0.1, 0.25, 0.3], np.float32)
    sim, keep = InterestMatch.whole(sims, "coffee").filter(0.25, 0.25, refines_at=0.5)
    assert sim is not None and sim.tolist() == sims.tolist() and keep.tolist() == (sims >= 0.25).tolist()


# ---------------------------------------------------------------------- the engine
def _users(engine: Engine, n: int = 40) -> list[str]:
    with engine.store.cursor() as cur:
        rows = cur.execute("SELECT user_id FROM interactions GROUP BY ALL HAVING count(*) >= 5 "
                           "ORDER BY user_id LIMIT ?", [n]).fetchall()
    return [r[0] for r in rows]


def test_a_plain_description_ranks_exactly_as_the_whole_text_did(built_engine: Engine) -> None:
    serving = built_engine.serving()
    cfg = built_engine.config.recommend
    text = "coffee espresso grinder"
    sims = serving.text_similarities(built_engine.store, built_engine.embedder, text)
    for user in _users(built_engine, 4):
        result = built_engine.recommend(user, n=10, interest=text, interest_threshold=0.2)
        before = assemble_lists(score_lists(serving, [built_engine.user_state(user)], [user], 10, [None], sims, 0.2,
                                            cfg.interest_boost, cfg.diversity, cfg.mmr_pool), cfg.n_evidence)[0]
        assert [(r.item_id, r.score, r.interest_part) for r in result.items] == [
            (r.item_id, r.score, r.interest_part) for r in before.items]
        assert result.items and result.interest_reading is not None and result.interest_reading.plain
        for r in result.items:  # still filtered and boosted
            assert r.interest_similarity is not None and r.interest_similarity >= 0.2
            assert r.interest_part == pytest.approx(cfg.interest_boost * r.interest_similarity)
            assert r.score == pytest.approx(r.long_part + r.short_part + r.interest_part, abs=1e-5)


def test_a_disliked_concept_s_items_leave_the_list(built_engine: Engine) -> None:
    serving = built_engine.serving()
    threshold = built_engine.config.recommend.interest_threshold
    coffee = serving.text_similarities(built_engine.store, built_engine.embedder, "coffee")
    # a user whose plain list holds coffee items (the tiny shop is seeded: there is one)
    plains = {u: built_engine.recommend(u, n=10) for u in _users(built_engine)}
    user, plain = next((u, r) for u, r in plains.items()
                       if any(coffee[serving.item_index[x.item_id]] >= threshold for x in r.items))
    assert plain.interest_reading is None
    for text in ("hates coffee, anything but coffee", "no coffee please"):
        result = built_engine.recommend(user, n=10, interest=text)
        assert len(result.items) == 10 and result.note is None
        assert all(coffee[serving.item_index[r.item_id]] < threshold for r in result.items)
        assert all(r.interest_part == 0.0 and r.interest_similarity is None for r in result.items)
        reading = result.interest_reading
        assert reading is not None and reading.liked == () and reading.disliked == ("coffee",)
        assert reading.summary().startswith("- coffee (≈ ") and reading.nearest[0][1]
        # what is left ranks as before: the plain list without its coffee items, in order
        kept = [r.item_id for r in plain.items if coffee[serving.item_index[r.item_id]] < threshold]
        assert [r.item_id for r in result.items][:len(kept)] == kept


def test_likes_are_boosted_and_dislikes_dropped_together(built_engine: Engine) -> None:
    serving = built_engine.serving()
    cfg = built_engine.config.recommend
    cos = {t: serving.text_similarities(built_engine.store, built_engine.embedder, t) for t in ("yoga", "coffee")}
    for user in _users(built_engine, 3):
        result = built_engine.recommend(user, n=10, interest="loves yoga, hates coffee")
        reading = result.interest_reading
        assert reading is not None and (reading.liked, reading.disliked) == (("yoga",), ("coffee",))
        assert "+ yoga (≈ " in reading.summary() and "; - coffee (≈ " in reading.summary()
        assert result.items
        for r in result.items:
            i = serving.item_index[r.item_id]
            assert r.interest_similarity == pytest.approx(float(cos["yoga"][i]))
            assert r.interest_similarity >= cfg.interest_threshold
            assert cos["coffee"][i] < cfg.interest_threshold and cos["coffee"][i] <= cos["yoga"][i]
            assert r.interest_part == pytest.approx(cfg.interest_boost * r.interest_similarity)


def test_explanations_cite_what_is_liked_not_the_dislike(built_engine: Engine) -> None:
    user = _users(built_engine, 1)[0]
    text = "loves yoga, hates coffee"
    recs = built_engine.recommend(user, n=2, interest=text)
    e = built_engine.explanations.explain_item(recs, recs.items[0], text, use_cache=False)
    assert "hates" not in e.text and "coffee" not in e.text.lower()


def test_the_cli_rows_carry_the_reading() -> None:
    reading = read_description("Loves suspense films, hates romance").with_nearest({"romance": ["Romance"]})
    rec = Recommendation(rank=1, item_id="P1", title="T", score=1.0, long_part=0.5, short_part=0.2,
                         interest_part=0.3, interest_similarity=0.3, fine_id=0, fine_label="f", theme_id=0,
                         theme_label="t")
    rows = RecommendationList("U1", 0.5, 0.5, (rec,), interest_reading=reading).rows()
    assert rows[0]["interest_reading"] == {
        "liked": ["suspense films"], "disliked": ["romance"], "read_as": "+ suspense films; - romance (≈ Romance)",
        "reader": "rules", "nearest_interests": {"suspense films": [], "romance": ["Romance"]}}
    assert RecommendationList("U1", 0.5, 0.5, (rec,)).rows()[0]["interest_reading"] is None


def test_the_lab_says_how_it_read_the_description() -> None:
    from app_ui.lab_parts import show_reading

    class Slot:
        def __init__(self) -> None:
            self.captions: list[str] = []

        def caption(self, text: str) -> None:
            self.captions.append(text)

    slot = Slot()
    reading = read_description("Loves suspense films, hates romance")
    show_reading(slot, RecommendationList("U1", 0.5, 0.5, (), interest_reading=reading))  # type: ignore[arg-type]
    show_reading(slot, RecommendationList("U1", 0.5, 0.5, ()))  # type: ignore[arg-type]
    assert len(slot.captions) == 1  # shown Markdown-escaped: the reading is text from the analyst
    assert re.sub(r"\\(.)", r"\1", slot.captions[0]) == "Read as: + suspense films; - romance"


def test_a_description_that_only_says_no_is_a_clear_error() -> None:
    from recsys_core.errors import InvalidArgumentError

    for text in ("no", "hates", "no, no, no", "anything but"):
        with pytest.raises(InvalidArgumentError, match="says what to leave out but not what"):
            read_description(text)
    assert read_description("espresso").liked == ("espresso",)
