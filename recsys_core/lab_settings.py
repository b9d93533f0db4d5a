"""The recommendation lab's settings as one value.

The lab's settings travel in three forms: the page's URL (a shared link opens the same view),
saved presets (JSON in the database) and the arguments of :meth:`RecsysEngine.recommend`.
:class:`LabSettings` is the one place that converts between them, so a new setting or a changed
default is written once. Pure Python: the engine never imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from recsys_core.errors import InvalidArgumentError
from recsys_core.moments import NEXT_VISIT, as_of_label, parse_as_of

N = TypeVar("N", int, float)
D = TypeVar("D")

_TRUE = ("1", "true", "yes", "on")


def _bounded(params: Mapping[str, str], name: str, cast: Callable[[str], N], low: N, high: N, default: D) -> N | D:
    """A number from the URL, or ``default`` when it is absent, unreadable or outside [low, high]
    (NaN too: it fails both comparisons), so a hand-edited link never breaks a slider."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = cast(raw)
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


def _as_of(raw: str | None) -> str:
    """The as-of choice of a link as its label; a bad one falls back to the next visit."""
    try:
        return as_of_label(parse_as_of(raw))
    except InvalidArgumentError:
        return NEXT_VISIT


def _flag(params: Mapping[str, str], name: str, default: bool) -> bool:
    raw = params.get(name)
    return default if raw is None else raw.lower() in _TRUE


@dataclass(frozen=True)
class LabSettings:
    """What the lab asks the engine for.

    ``alpha`` None means the user's learned long-term weight; a number (0 included) is a weight
    set by hand. ``interest`` is the description as typed; everything handed on strips it.
    ``simulated``, ``explain`` and ``as_of`` (when the user is looked at) belong to the view, not
    to a preset.
    """

    alpha: float | None = None
    diversity: float = 0.0
    n: int = 10
    interest: str = ""
    threshold: float = 0.25
    simulated: bool = True
    explain: bool = True
    as_of: str = NEXT_VISIT  # next-visit, data-end or an ISO date (see recsys_core.moments)

    @property
    def active_interest(self) -> str | None:
        """The interest description the engine gets: stripped, None when blank."""
        return self.interest.strip() or None

    # ------------------------------------------------------------------ URL
    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> LabSettings:
        """Settings from URL parameters (``alpha, div, n, interest, thr, sim, explain, asof``); a bad or
        out-of-range value falls back to its default."""
        d = cls()
        return cls(
            alpha=_bounded(params, "alpha", float, 0.0, 1.0, None),
            diversity=_bounded(params, "div", float, 0.0, 1.0, d.diversity),
            n=_bounded(params, "n", int, 1, 50, d.n),
            interest=params.get("interest", d.interest),
            threshold=_bounded(params, "thr", float, 0.0, 0.8, d.threshold),
            simulated=_flag(params, "sim", d.simulated),
            explain=_flag(params, "explain", d.explain),
            as_of=_as_of(params.get("asof")),
        )

    def to_query(self) -> dict[str, str | None]:
        """URL parameters for these settings; None removes a parameter, so defaults keep the link
        short (the threshold only matters with an interest description)."""
        d = LabSettings()
        interest = self.active_interest
        return {
            "alpha": None if self.alpha is None else str(float(self.alpha)),
            "div": str(float(self.diversity)) if self.diversity != d.diversity else None,
            "n": str(int(self.n)) if self.n != d.n else None,
            "interest": interest,
            "thr": str(float(self.threshold)) if interest and self.threshold != d.threshold else None,
            "sim": None if self.simulated else "0",
            "explain": None if self.explain else "0",
            "asof": None if self.as_of == d.as_of else self.as_of,
        }

    # ------------------------------------------------------------------ presets
    @classmethod
    def from_preset(cls, preset: Mapping[str, Any], view: LabSettings | None = None) -> LabSettings:
        """Settings from a saved preset (missing keys take the defaults). A preset stores no view
        settings, so ``simulated``, ``explain`` and ``as_of`` come from ``view`` (the current view)."""
        view = view or cls()
        d = cls()
        alpha = preset.get("alpha")
        return cls(
            alpha=None if alpha is None else float(alpha),
            diversity=float(preset.get("diversity", d.diversity)),
            n=int(preset.get("n", d.n)),
            interest=str(preset.get("interest") or ""),
            threshold=float(preset.get("threshold", d.threshold)),
            simulated=view.simulated,
            explain=view.explain,
            as_of=view.as_of,
        )

    def to_preset(self) -> dict[str, object]:
        """The JSON a preset stores (``alpha`` None = the learned weight)."""
        return {"alpha": self.alpha, "diversity": self.diversity, "n": int(self.n),
                "interest": self.interest.strip(), "threshold": self.threshold}

    # ------------------------------------------------------------------ engine
    def recommend_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``RecsysEngine.recommend(user, **kwargs)``."""
        return {"n": int(self.n), "alpha": self.alpha, "interest": self.active_interest,
                "interest_threshold": self.threshold, "diversity": self.diversity,
                "include_simulated": self.simulated, "as_of": parse_as_of(self.as_of)}
