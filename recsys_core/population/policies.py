"""Fusion policies: "users of this segment get this fixed long-term weight (or the learned one)".

A policy is an ordered list of (segment, weight) rules; a user takes the first rule whose
segment holds them, and the learned weight when none does. Offline, a policy is judged on a
stored evaluation run: each test user's NDCG@10 at the weight the policy gives them (the run
stores every fixed weight on a 0.1 grid, so a weight is read at the nearest grid point) is
compared, user by user, with the learned gate and with the single best fixed weight, with
the run's paired bootstrap.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.errors import InvalidArgumentError

LEARNED = None  # the weight of a rule that keeps the learned gate


@dataclass(frozen=True, slots=True)
class FusionPolicy:
    """Ordered (segment name, weight in [0, 1] or None = learned) rules."""

    rules: tuple[tuple[str, float | None], ...]

    def __post_init__(self) -> None:
        if not self.rules:
            raise InvalidArgumentError("a policy needs at least one rule (segment -> weight)")
        seen = set()
        for segment, alpha in self.rules:
            if not str(segment).strip():
                raise InvalidArgumentError("a policy rule needs a segment name")
            if segment in seen:
                raise InvalidArgumentError(f"segment {segment!r} appears twice in the policy")
            seen.add(segment)
            if alpha is not None and not (isinstance(alpha, int | float) and math.isfinite(alpha) and 0 <= alpha <= 1):
                raise InvalidArgumentError(f"the weight for {segment!r} must be between 0 and 1 or learned, got {alpha!r}")

    def to_json(self) -> str:
        return json.dumps([{"segment": s, "alpha": a} for s, a in self.rules])

    @classmethod
    def from_json(cls, text: str | list[dict[str, object]]) -> FusionPolicy:
        try:
            data = json.loads(text) if isinstance(text, str) else text
        except ValueError as exc:
            raise InvalidArgumentError(f"the policy is not JSON: {exc}") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) and "segment" in r for r in data):
            raise InvalidArgumentError('a policy is a JSON list of {"segment": NAME, "alpha": WEIGHT or null}')
        rules = []
        for r in data:
            alpha = r.get("alpha")
            if alpha is not None and (isinstance(alpha, bool) or not isinstance(alpha, int | float)):
                raise InvalidArgumentError(f"the weight for {r['segment']!r} must be a number or null, got {alpha!r}")
            rules.append((str(r["segment"]), None if alpha is None else float(alpha)))
        return cls(tuple(rules))

    @classmethod
    def parse(cls, text: str) -> FusionPolicy:
        """``light=0.2,heavy=learned`` (the command line's form) or JSON."""
        text = text.strip()
        if text.startswith("["):
            return cls.from_json(text)
        rules = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.rpartition("=")
            if not sep or not name.strip():
                raise InvalidArgumentError(f"policy rule {part!r} is not SEGMENT=WEIGHT (a number or learned)")
            value = value.strip().lower()
            try:
                rules.append((name.strip(), None if value == "learned" else float(value)))
            except ValueError:
                raise InvalidArgumentError(f"policy rule {part!r}: the weight must be a number or learned") from None
        return cls(tuple(rules))

    def describe(self) -> str:
        return "; ".join(f"{s} -> {'learned' if a is None else f'{a:.2f}'}" for s, a in self.rules) + \
            "; everyone else -> learned"


def assign(policy: FusionPolicy, membership: dict[str, npt.NDArray[np.bool_]], n_users: int) -> tuple[
        npt.NDArray[np.float64], npt.NDArray[np.object_]]:
    """Each user's weight under the policy (NaN: the learned one) and the segment that gave it
    ("" for nobody's rule). ``membership`` maps each of the policy's segments to a 0/1 array."""
    alpha = np.full(n_users, np.nan)
    which = np.full(n_users, "", dtype=object)
    free = np.ones(n_users, dtype=bool)
    for segment, weight in policy.rules:
        take = free & membership[segment]
        alpha[take] = np.nan if weight is None else weight
        which[take] = segment
        free &= ~take
    return alpha, which


def policy_scores(wide: pd.DataFrame, alpha: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Each test user's NDCG@10 under the policy. ``wide``: users x models of one run (the
    ``alpha=0.0`` ... ``alpha=1.0`` sweep and ``learned_gate``); ``alpha`` NaN = learned."""
    grid = sorted((float(c.split("=")[1]), c) for c in wide.columns if c.startswith("alpha="))
    if not grid:
        raise InvalidArgumentError("this run has no fixed-weight sweep to read a policy from")
    points = np.array([g for g, _ in grid])
    out = wide["learned_gate"].to_numpy(np.float64).copy()
    fixed = np.isfinite(alpha)
    nearest = np.abs(alpha[fixed, None] - points[None, :]).argmin(1)
    values = wide[[c for _, c in grid]].to_numpy(np.float64)
    out[fixed] = values[np.flatnonzero(fixed), nearest]
    return out


def _options(wide: pd.DataFrame) -> list[tuple[float | None, str]]:
    grid = sorted((float(c.split("=")[1]), c) for c in wide.columns if c.startswith("alpha="))
    return [(None, "learned_gate"), *grid]


def best_weights(wide: pd.DataFrame, segments: list[str], membership: dict[str, npt.NDArray[np.bool_]],
                 rows: npt.NDArray[np.bool_]) -> FusionPolicy:
    """For each segment in order (first match wins), the weight (a grid point, or learned)
    with the best mean NDCG@10 over its users among ``rows``; learned when it has none there."""
    free = rows.copy()
    rules: list[tuple[str, float | None]] = []
    for segment in segments:
        take = free & membership[segment]
        free &= ~take
        if not take.any():
            rules.append((segment, None))
            continue
        means = [(float(wide[col].to_numpy()[take].mean()), alpha) for alpha, col in _options(wide)]
        top = max(means, key=lambda m: m[0])
        rules.append((segment, top[1]))
    return FusionPolicy(tuple(rules))


def cross_fitted_scores(wide: pd.DataFrame, segments: list[str], membership: dict[str, npt.NDArray[np.bool_]],
                        fold: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.float64], list[FusionPolicy]]:
    """Each test user's NDCG@10 under per-segment weights chosen on the *other* fold's users
    (two folds): an honest figure for "pick each segment's best weight", which on the same
    users would flatter it. Returns the scores and the policy each fold was given."""
    scores = np.full(len(wide), np.nan)
    chosen = []
    for k in (0, 1):
        policy = best_weights(wide, segments, membership, fold != k)
        alpha, _ = assign(policy, membership, len(wide))
        mine = fold == k
        scores[mine] = policy_scores(wide, alpha)[mine]
        chosen.append(policy)
    return scores, chosen


def judge(wide: pd.DataFrame, scores: npt.NDArray[np.float64], samples: int, confidence: float) -> dict[str, object]:
    """Policy scores against the learned gate and the single best fixed weight of the run, per
    user with the paired bootstrap (policy minus each): the figures every policy verdict shows."""
    from recsys_core.evaluation.significance import compare_models

    sweep = [c for c in wide.columns if c.startswith("alpha=")]
    best = max(sweep, key=lambda c: float(wide[c].mean()))
    long = pd.concat([
        pd.DataFrame({"model": "policy", "user_id": wide.index, "ndcg_10": scores}),
        pd.DataFrame({"model": "learned gate", "user_id": wide.index, "ndcg_10": wide["learned_gate"].to_numpy()}),
        pd.DataFrame({"model": f"best fixed weight ({best[6:]})", "user_id": wide.index,
                      "ndcg_10": wide[best].to_numpy()}),
    ])
    return {"n_users": len(wide), "ndcg_10": float(np.mean(scores)), "learned_gate": float(wide["learned_gate"].mean()),
            "best_fixed": best, "best_fixed_ndcg_10": float(wide[best].mean()), "confidence": confidence,
            "versus": compare_models(long, "policy", samples=samples, confidence=confidence)}
