"""Long/short-term fusion: ``u = a * u_long + (1 - a) * u_short``, written once.

The product's central formula. Everything that mixes the two branches goes through here:
the trainer's loss and early stopping (torch tensors), the evaluation's gate and weight sweep,
the served scores and their long/short split, per-item evidence, the counterfactual score
drop and the fused point on the interest map (NumPy). The operations are generic, so the same
two functions serve NumPy arrays, torch tensors and plain floats alike.

``alpha`` is the weight of the long-term part: a number, or one weight per row (shape
``long.shape[:-1]``), which is broadcast over the last axis.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def _per_row(alpha: Any, long: Any) -> Any:
    """One weight per row of ``long`` gets a trailing axis so it scales whole rows."""
    a_dim = getattr(alpha, "ndim", 0)
    if a_dim and a_dim == getattr(long, "ndim", 0) - 1:
        return alpha[..., None]
    return alpha


def short_weight(alpha: T) -> T:
    """The weight of the short-term part, ``1 - a``: what a part that only the short-term
    branch has (the links from the newest items) is scaled by."""
    return 1 - alpha  # type: ignore[operator,return-value]


def weighted_parts(long: T, short: T, alpha: Any) -> tuple[T, T]:
    """The two addends of the fusion: ``(a * long, (1 - a) * short)``.

    Their sum is :func:`fuse`; the lab shows them as a recommendation's long/short split.
    """
    a = _per_row(alpha, long)
    return a * long, short_weight(a) * short  # type: ignore[operator]


def fuse(long: T, short: T, alpha: Any) -> T:
    """``alpha * long + (1 - alpha) * short`` for vectors, scores or contributions."""
    long_part, short_part = weighted_parts(long, short, alpha)
    return long_part + short_part  # type: ignore[operator]


def check_alpha(alpha: float) -> float:
    """A hand-set weight, refused outside [0, 1] (NaN included)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    return float(alpha)
