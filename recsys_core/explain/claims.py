"""What an explanation claims, checked against what is known of the item and of the user.

Two rules, run by :func:`recsys_core.explain.check.check_explanation` on every text:

- **Claims about the candidate.** Take the sentence's prose (titles, interest labels and the
  analyst's request masked out), drop the words any reason is made of ("because", "fits",
  "great", "film", ...): every word left is a claim about the item, and must occur in the
  item's own title, text, category or interest labels, up to a common ending ("comedies" for
  "Comedy", "animated" for "Animation"). "About Time (2013) is a comedy about a family on the
  farm" fails on "family" and "farm" when the item says neither.
- **Claims about the user's past.** "loved", "adored", "favourite", "rated highly" need a cited
  history item the user rated high on its scale; "bought", "purchased", "ordered" need one
  they bought. (Low-rated items are never cited at all: see ``recommend.evidence_for``.)

Limits, by construction: it reads words, not meaning. A synonym the item's text does not use
fails ("cooking" for a text that says "kitchen") — a false alarm that costs an LLM sentence, not
a false statement; supported words put together falsely pass ("a 2014 comedy" for a 2013 comedy
whose text mentions 2014); words shared by unrelated senses pass ("family" supported by
"familiar", the first five letters being compared); negation is not read ("not a comedy").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from recsys_core.explain.facts import ExplanationFacts

_WORD = re.compile(r"[a-z0-9]+")
_QUOTED = re.compile(r"\"[^\"]{1,160}\"|“[^”]{1,160}”")
# the words any reason is made of: function words, the verbs and adjectives of recommending,
# the user's side, and the kinds of thing a catalogue holds
_FRAME = frozenset("""
a an and the or nor but so of to in on for with without by from at as into onto about over under than then
you your yours youre ve ll d re s t it its it's this that these those there here they them their he she his her
we our us i me my is are was were be been being am do does did done has have had having will would can could
should may might must shall also too very just only even still really quite more most much many some any all
each every both either neither such same other another own one two again already yet now new next
because since if when while which who whom whose what where why how like likes liked liking love loves lovely
enjoy enjoys enjoyed enjoying chose choose chosen choosing picked pick picks viewed view views watched watch
clicked click recently lately long longer always often before past earlier history taste tastes tasted favourite
interest interests interested theme themes fit fits fitting fitted match matches matching matched close closely
similar similarly related relevant suit suits suited suitable pair pairs paired go goes well good great nice
fine perfect perfectly ideal natural naturally strong solid excellent wonderful fantastic amazing awesome
best better top worth worthwhile choice choices option options pick recommendation recommended recommend
suggest suggested suggestion next step follow follows following up continue continues continuing keep keeps
make makes making made give gives offer offers bring brings add adds adding fan fans lover lovers people
someone anyone everyone thing things item items product products piece pieces title titles film films movie
movies book books show shows series song songs album albums track tracks game games kind kinds sort type
types style styles way ways mood vibe feel feeling experience experiences collection list lists
sure likely probably certainly definitely surely want wants need needs try tries trying check explore
discover discovering appeal appeals appealing speak speaks tick ticks box line lines category categories
request requested looking look include includes including among popular popularity user users no not
caught catch catches eye eyes attention grabbed noticed spotted browsed browsing visited seen saw found
loved adored adore favourites favorite favorites rated rating ratings highly bought purchased purchase ordered raved
""".split())
_LOVED = re.compile(r"\b(loved|adored|adore|favou?rites?|rated (?:it |them |\w+ )?(?:highly|high|five|5)|"
                    r"highly rated|top rated|raved)\b", re.IGNORECASE)
_BOUGHT = re.compile(r"\b(bought|purchased|purchase|ordered)\b", re.IGNORECASE)
_PREFIX = 5  # letters compared for a word of this length or more


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _keys(word: str) -> set[str]:
    """The forms of a word compared: its first letters as is and with each plural ending off
    ("shoes" -> shoes, shoe, sho), so "shoe" meets "shoes" and "comedy" meets "comedies"."""
    forms = {word}
    for end, put in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(end) and len(word) - len(end) >= 3:
            forms.add(word[: -len(end)] + put)
    return {f[:_PREFIX] for f in forms}


def supported_words(facts: ExplanationFacts, extra: Iterable[str] = ()) -> set[str]:
    """Keys of every word the candidate's own title, text, category and labels hold."""
    text = " ".join([facts.title, facts.description, facts.fine_label, facts.theme_label, facts.category,
                     facts.interest or "", *extra])
    return set().union(*(_keys(w) for w in _words(text)))


def candidate_claims(text: str, facts: ExplanationFacts) -> list[str]:
    """Words of the prose that say something of the item its facts do not hold."""
    prose = _QUOTED.sub(" ", text)
    for name in sorted({facts.title, facts.fine_label, facts.theme_label, *facts.evidence_titles,
                        facts.interest or ""}, key=len, reverse=True):
        if name:
            prose = re.sub(re.escape(name), " ", prose, flags=re.IGNORECASE)
    known = supported_words(facts)
    claims = []
    for word in _words(prose):
        if word in _FRAME or len(word) < 3 and not word.isdigit():
            continue
        if not _keys(word) & known and word not in claims:
            claims.append(word)
    return claims


def past_claims(text: str, facts: ExplanationFacts) -> list[str]:
    """What the sentence says of the user's past that their cited history does not bear out."""
    problems = []
    prose = _QUOTED.sub(" ", text)
    how = {e.how for e in facts.evidence}
    if (m := _LOVED.search(prose)) and "rated high" not in how:
        problems.append(f'says "{m.group(0)}", but no cited item was rated high by this user')
    if (m := _BOUGHT.search(prose)) and "bought" not in how:
        problems.append(f'says "{m.group(0)}", but no cited item was bought by this user')
    return problems
