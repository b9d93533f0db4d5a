"""Paired bootstrap intervals for metric differences between models of one evaluation run.

Two models are scored on the same held-out users, so their difference is measured per user
and resampled by user. A difference whose interval covers zero is reported as a tie: on a
sample of a thousand users a gap of a few thousandths of NDCG is noise, not a result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.errors import InvalidArgumentError


@dataclass(frozen=True, slots=True)
class PairedDifference:
    """Mean of ``a - b`` over users with its bootstrap interval."""

    delta: float
    low: float
    high: float

    @property
    def verdict(self) -> str:
        """"better" when the whole interval is above zero, "worse" when below, else "tie"."""
        if self.low > 0:
            return "better"
        if self.high < 0:
            return "worse"
        return "tie"


def paired_bootstrap(
    a: npt.ArrayLike, b: npt.ArrayLike, *, samples: int = 2000, confidence: float = 0.95, seed: int = 0
) -> PairedDifference:
    """Percentile bootstrap of ``mean(a - b)``, resampling users (the pairs) with replacement."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if diff.ndim != 1 or len(diff) == 0:
        raise InvalidArgumentError("paired_bootstrap needs two equally long, non-empty 1-D arrays")
    if not 0.0 < confidence < 1.0:
        raise InvalidArgumentError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    means = np.empty(samples)
    chunk = max(1, 2_000_000 // len(diff))  # bounded memory for large user counts
    for start in range(0, samples, chunk):
        n = min(chunk, samples - start)
        means[start:start + n] = diff[rng.integers(0, len(diff), size=(n, len(diff)))].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return PairedDifference(float(diff.mean()), float(low), float(high))


def compare_models(
    per_user: pd.DataFrame, reference: str, *, metric: str = "ndcg_10", samples: int = 2000,
    confidence: float = 0.95, seed: int = 0,
) -> pd.DataFrame:
    """``reference`` minus every other model, per user, with intervals.

    ``per_user`` has one row per (model, user_id) and a ``metric`` column. Returns one row per
    other model: model, delta, low, high, verdict (from the reference's side).
    """
    wide = per_user.pivot(index="user_id", columns="model", values=metric)
    if reference not in wide.columns:
        raise InvalidArgumentError(f"no model {reference!r} in this run")
    rows = []
    for model in wide.columns:
        if model == reference:
            continue
        both = wide[[reference, model]].dropna()
        d = paired_bootstrap(both[reference].to_numpy(), both[model].to_numpy(),
                             samples=samples, confidence=confidence, seed=seed)
        rows.append({"model": model, "delta": d.delta, "low": d.low, "high": d.high, "verdict": d.verdict})
    return pd.DataFrame(rows, columns=["model", "delta", "low", "high", "verdict"])
