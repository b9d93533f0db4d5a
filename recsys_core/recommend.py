"""Scoring, ranking and evidence for one user: pure NumPy functions over a user's state.

A user's state holds the two branch vectors and, for every history item, its exact
contribution to each of them. A new ``alpha`` is then only a weighted sum and one
matrix-vector product over the catalogue: the encoder does not run again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from recsys_core.errors import InvalidArgumentError
from recsys_core.fusion import fuse
from recsys_core.interests.descriptions import DescriptionReading
from recsys_core.interests.links import Links, link_contrib, link_contrib_many, link_scores


@dataclass(frozen=True, slots=True)
class UserState:
    """What the model knows about one user at one moment.

    Attributes:
        u_long, u_short: ``(d,)`` unit branch vectors.
        gate: Learned weight of the long-term vector, in [0, 1].
        history: ``(h,)`` item rows the user has had (all, for exclusion).
        slots: ``(L,)`` item rows read by the encoder (newest last); ``contrib_long`` and
            ``contrib_short`` ``(L, d)`` sum to ``u_long`` and ``u_short``.
        weights_long, weights_short: ``(L,)`` attention weight of each slot.
        hours_since_last, session_length: Gate inputs, for display.
        at_days: When the state was read (see :mod:`recsys_core.moments`).
        cold_start: None, "profile" (profile text only), or "popular" (nothing known).
        slot_liked: ``(L,)`` False where a slot is a low rating (see
            :func:`sequences.low_ratings`): read by the encoder, never cited or counted as liked.
            None = every slot is liked.
        link_weights: ``(L,)`` how much each slot's links to other items count (see
            :mod:`recsys_core.interests.links`); None = no links.
    """

    u_long: npt.NDArray[np.float32]
    u_short: npt.NDArray[np.float32]
    gate: float
    history: npt.NDArray[np.int64]
    slots: npt.NDArray[np.int64]
    contrib_long: npt.NDArray[np.float32]
    contrib_short: npt.NDArray[np.float32]
    weights_long: npt.NDArray[np.float32]
    weights_short: npt.NDArray[np.float32]
    hours_since_last: float | None = None
    session_length: int = 0
    cold_start: str | None = None
    at_days: float | None = None  # the moment the state was read at (days since the epoch, UTC)
    slot_liked: npt.NDArray[np.bool_] | None = None
    link_weights: npt.NDArray[np.float32] | None = None
    gate_inputs: npt.NDArray[np.float32] | None = None  # what the gate read (column 0: log1p hours idle)

    def liked_slots(self) -> npt.NDArray[np.bool_]:
        """``(L,)`` True where a slot may be called liked."""
        return np.ones(len(self.slots), dtype=bool) if self.slot_liked is None else self.slot_liked


@dataclass(frozen=True, slots=True)
class Evidence:
    """A history item that pushed a recommendation up, with its share of the positive push."""

    item_id: str
    title: str
    weight: float


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One ranked item with the parts of its score and its evidence.

    ``score = long_part + short_part + interest_part``; ``long_part = alpha * u_long . v``.
    """

    rank: int
    item_id: str
    title: str
    score: float
    long_part: float
    short_part: float
    interest_part: float
    interest_similarity: float | None
    fine_id: int
    fine_label: str
    theme_id: int
    theme_label: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class RecommendationList:
    """The answer to one recommendation call."""

    user_id: str
    alpha: float  # weight of the long-term vector actually used
    learned_alpha: float
    items: tuple[Recommendation, ...]
    cold_start: str | None = None
    note: str | None = None
    n_history: int = 0
    extra: dict[str, float] = field(default_factory=dict)
    as_of: str | dt.datetime = "next-visit"  # the moment the user was looked at (see moments.py)
    interest_reading: DescriptionReading | None = None  # how the interest description was read, if one was given


def check_request(n: int | None, alpha: float | None, diversity: float | None) -> None:
    """Refuse a list length below 1 and a weight or diversity outside [0, 1] (NaN included)."""
    if alpha is not None and not 0.0 <= alpha <= 1.0:
        raise InvalidArgumentError(f"alpha must be between 0 and 1, got {alpha}")
    if n is not None and n < 1:
        raise InvalidArgumentError(f"the list length n must be at least 1, got {n}")
    if diversity is not None and not 0.0 <= diversity <= 1.0:
        raise InvalidArgumentError(f"diversity must be between 0 and 1, got {diversity}")


def branch_scores(
    state: UserState, item_vecs: npt.NDArray[np.float32], links: Links | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Long- and short-term score of every item, each ``(n_items,)``: the similarity to each
    branch vector, and on the short-term side the links from the newest items."""
    both = item_vecs @ np.stack([state.u_long, state.u_short], axis=1)
    long_s, short_s = both[:, 0], both[:, 1]
    if links is not None and state.link_weights is not None:
        short_s = short_s + link_scores(links, state.slots, state.link_weights)
    return long_s, short_s


def slot_parts(
    state: UserState, item_vec: npt.NDArray[np.float32], links: Links | None = None, item: int | None = None,
    link_part: npt.NDArray[np.float32] | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Each history slot's part of one item's long- and short-term score, ``(L,)`` each: they
    sum to the item's :func:`branch_scores` (``item`` is its row, for the links; ``link_part``
    is the slots' link parts already read with :func:`link_contrib_many`)."""
    long_p, short_p = state.contrib_long @ item_vec, state.contrib_short @ item_vec
    if link_part is not None:
        short_p = short_p + link_part
    elif links is not None and state.link_weights is not None and item is not None and len(state.slots):
        short_p = short_p + link_contrib(links, state.slots, state.link_weights, item)
    return long_p, short_p


def slot_link_parts(state: UserState, links: Links | None, items: npt.NDArray[np.int64]) -> npt.NDArray[np.float32] | None:
    """``(len(items), L)`` the slots' link parts of several items at once (None without links)."""
    if links is None or state.link_weights is None or not len(state.slots):
        return None
    return link_contrib_many(links, state.slots, state.link_weights, items)


def top_n(scores: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.int64]:
    """Indices of the ``n`` highest finite scores, best first (ties by index)."""
    finite = np.flatnonzero(np.isfinite(scores))
    if len(finite) == 0:
        return np.zeros(0, np.int64)
    n = min(n, len(finite))
    part = finite[np.argpartition(-scores[finite], n - 1)[:n]] if n < len(finite) else finite
    return part[np.lexsort((part, -scores[part]))].astype(np.int64)


def rerank_mmr(
    candidates: npt.NDArray[np.int64],
    relevance: npt.NDArray[np.float64],
    item_vecs: npt.NDArray[np.float32],
    n: int,
    diversity: float,
) -> npt.NDArray[np.int64]:
    """Maximal marginal relevance: trade relevance (min-max scaled) against the highest
    cosine to items already chosen, ``(1 - diversity) * rel - diversity * max_sim``."""
    if diversity <= 0 or len(candidates) <= 1:
        return candidates[:n]
    rel = relevance[candidates]
    span = float(rel.max() - rel.min())
    rel = (rel - rel.min()) / span if span > 0 else np.zeros_like(rel)
    vecs = item_vecs[candidates]
    chosen: list[int] = []
    max_sim = np.full(len(candidates), -np.inf)
    available = np.ones(len(candidates), dtype=bool)
    for _ in range(min(n, len(candidates))):
        penalty = np.where(np.isfinite(max_sim), max_sim, 0.0)
        value = (1 - diversity) * rel - diversity * penalty
        value[~available] = -np.inf
        pick = int(np.argmax(value))
        chosen.append(pick)
        available[pick] = False
        max_sim = np.maximum(max_sim, vecs @ vecs[pick])
    return candidates[np.array(chosen, dtype=np.int64)]


def evidence_for(
    state: UserState, item_vec: npt.NDArray[np.float32], alpha: float, n: int, links: Links | None = None,
    item: int | None = None, link_part: npt.NDArray[np.float32] | None = None,
) -> list[tuple[int, float]]:
    """Liked history slots that pushed this item's score up most: ``(item row, share)``, shares
    of the whole positive push, largest first. Exact: contributions sum to the item's score. A
    low-rated slot still counts in the total (the encoder read it) but is never cited: it is
    not something the user liked."""
    if len(state.slots) == 0:
        return []
    contrib = fuse(*slot_parts(state, item_vec, links, item, link_part), alpha)
    positive = np.clip(contrib, 0, None)
    total = float(positive.sum())
    if total <= 0:
        return []
    citable = np.where(state.liked_slots(), positive, 0.0)
    order = np.argsort(-citable, kind="stable")[:n]
    return [(int(state.slots[i]), float(positive[i] / total)) for i in order if citable[i] > 0]


def score_drop(
    before: UserState, after: UserState | None, item_vec: npt.NDArray[np.float32], alpha: float,
    links: Links | None = None, item: int | None = None,
) -> dict[str, float]:
    """An item's model score at ``alpha`` for a user's state, and for the state re-encoded
    without some history items (``after``; None when nothing is left, scored 0): how much
    those items carry the recommendation."""

    def score(state: UserState) -> float:
        short = float(state.u_short @ item_vec)
        if links is not None and state.link_weights is not None and item is not None and len(state.slots):
            short += float(link_contrib(links, state.slots, state.link_weights, item).sum())
        return float(fuse(float(state.u_long @ item_vec), short, alpha))

    b = score(before)
    a = score(after) if after is not None else 0.0
    drop = b - a
    return {"score": round(b, 4), "without_cited": round(a, 4), "drop": round(drop, 4),
            "drop_share": round(drop / abs(b), 4) if abs(b) > 1e-9 else 0.0}
