"""An analyst's interest description read into liked and disliked concepts, and the rule that
filters and boosts the catalogue with them.

Embedding a whole description loses negation: "hates coffee" lands next to coffee. The rule
reader below finds the cues ("not", "no", "hates", "anything but", "except", "without",
"instead of", ...) and splits the text into short concepts that are embedded one by one. It is
deterministic and needs no model, so every reading can be tested and shown as it was made.

A description without a negative cue stays one liked concept, the text as typed: that is what
was embedded before this reader existed, so plain descriptions (and saved presets) rank exactly
as they did, and a sentence encoder already reads a list of positives ("espresso and coffee")
well as one text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from recsys_core.errors import InvalidArgumentError

# --------------------------------------------------------------------------- lexicon
# Multi-word cues are matched before single words (longest first), so "anything but" is one
# negative cue and not the filler "anything" followed by the contrast "but".
_NEGATIVE = (
    "anything but", "anything except", "anything other than", "everything but", "everything except",
    "anything besides", "other than", "instead of", "rather than", "except for", "but not", "and not", "or not",
    "no more", "not any", "not a fan of", "can't stand", "cannot stand", "can not stand", "stay away from",
    "steer clear of", "keep away from", "sick of", "tired of", "fed up with", "bored of", "bored with",
    "allergic to", "none of", "don't care for", "don't care about", "do not care for", "do not care about",
    "do not", "does not", "did not", "will not", "would not",
    "not", "no", "never", "none", "nothing", "neither", "nor", "without", "except", "excluding", "exclude",
    "hate", "hates", "hated", "hating", "dislike", "dislikes", "disliked", "avoid", "avoids", "avoiding",
    "skip", "ban", "minus", "-",
)
# Negative cues that are verbs: words before them in the same clause are who speaks ("my wife
# hates coffee"), not a liked concept, unless a positive cue opened the clause.
_VERBS = frozenset((
    "can't stand", "cannot stand", "can not stand", "stay away from", "steer clear of", "keep away from",
    "sick of", "tired of", "fed up with", "bored of", "bored with", "allergic to", "don't care for",
    "don't care about", "do not care for", "do not care about", "do not", "does not",
    "did not", "will not", "would not", "never", "hate", "hates", "hated", "dislike", "dislikes", "disliked",
    "avoid", "avoids",
))
# Cues that make a clause liked when they open it ("..., loves X"); inside a clause they are filler.
_POSITIVE = (
    "nothing but", "looking for", "interested in", "fan of", "keen on", "fond of", "in the mood for",
    "love", "loves", "loved", "loving", "like", "likes", "enjoy", "enjoys", "want", "wants", "prefer",
    "prefers", "adore", "adores", "into", "need", "needs", "only", "just", "mostly", "mainly", "especially",
    "something", "anything", "everything", "more", "lots", "plenty", "yes", "+",
)
# Separators between clauses. A clause after "," "and" "or" "/" keeps the polarity of the one
# before ("no coffee or tea": both disliked); ";" "." and a contrast ("but", "however") start
# afresh as liked ("not coffee but tea": tea liked). "nor" continues a negation.
_KEEP = ("as well as", ",", "and", "or", "&", "/", "plus", "also")
_JOINERS = frozenset(("and", "or", "&", "/", "plus"))
_RESET = (";", ".", "!", "?", "but", "however", "yet", "though", "although", "whereas", "while", "instead")
# Words stripped from either end of a concept: who is speaking, verbs of wanting, vague nouns.
_FILLER = frozenset("""
    i i'm im i'd id i've me my we we're our they he she it it's they're user users customer customers
    is are am was were be being been do does did have has had get gets would will could should can really
    very so much totally absolutely definitely quite
    love loves loved loving like likes liked enjoy enjoys enjoyed want wants wanted prefer prefers need needs
    adore adores into fan fans interested looking keen fond recommend see buy
    a an the some any anything something everything nothing stuff thing things product products item items
    kind kinds sort sorts type types of about for in on to at all with please pls thanks thank you
    only just mostly mainly especially more lots lot plenty too either whatsoever anymore again ever
    okay ok
""".split())
_TRAILING = frozenset(("fine", "good", "great", "welcome", "ideal", "best"))  # "coffee is fine"; not "fine art"
_PHRASES = sorted({*(("neg", c) for c in _NEGATIVE), *(("pos", c) for c in _POSITIVE),
                   *(("keep", c) for c in _KEEP), *(("reset", c) for c in _RESET)},
                  key=lambda kc: -len(kc[1].split()))
# words (with inner apostrophes and hyphens), or one punctuation mark that separates or cues
_TOKEN = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*|[,;.!?/&+]|(?<!\S)-(?=\s|\w)")


@dataclass(frozen=True, slots=True)
class DescriptionReading:
    """How a description was read.

    Attributes:
        liked, disliked: Concepts in the words of the description (disjoint; a concept named
            both ways counts as disliked).
        source: How it was read: "rules" (cues found, see :func:`read_description`) or "whole
            text" (no dislike: the text as typed is the one liked concept).
        text: The description as typed.
        nearest: ``(concept, labels)`` of the fine interests nearest each concept, for display
            (filled in by the served model, see :meth:`with_nearest`).
    """

    liked: tuple[str, ...]
    disliked: tuple[str, ...]
    source: str = "rules"
    text: str = ""
    nearest: tuple[tuple[str, tuple[str, ...]], ...] = field(default=(), compare=False)

    @property
    def plain(self) -> bool:
        """No dislikes and the whole text as the one liked concept: ranks as before the reader."""
        return not self.disliked and self.liked == (self.text.strip(),)

    @property
    def concepts(self) -> tuple[str, ...]:
        """Liked then disliked concepts, in the order they are embedded."""
        return self.liked + self.disliked

    def with_nearest(self, labels: Mapping[str, Sequence[str]]) -> DescriptionReading:
        """The same reading with the names of each concept's nearest interests."""
        return replace(self, nearest=tuple((c, tuple(labels.get(c, ()))) for c in self.concepts))

    def summary(self) -> str:
        """E.g. "+ suspense films (≈ Thriller · Crime); - romance (≈ Romance)"."""
        near = dict(self.nearest)

        def show(concept: str) -> str:
            labels = near.get(concept)
            return f"{concept} (≈ {' · '.join(labels)})" if labels else concept

        parts = []
        if self.liked:
            parts.append("+ " + ", ".join(show(c) for c in self.liked))
        if self.disliked:
            parts.append("- " + ", ".join(show(c) for c in self.disliked))
        return "; ".join(parts)

    def to_json(self) -> dict[str, object]:
        return {"liked": list(self.liked), "disliked": list(self.disliked), "read_as": self.summary(),
                "reader": self.source,
                "nearest_interests": {c: list(labels) for c, labels in self.nearest}}


def whole_text(text: str) -> DescriptionReading:
    """The description as one liked concept (how every description was read before the rules)."""
    return DescriptionReading(liked=(text.strip(),), disliked=(), source="whole text", text=text)


# --------------------------------------------------------------------------- the rule reader
def _tokens(text: str) -> list[str]:
    return [t.replace("’", "'") for t in _TOKEN.findall(text)]


def _cue_at(low: list[str], i: int) -> tuple[str, int]:
    """The kind of cue starting at token ``i`` and its length in tokens; ("word", 1) if none."""
    for kind, phrase in _PHRASES:
        words = phrase.split()
        if low[i:i + len(words)] == words:
            return kind, len(words)
    if low[i].endswith("n't"):
        return "neg", 1  # don't, doesn't, can't, isn't, won't ... ("don't want X")
    if low[i] in ("dont", "doesnt", "didnt", "cant", "wont", "isnt", "arent"):
        return "neg", 1
    return "word", 1


def _strip_filler(words: list[str]) -> str:
    lo, hi = 0, len(words)
    while lo < hi and words[lo].lower() in _FILLER:
        lo += 1
    while hi > lo and (words[hi - 1].lower() in _FILLER or words[hi - 1].lower() in _TRAILING):
        hi -= 1
    return " ".join(words[lo:hi])


def read_description(text: str) -> DescriptionReading:
    """Liked and disliked concepts of a description, by rules (see the module docstring).

    Clauses are cut at commas, ";", contrasts ("but") and negative cues. A clause is disliked
    when a negative cue opens it or it continues a disliked list ("no coffee, tea or soda"), and
    liked when it opens with a positive cue ("loves", "anything") or follows a contrast or ";".
    "and"/"or" split disliked lists (each thing gets its own veto) but not liked ones ("aquariums
    and fish" stays one concept instead of also asking for fishing gear). Filler at either end of
    a concept ("loves", "anything", "stuff", "please") is dropped. Without any disliked concept
    the reading is the whole text, as before (see :func:`whole_text`).
    """
    tokens = _tokens(text)
    low = [t.lower() for t in tokens]
    liked: list[str] = []
    disliked: list[str] = []
    words: list[str] = []
    negative = False  # polarity of the clause being read
    any_negative = False  # a negative cue anywhere: the text is not a plain description
    cued = False  # a negative cue opened this clause: "don't like X" is not "like X"
    asked = False  # a positive cue opened this clause: "loves X and hates Y" keeps X

    def flush() -> None:
        while words and words[-1].lower() in _JOINERS:
            words.pop()
        concept = _strip_filler(words)
        if concept:
            (disliked if negative else liked).append(concept)
        words.clear()

    i = 0
    while i < len(tokens):
        kind, size = _cue_at(low, i)
        phrase = " ".join(low[i:i + size])
        joined = bool(words) and words[-1].lower() in _JOINERS  # "tea and loves coffee"
        if kind == "reset":
            flush()
            negative = cued = asked = False
        elif kind == "keep" and not (phrase in _JOINERS and words and not negative):
            flush()
            cued = asked = False
        elif kind == "neg":
            if words and not joined and not asked and not negative and (phrase in _VERBS or phrase.endswith("n't")):
                words.clear()  # the subject of "my wife hates coffee"
            flush()
            negative = cued = any_negative = True
        elif kind == "pos" and (joined or not words) and not cued:
            flush()
            negative, asked = False, True
        else:
            words.extend(tokens[i:i + size])
        i += size
    flush()
    disliked = _unique(disliked)
    gone = {c.lower() for c in disliked}
    liked = [c for c in _unique(liked) if c.lower() not in gone]
    if not disliked and not liked and any_negative:
        raise InvalidArgumentError(
            f"the interest description {text.strip()[:60]!r} says what to leave out but not what: name it, "
            "e.g. \"hates coffee\" or \"tea but not green tea\"")
    if not disliked:
        return whole_text(text)
    return DescriptionReading(liked=tuple(liked), disliked=tuple(disliked), source="rules", text=text)


def _unique(concepts: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for c in concepts:
        if c.lower() not in seen:
            seen.add(c.lower())
            out.append(c)
    return out


# --------------------------------------------------------------------------- scoring
@dataclass(frozen=True, slots=True)
class InterestMatch:
    """A reading with each concept's cosine to every served item's text.

    Attributes:
        reading: The concepts (without interest names; those follow renames, see
            :meth:`labelled`).
        liked, disliked: ``(n_liked, n_items)`` and ``(n_disliked, n_items)`` cosines.
        nearest: Per concept (liked then disliked), the ids of its nearest fine interests.
        kinship: ``(n_disliked,)`` each disliked concept's highest cosine to a liked concept
            (empty without liked concepts): "green tea" is close kin of "tea".
    """

    reading: DescriptionReading
    liked: npt.NDArray[np.float32]
    disliked: npt.NDArray[np.float32]
    nearest: tuple[tuple[int, ...], ...] = ()
    kinship: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))

    @classmethod
    def whole(cls, sims: npt.NDArray[np.float32], text: str = "") -> InterestMatch:
        """One liked concept with these cosines (the description embedded whole)."""
        return cls(whole_text(text), np.asarray(sims, np.float32)[None, :], np.zeros((0, len(sims)), np.float32))

    def filter(
        self, threshold: float, dislike_threshold: float, refines_at: float | None = None,
    ) -> tuple[npt.NDArray[np.float32] | None, npt.NDArray[np.bool_]]:
        """``(similarity, keep)`` for every item.

        The similarity is the highest cosine to a liked concept (None without liked concepts:
        then nothing is boosted and no liked threshold applies). An item is dropped when

        - there are liked concepts and its similarity is below ``threshold``, or
        - its cosine to a disliked concept is at or above ``dislike_threshold``, or
        - a disliked concept is closer to it than its nearest liked concept.

        Except: a disliked concept whose kinship with a liked one is at least ``refines_at``
        carves a kind out of it ("tea but not green tea") and drops only the items closer to it
        than to every liked concept; by the cosine alone it would drop every tea. With one liked
        concept and no dislikes this is the former rule exactly.
        """
        n = self.liked.shape[1] if len(self.liked) else self.disliked.shape[1]
        keep = np.ones(n, dtype=bool)
        sim = self.liked.max(axis=0) if len(self.liked) else None
        if sim is not None:
            keep &= sim >= threshold
        if len(self.disliked):
            vetoes = self.disliked >= dislike_threshold
            if sim is not None and refines_at is not None and len(self.kinship) == len(self.disliked):
                vetoes &= (self.kinship < refines_at)[:, None]
            keep &= ~vetoes.any(axis=0)
            if sim is not None:
                keep &= self.disliked.max(axis=0) <= sim
        return sim, keep

    def labelled(self, fine_labels: Mapping[int, str]) -> DescriptionReading:
        """The reading with each concept's nearest interests named (current names)."""
        names = {c: [fine_labels.get(f, f"fine {f}") for f in ids]
                 for c, ids in zip(self.reading.concepts, self.nearest, strict=False)}
        return self.reading.with_nearest(names)
