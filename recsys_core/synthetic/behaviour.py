"""Generate users and their interaction histories with planted long- and short-term interests.

Each user has a long-term mixture of one to four fine interests (often neighbours in one
theme), browses in sessions, and now and then has a short-term burst on another interest;
some bursts stick and become new long-term interests (drift). Activity and item popularity
are skewed as in a real shop. Everything planted is returned beside the data so the engine
can be tested against it. Deterministic given the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.synthetic import vocabulary as vocab
from recsys_core.synthetic.catalogue import FineInterest, load_taxonomy

EVENT_TYPES = ("view", "click", "purchase", "rating")
_EVENT_P = (0.56, 0.24, 0.12, 0.08)


@dataclass(frozen=True, slots=True)
class BehaviourSpec:
    """Knobs of the user simulation; defaults give the shipped sample."""

    n_users: int = 1200
    start: str = "2026-01-05"
    days: int = 200
    burst_share: float = 0.22  # share of sessions spent on a short-term interest
    adopt_share: float = 0.6  # share of users with enough sessions for whom a burst becomes a long-term interest
    adopt_min_sessions: int = 8  # users with fewer sessions never adopt (too little future to show it)
    adopt_settle_sessions: int = 3  # sessions after an adoption's burst with no other burst (the new taste settles)
    noise_share: float = 0.12  # share of in-session events on another long-term interest
    profile_share: float = 0.35
    review_share: float = 0.5  # share of ratings that come with a review text
    n_rising: int = 5  # interests whose pick weight grows over the period
    n_falling: int = 3  # interests whose pick weight shrinks
    trend_factor: float = 16.0  # a rising interest's pick weight on the last day over the first (x0.25 -> x4)


@dataclass(slots=True)
class _Pools:
    """Items of each fine interest with their popularity, ready for sampling."""

    items: dict[str, np.ndarray]
    probs: dict[str, np.ndarray]
    nouns: dict[str, np.ndarray]


def _build_pools(truth: pd.DataFrame) -> _Pools:
    items, probs, nouns = {}, {}, {}
    for key, grp in truth.groupby("fine_interest", sort=True):
        items[str(key)] = grp["item_id"].to_numpy()
        p = grp["popularity"].to_numpy(dtype=float)
        probs[str(key)] = p / p.sum()
        nouns[str(key)] = grp["product_type"].to_numpy()
    return _Pools(items, probs, nouns)


def _choose_long_term(
    rng: np.random.Generator, taxonomy: list[FineInterest], interest_p: np.ndarray
) -> list[str]:
    keys = [fi.key for fi in taxonomy]
    by_key = {fi.key: fi for fi in taxonomy}
    k = int(rng.choice([1, 2, 3, 4], p=[0.25, 0.35, 0.25, 0.15]))
    chosen = [keys[int(rng.choice(len(keys), p=interest_p))]]
    while len(chosen) < k:
        anchor = by_key[chosen[int(rng.integers(len(chosen)))]]
        r = rng.random()
        if r < 0.35:  # a neighbour in the same theme
            options = [fi.key for fi in taxonomy if fi.theme == anchor.theme and fi.key not in chosen]
        elif r < 0.6:  # a related interest, possibly in another theme
            options = [key for key in anchor.related if key not in chosen]
        else:
            options = []
        if options:
            chosen.append(options[int(rng.integers(len(options)))])
        else:
            pick = keys[int(rng.choice(len(keys), p=interest_p))]
            if pick not in chosen:
                chosen.append(pick)
    return chosen


def _pick_new_interest(
    rng: np.random.Generator,
    long_term: list[str],
    by_key: dict[str, FineInterest],
    keys: list[str],
    interest_p: np.ndarray,
) -> str:
    """An interest outside the long-term mixture: often a neighbour of one of them."""
    anchor = by_key[long_term[int(rng.integers(len(long_term)))]]
    related = [k for k in anchor.related if k not in long_term]
    if related and rng.random() < 0.4:
        return related[int(rng.integers(len(related)))]
    options = [i for i, k in enumerate(keys) if k not in long_term]
    p = interest_p[options]
    return keys[options[int(rng.choice(len(options), p=p / p.sum()))]]


def _review(rng: np.random.Generator, noun: str, fi: FineInterest, rating: int) -> str:
    bank = vocab.REVIEW_POSITIVE if rating >= 4 else vocab.REVIEW_NEGATIVE
    template = bank[int(rng.integers(len(bank)))]
    product = next((p for p in fi.products if p.noun == noun), fi.products[0])
    adj = product.adjectives[int(rng.integers(len(product.adjectives)))]
    use = fi.uses[int(rng.integers(len(fi.uses)))]
    return template.format(noun=noun, adj=adj, use=use)


def _profile(rng: np.random.Generator, interests: list[str], by_key: dict[str, FineInterest]) -> str:
    phrases = [by_key[k].profile_phrases[int(rng.integers(len(by_key[k].profile_phrases)))] for k in interests]
    a = phrases[0]
    b = phrases[1] if len(phrases) > 1 else phrases[0]
    template = vocab.PROFILE_TEMPLATES[int(rng.integers(len(vocab.PROFILE_TEMPLATES)))]
    if len(phrases) == 1:
        template = "Mostly here for {a}." if rng.random() < 0.5 else "Looking for gear for {a}."
    text = template.format(a=a, b=b, A=a[:1].upper() + a[1:])
    return text


def generate_behaviour(
    truth: pd.DataFrame, spec: BehaviourSpec = BehaviourSpec(), seed: int = 11
) -> dict[str, pd.DataFrame]:
    """Simulate users over ``spec.days`` days.

    Args:
        truth: The catalogue truth from :func:`generate_catalogue` (item_id, fine_interest,
            product_type, popularity).
        spec: Simulation knobs.
        seed: Seed; the output is a pure function of ``(truth, spec, seed)``.

    Returns:
        Frames ``interactions`` (user_id, item_id, timestamp ISO-8601 UTC, event_type,
        rating, review), ``users`` (user_id, profile_text), ``truth_users`` (user_id,
        long_term, adopted, adopted_at, n_events) and ``truth_sessions`` (user_id, session,
        start_at, fine_interest, kind in long_term/burst/adopted), ``truth_trends``
        (fine_interest, trend in rising/falling/steady, factor: its pick weight on the last
        day over the first, before normalisation).
    """
    rng = np.random.default_rng(seed)
    taxonomy = load_taxonomy()
    by_key = {fi.key: fi for fi in taxonomy}
    keys = [fi.key for fi in taxonomy]
    index = {k: i for i, k in enumerate(keys)}
    pools = _build_pools(truth)
    interest_p = rng.lognormal(0.0, 0.6, size=len(keys))
    interest_p /= interest_p.sum()
    order = rng.permutation(len(keys))
    direction = np.zeros(len(keys))
    direction[order[:spec.n_rising]] = 1.0
    direction[order[spec.n_rising:spec.n_rising + spec.n_falling]] = -1.0
    t0 = pd.Timestamp(spec.start, tz="UTC")
    horizon = spec.days * 86400.0

    def trend(seconds: float) -> np.ndarray:
        """Each interest's trend multiplier at a moment: trending interests move geometrically."""
        return np.exp(direction * np.log(spec.trend_factor) * (seconds / horizon - 0.5))

    def p_at(seconds: float) -> np.ndarray:
        """Interest pick weights at a moment (a new user's tastes, a burst, an adoption)."""
        p = interest_p * trend(seconds)
        return p / p.sum()

    def trend_at(chosen: list[str], seconds: float) -> np.ndarray:
        """The trend multipliers of a user's own long-term interests (how much each pulls now)."""
        return trend(seconds)[[index[k] for k in chosen]]

    events: list[tuple[str, str, float, str, float, str]] = []
    users, truth_users, truth_sessions = [], [], []
    for u in range(spec.n_users):
        user_id = f"U{u + 1:04d}"
        first = rng.uniform(0.0, 0.55) * horizon
        long_term = _choose_long_term(rng, taxonomy, p_at(first))
        weights = list(rng.dirichlet(np.full(len(long_term), 2.0)))
        # Activity skew: a few heavy users, many light ones.
        n_sessions = int(np.clip(round(rng.lognormal(1.45, 0.95)), 2, 150))
        last = horizon if rng.random() < 0.75 else rng.uniform(first + 0.15 * horizon, horizon)
        starts = np.sort(rng.uniform(first, last, size=n_sessions))
        # An adoption needs a future to stick in: it starts at least five sessions before the end.
        adopt_at_session = (
            int(rng.integers(n_sessions // 3, n_sessions - 4))
            if n_sessions >= spec.adopt_min_sessions and rng.random() < spec.adopt_share else -1
        )
        adopted = ""
        burst_key, burst_left, settle_left = "", 0, 0
        seen: set[str] = set()
        n_events = 0
        for s_idx, s_start in enumerate(starts):
            kind = "long_term"
            if s_idx == adopt_at_session:
                # A short-term interest that sticks: a burst now, long-term from here on.
                adopted = _pick_new_interest(rng, long_term, by_key, keys, p_at(float(s_start)))
                burst_key, burst_left = adopted, int(rng.integers(2, 4))
                settle_left = burst_left + spec.adopt_settle_sessions
                long_term = [*long_term, adopted]
                weights = [w * 0.5 for w in weights] + [0.5]
            if burst_left > 0:
                key, kind = burst_key, ("adopted" if burst_key == adopted else "burst")
                burst_left -= 1
            elif rng.random() < spec.burst_share and settle_left <= 0:
                burst_key = _pick_new_interest(rng, long_term, by_key, keys, p_at(float(s_start)))
                burst_left = int(rng.choice([0, 1, 2], p=[0.6, 0.3, 0.1]))
                key, kind = burst_key, "burst"
            else:
                w = np.asarray(weights) * trend_at(long_term, float(s_start))
                key = long_term[int(rng.choice(len(long_term), p=w / w.sum()))]
            settle_left -= 1
            truth_sessions.append(
                {
                    "user_id": user_id,
                    "session": s_idx + 1,
                    "start_at": (t0 + pd.Timedelta(seconds=float(s_start))).isoformat(),
                    "fine_interest": key,
                    "kind": kind,
                }
            )
            n_in_session = int(min(1 + rng.geometric(0.38), 14))
            t = float(s_start)
            for _ in range(n_in_session):
                ev_key = key
                if rng.random() < spec.noise_share:
                    w = np.asarray(weights) / np.sum(weights)
                    ev_key = long_term[int(rng.choice(len(long_term), p=w))]
                pool, probs = pools.items[ev_key], pools.probs[ev_key]
                for _attempt in range(6):  # prefer items the user has not met yet
                    j = int(rng.choice(len(pool), p=probs))
                    if pool[j] not in seen:
                        break
                item_id = str(pool[j])
                seen.add(item_id)
                event_type = str(rng.choice(EVENT_TYPES, p=_EVENT_P))
                rating, review = np.nan, ""
                if event_type == "rating":
                    in_taste = ev_key in long_term or ev_key == key
                    rating = float(rng.choice([1, 2, 3, 4, 5], p=[0.04, 0.06, 0.15, 0.35, 0.4] if in_taste else [0.15, 0.2, 0.3, 0.2, 0.15]))
                    if rng.random() < spec.review_share:
                        review = _review(rng, str(pools.nouns[ev_key][j]), by_key[ev_key], int(rating))
                events.append((user_id, item_id, t, event_type, rating, review))
                n_events += 1
                t += float(rng.exponential(150.0)) + 20.0
        profile = ""
        if rng.random() < spec.profile_share:
            order = np.argsort(weights)[::-1]
            profile = _profile(rng, [long_term[int(i)] for i in order[:2]], by_key)
        users.append({"user_id": user_id, "profile_text": profile})
        truth_users.append(
            {
                "user_id": user_id,
                "long_term": ";".join(f"{k}:{w / sum(weights):.3f}" for k, w in zip(long_term, weights, strict=True)),
                "adopted": adopted,
                "adopted_at": truth_sessions[-n_sessions + adopt_at_session]["start_at"] if adopted else "",
                "n_events": n_events,
            }
        )
    inter = pd.DataFrame(events, columns=["user_id", "item_id", "t", "event_type", "rating", "review"])
    inter["timestamp"] = (t0 + pd.to_timedelta(inter["t"].round(0), unit="s")).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    inter = inter.drop(columns="t").sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)
    inter = inter[["user_id", "item_id", "timestamp", "event_type", "rating", "review"]]
    return {
        "interactions": inter,
        "users": pd.DataFrame(users),
        "truth_users": pd.DataFrame(truth_users),
        "truth_sessions": pd.DataFrame(truth_sessions),
        "truth_trends": pd.DataFrame({
            "fine_interest": keys,
            "trend": np.where(direction > 0, "rising", np.where(direction < 0, "falling", "steady")),
            "factor": spec.trend_factor ** direction,
        }),
    }
