"""Scoring, ranking and evidence for one user: pure NumPy functions over a user's state.

A user's state holds the two branch vectors and, for every history item, its exact
contribution to each of them. A new ``alpha`` is then only a weighted sum and one
matrix-vector product over the catalogue: the encoder does not run again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from recsys_core.errors import InvalidArgumentError
from recsys_core.fusion import fuse, short_weight, weighted_parts
from recsys_core.interests.descriptions import DescriptionReading
from recsys_core.interests.links import Links, link_contrib, link_contrib_users, link_product
from recsys_core.moments import as_of_label, from_days


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


class Evidence(NamedTuple):
    """A history item that pushed a recommendation up, with its share of the positive push.
    (Immutable records as named tuples: ``--all-users`` makes millions of them, and a frozen
    dataclass costs three times as much to construct.)"""

    item_id: str
    title: str
    weight: float


class Recommendation(NamedTuple):
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

    def moment_text(self) -> str | None:
        """The moment the user was read at, as ISO-8601 UTC (minutes)."""
        at = self.extra.get("at_days")
        return None if at is None else from_days(at).isoformat(timespec="minutes")

    def reading_json(self) -> dict[str, object] | None:
        """How the interest description was read (liked and disliked concepts), None without one."""
        return None if self.interest_reading is None else self.interest_reading.to_json()

    def rows(self) -> list[dict[str, object]]:
        """One flat record per recommended item: what the command line prints and a cluster
        job sends back."""
        moment, reading = self.moment_text(), self.reading_json()
        return [{
            "user_id": self.user_id, "rank": rec.rank, "item_id": rec.item_id, "score": round(rec.score, 6),
            "title": rec.title, "long_part": round(rec.long_part, 6), "short_part": round(rec.short_part, 6),
            "interest_similarity": None if rec.interest_similarity is None else round(rec.interest_similarity, 4),
            "fine_interest": rec.fine_label, "theme": rec.theme_label,
            "alpha": round(self.alpha, 4), "learned_alpha": round(self.learned_alpha, 4),
            "as_of": as_of_label(self.as_of), "moment": moment, "cold_start": self.cold_start,
            "evidence": [{"item_id": e.item_id, "title": e.title, "weight": round(e.weight, 4)} for e in rec.evidence],
            "interest_reading": reading,
        } for rec in self.items]


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
    long_s, short_s = branch_scores_many([state], item_vecs, links)
    return long_s[0], short_s[0]


def branch_scores_many(
    states: list[UserState], item_vecs: npt.NDArray[np.float32], links: Links | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """:func:`branch_scores` of several users, ``(users, n_items)`` each, from one matrix
    product: a user's row is the same whichever batch it is scored in."""
    users = np.empty((2 * len(states), item_vecs.shape[1]), np.float32)
    users[0::2] = [s.u_long for s in states]
    users[1::2] = [s.u_short for s in states]
    both = users @ item_vecs.T
    long_s, short_s = both[0::2], both[1::2]
    linked = np.array([i for i, s in enumerate(states) if s.link_weights is not None and len(s.slots)], np.int64)
    if links is not None and len(linked):
        product = link_product(links, [states[i].slots for i in linked],
                               [states[i].link_weights for i in linked])  # type: ignore[misc]
        rows = linked[np.repeat(np.arange(product.shape[0]), np.diff(product.indptr))]
        short_s[rows, product.indices] += product.data  # each (user, item) once: a plain add, no dense copy
    return long_s, short_s


def fused_scores_many(
    states: list[UserState], alphas: list[float], item_vecs: npt.NDArray[np.float32], links: Links | None = None,
    out: npt.NDArray[np.float32] | None = None,
) -> npt.NDArray[np.float32]:
    """Every item's fused score for each user at their weight, ``(users, n_items)``: the fused
    branch vectors times the catalogue, plus the links' part weighted as the short-term
    branch's. The same numbers as :func:`fuse` of :func:`branch_scores_many` up to float
    rounding, from one matrix product of half the size and no per-row fusing: the all-users
    ranking spends most of its time here. A user's row is the same in any batch. ``out``: a
    C-ordered float32 buffer of at least ``len(states)`` rows to write into (its first rows are
    returned): at 100k items a fresh matrix per batch costs its page faults again every time."""
    weights = np.asarray(alphas, np.float32)
    users = fuse(np.array([s.u_long for s in states], np.float32), np.array([s.u_short for s in states], np.float32),
                 weights)
    scores: npt.NDArray[np.float32] = (users @ item_vecs.T if out is None
                                       else np.matmul(users, item_vecs.T, out=out[: len(states)]))
    linked = np.array([i for i, s in enumerate(states) if s.link_weights is not None and len(s.slots)], np.int64)
    if links is not None and len(linked):
        product = link_product(links, [states[i].slots for i in linked],
                               [states[i].link_weights for i in linked])  # type: ignore[misc]
        rows = linked[np.repeat(np.arange(product.shape[0]), np.diff(product.indptr))]
        # each (user, item) once: a plain add, on the flat view (a quarter of 2-D fancy indexing's time)
        assert scores.flags.c_contiguous  # so the flat view is the matrix itself, not a copy
        scores.reshape(-1)[rows * scores.shape[1] + product.indices] += short_weight(weights[rows]) * product.data
    return scores


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
    return slot_link_parts_many([state], links, [items])[0]


def slot_link_parts_many(states: list[UserState], links: Links | None,
                         items: list[npt.NDArray[np.int64]]) -> list[npt.NDArray[np.float32] | None]:
    """:func:`slot_link_parts` of several users' lists, read in one search."""
    out: list[npt.NDArray[np.float32] | None] = [None] * len(states)
    linked = [r for r, s in enumerate(states) if links is not None and s.link_weights is not None and len(s.slots)]
    if links is None or not linked:
        return out
    parts = link_contrib_users(links, [states[r].slots for r in linked],
                               [states[r].link_weights for r in linked],  # type: ignore[misc]
                               [items[r] for r in linked])
    for r, part in zip(linked, parts, strict=True):
        out[r] = part
    return out


def top_n(scores: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.int64]:
    """Indices of the ``n`` highest finite scores, best first (ties by index)."""
    return top_n_many(scores[None, :], n)[0]


def top_n_many(scores: npt.NDArray[np.floating], n: int) -> list[npt.NDArray[np.int64]]:
    """:func:`top_n` of each row of ``(users, n_items)`` scores. The n-th best score of every
    row comes from one ``torch.topk`` (a tenth of NumPy's partition at 100k items); the items
    at or above it are then ordered by score, ties by index, so equal scores never fall to
    chance at the cut."""
    import torch

    rows, width = scores.shape
    k = min(n, width)
    if k < 1 or rows == 0:
        return [np.zeros(0, np.int64) for _ in range(rows)]
    top = torch.topk(torch.from_numpy(np.ascontiguousarray(scores)), min(k + 1, width), dim=1, sorted=True)
    values, indices = top.values.numpy(), top.indices.numpy()
    out = []
    for r, row in enumerate(scores):
        cut = values[r, k - 1]
        if k < width and values[r, k] < cut and np.isfinite(cut):  # the top k are exactly the items at or above the cut
            picked = indices[r, :k]
        else:  # ties at the cut, or fewer than k finite scores: read the whole row
            picked = np.flatnonzero(row >= cut) if np.isfinite(cut) else np.flatnonzero(np.isfinite(row))
        out.append(picked[np.lexsort((picked, -row[picked]))][:n].astype(np.int64))
    return out


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
    if link_part is None and links is not None and state.link_weights is not None and item is not None \
            and len(state.slots):
        link_part = link_contrib(links, state.slots, state.link_weights, item)
    return evidence_many(state, item_vec[None, :], alpha, n, None if link_part is None else link_part[None, :])[0]


def evidence_many(
    state: UserState, item_vecs: npt.NDArray[np.float32], alpha: float, n: int,
    link_parts: npt.NDArray[np.float32] | None = None,
) -> list[list[tuple[int, float]]]:
    """:func:`evidence_for` of several items ``(m, d)`` at once (``link_parts``: their
    ``(m, L)`` slot link parts from :func:`slot_link_parts`, or None without links)."""
    return list_parts([state], [item_vecs], [alpha], n, [link_parts])[0][2]


Parts = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], list[list[tuple[int, float]]]]


def list_parts(
    states: list[UserState], item_vecs: list[npt.NDArray[np.float32]], alphas: list[float], n: int,
    link_parts: list[npt.NDArray[np.float32] | None],
) -> list[Parts]:
    """Several users' lists taken apart at once: for each user (their items' vectors
    ``(m, d)``, weight, and ``(m, L)`` slot link parts or None) each item's weighted long- and
    short-term parts (a list's split) and its evidence (:func:`evidence_many`).

    Users whose histories round up to the same width (:func:`padded_width`) and whose lists
    are as long go through one stacked product, each padded to that width (a padded slot
    pushes nothing). A user's matrices have the same shape alone as in any batch, and BLAS
    gives the same sums for the same shapes, so a split and its evidence are the same to the
    last bit either way; per-user NumPy calls cost the all-users pass a fifth of its time."""
    out: list[Parts | None] = [None] * len(states)
    groups: dict[tuple[int, int], list[int]] = {}
    for r, state in enumerate(states):
        groups.setdefault((padded_width(len(state.slots)), len(item_vecs[r])), []).append(r)
    for (width, m), rows in groups.items():
        parts = _stacked_parts([states[r] for r in rows], [item_vecs[r] for r in rows], [alphas[r] for r in rows],
                               n, [link_parts[r] for r in rows], width, m)
        for r, part in zip(rows, parts, strict=True):
            out[r] = part
    return out  # type: ignore[return-value]


def padded_width(n_slots: int) -> int:
    """The slot count a history is padded to for :func:`list_parts`: the next multiple of
    16, so the stacked products waste little on padding and have few distinct shapes."""
    return max(16, -(-n_slots // 16) * 16)


def _stacked_parts(
    states: list[UserState], item_vecs: list[npt.NDArray[np.float32]], alphas: list[float], n: int,
    link_parts: list[npt.NDArray[np.float32] | None], width: int, m: int,
) -> list[Parts]:
    """:func:`list_parts` of users of one padded width and list length."""
    n_users, d = len(states), item_vecs[0].shape[1]
    vecs = np.stack(item_vecs) if m else np.zeros((n_users, 0, d), np.float32)
    users = np.zeros((n_users, d, 2), np.float32)  # each user's two branch vectors as columns
    contrib = np.zeros((n_users, 2, width, d), np.float32)
    links = np.zeros((n_users, width, m), np.float32)
    liked = np.zeros((n_users, width), bool)
    slots = np.zeros((n_users, width), np.int64)
    for r, (state, part) in enumerate(zip(states, link_parts, strict=True)):
        k = len(state.slots)
        users[r, :, 0], users[r, :, 1] = state.u_long, state.u_short
        contrib[r, 0, :k], contrib[r, 1, :k] = state.contrib_long, state.contrib_short
        liked[r, :k], slots[r, :k] = state.liked_slots(), state.slots
        if part is not None and k:
            links[r, :k] = part.T
    a = np.asarray(alphas, np.float32)[:, None]  # one weight per user
    both = np.matmul(vecs, users)  # (users, m, 2): each item's long and short score
    # sums over the slots run along axis 1, one slot after another: a padded slot adds an exact 0
    long_w, short_w = weighted_parts(both[:, :, 0], both[:, :, 1] + links.sum(axis=1), a)
    slot_scores = np.matmul(contrib, vecs.transpose(0, 2, 1)[:, None])  # (users, 2, width, m)
    positive = np.clip(fuse(slot_scores[:, 0], slot_scores[:, 1] + links, a[:, :, None]), 0, None)
    totals = positive.sum(axis=1)  # (users, m)
    citable = np.where(liked[:, :, None], positive, 0.0)
    order = np.argsort(-citable, axis=1, kind="stable")[:, :n]  # (users, n, m): each item's most pushing slots
    shares = np.take_along_axis(positive, order, axis=1).astype(np.float64) / np.where(
        totals > 0, totals, 1)[:, None, :].astype(np.float64)
    cited = np.take_along_axis(citable, order, axis=1) > 0
    cited_slots = np.take_along_axis(slots[:, :, None], order, axis=1)
    # as Python numbers, read once: indexing arrays item by item costs more than the maths
    slots_l, shares_l = cited_slots.transpose(0, 2, 1).tolist(), shares.transpose(0, 2, 1).tolist()
    cited_l, totals_l = cited.transpose(0, 2, 1).tolist(), totals.tolist()
    return [(long_w[r], short_w[r],
             [[] if totals_l[r][j] <= 0 else
              [(s, w) for s, w, c in zip(slots_l[r][j], shares_l[r][j], cited_l[r][j], strict=True) if c]
              for j in range(m)])
            for r in range(n_users)]


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
