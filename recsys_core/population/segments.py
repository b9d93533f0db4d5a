"""Segments: groups of users defined by rules an analyst can read, and what sets them apart.

A segment's rules read one row of *user features* per user: how many items their history
holds, how long they have been idle at the end of the data, the learned long-term weight the
gate gives them at their next visit, the interests they hold long- and short-term (the same
hold rule as the trends), and how close their history and profile text come to a description
in words. Every rule left empty lets everyone through; a segment is the users passing all.

For an evaluation run the features are read from the history the run's models read (each
user's newest item, the test, left out), with the weight the run's own gate gave; so a
policy chosen by segment is judged on what was known before the answer.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.errors import InvalidArgumentError

HOLDS = ("any", "long", "short")
FEATURE_COLUMNS = ["user_id", "n_items", "idle_days", "weight", "long", "short", "touched"]


@dataclass(frozen=True, slots=True)
class SegmentRules:
    """What a user must have to be in the segment (None / empty: no condition)."""

    min_items: int | None = None  # distinct items in their history
    max_items: int | None = None
    min_idle_days: float | None = None  # days from their last event to the end of the data
    max_idle_days: float | None = None
    min_weight: float | None = None  # the learned long-term weight at their next visit
    max_weight: float | None = None
    interests: tuple[str, ...] = ()  # fine interest or theme labels; the user holds one of them
    hold: str = "any"  # ... long-term, short-term, or either
    text: str = ""  # a description matched against their profile text and history
    text_share: float = 0.2  # ... keeping this share of users, the closest

    def __post_init__(self) -> None:
        if self.hold not in HOLDS:
            raise InvalidArgumentError(f"hold must be one of {', '.join(HOLDS)}, got {self.hold!r}")
        for low, high in (("min_items", "max_items"), ("min_idle_days", "max_idle_days"),
                          ("min_weight", "max_weight")):
            a, b = getattr(self, low), getattr(self, high)
            for name, v in ((low, a), (high, b)):
                if v is not None and not (np.isfinite(v) and v >= 0):
                    raise InvalidArgumentError(f"{name} must be a number at least 0, got {v}")
            if a is not None and b is not None and a > b:
                raise InvalidArgumentError(f"{low} ({a}) is above {high} ({b})")
        for name in ("min_weight", "max_weight"):
            v = getattr(self, name)
            if v is not None and v > 1:
                raise InvalidArgumentError(f"{name} is a weight between 0 and 1, got {v}")
        if not 0.0 < self.text_share <= 1.0:
            raise InvalidArgumentError(f"text_share must be in (0, 1], got {self.text_share}")

    def to_json(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v not in (None, (), "")}
        data["interests"] = list(self.interests)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | dict[str, object]) -> SegmentRules:
        """Rules from JSON, each value checked for its type (unknown keys refused, so a typo is
        not a silent no-op).

        Raises:
            InvalidArgumentError: Not JSON, not an object, an unknown key or a value of the wrong kind.
        """
        try:
            data = json.loads(text) if isinstance(text, str) else dict(text)
        except ValueError as exc:
            raise InvalidArgumentError(f"segment rules are not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidArgumentError("segment rules must be a JSON object")
        known = {f.name for f in fields(cls)}
        if unknown := sorted(set(data) - known):
            raise InvalidArgumentError(f"unknown segment rule(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        for name, value in data.items():
            if value is None:
                continue
            if name in ("min_items", "max_items"):
                ok = isinstance(value, int) and not isinstance(value, bool)
            elif name == "interests":
                ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
            elif name in ("hold", "text"):
                ok = isinstance(value, str)
            else:
                ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok:
                want = {"min_items": "a whole number", "max_items": "a whole number", "interests": "a list of labels",
                        "hold": "a word", "text": "a text"}.get(name, "a number")
                raise InvalidArgumentError(f"segment rule {name} must be {want}, got {value!r}")
        if "interests" in data:
            data["interests"] = tuple(data["interests"])  # type: ignore[arg-type]
        return cls(**data)  # type: ignore[arg-type]

    def describe(self) -> str:
        """The rules in words."""
        parts = []
        if self.min_items is not None or self.max_items is not None:
            parts.append(_range("items in their history", self.min_items, self.max_items, "{:g}"))
        if self.min_idle_days is not None or self.max_idle_days is not None:
            parts.append(_range("days idle at the end of the data", self.min_idle_days, self.max_idle_days, "{:g}"))
        if self.min_weight is not None or self.max_weight is not None:
            parts.append(_range("learned long-term weight", self.min_weight, self.max_weight, "{:.2f}"))
        if self.interests:
            how = {"any": "", "long": " long-term", "short": " short-term"}[self.hold]
            parts.append(f"holding{how} " + " or ".join(f"'{i}'" for i in self.interests))
        if self.text.strip():
            parts.append(f"closest {self.text_share:.0%} to '{self.text.strip()}'")
        return "; ".join(parts) if parts else "everyone"


def _range(what: str, low: float | None, high: float | None, fmt: str) -> str:
    if low is not None and high is not None:
        return f"{what} {fmt.format(low)}-{fmt.format(high)}"
    if low is not None:
        return f"{what} at least {fmt.format(low)}"
    return f"{what} at most {fmt.format(high)}"


def match_interest_labels(labels: dict[tuple[str, int], str], wanted: tuple[str, ...]) -> dict[str, list[tuple[str, int]]]:
    """The build's nodes carrying each wanted label (case-insensitive); a label the build does
    not have maps to an empty list (the caller says so)."""
    by_label: dict[str, list[tuple[str, int]]] = {}
    for key, label in labels.items():
        by_label.setdefault(label.strip().lower(), []).append(key)
    return {w: sorted(by_label.get(w.strip().lower(), [])) for w in wanted}


def members(features: pd.DataFrame, rules: SegmentRules, labels: dict[tuple[str, int], str],
            text_scores: npt.NDArray[np.float64] | None = None) -> npt.NDArray[np.bool_]:
    """Which rows of ``features`` (see :data:`FEATURE_COLUMNS`; long, short and touched are
    sets of (level, node)) pass every rule. ``text_scores``: each user's similarity to
    ``rules.text`` (needed when it is set).

    Raises:
        InvalidArgumentError: An interest label the build does not have.
    """
    keep = np.ones(len(features), dtype=bool)
    for col, low, high in (("n_items", rules.min_items, rules.max_items),
                           ("idle_days", rules.min_idle_days, rules.max_idle_days),
                           ("weight", rules.min_weight, rules.max_weight)):
        values = features[col].to_numpy(np.float64)
        if low is not None:
            keep &= values >= low
        if high is not None:
            keep &= values <= high
    if rules.interests:
        found = match_interest_labels(labels, rules.interests)
        if missing := [w for w, nodes in found.items() if not nodes]:
            raise InvalidArgumentError(f"the newest build has no interest named {', '.join(repr(m) for m in missing)}")
        nodes = {n for ns in found.values() for n in ns}
        cols = {"any": ("long", "short"), "long": ("long",), "short": ("short",)}[rules.hold]
        held = np.array([any(bool(nodes & row[c]) for c in cols) for row in features[list(cols)].to_dict("records")])
        keep &= held if len(held) else keep
    if rules.text.strip():
        if text_scores is None:
            raise InvalidArgumentError("a text rule needs the users' similarity to it")
        finite = np.isfinite(text_scores)
        if finite.any():
            cut = np.quantile(text_scores[finite], 1.0 - rules.text_share)
            keep &= finite & (text_scores >= cut)
        else:
            keep &= False
    return keep


def interest_mix(features: pd.DataFrame, member: npt.NDArray[np.bool_], level: str) -> npt.NDArray[np.float64]:
    """``(n members, n nodes)`` 0/1: which interests at ``level`` each member touched."""
    rows = features[member]
    nodes = [n for held in rows["touched"] for lev, n in held if lev == level]
    n_nodes = max(nodes, default=-1) + 1
    out = np.zeros((len(rows), n_nodes))
    for r, held in enumerate(rows["touched"]):
        for lev, n in held:
            if lev == level:
                out[r, n] = 1.0
    return out


def compare_mixes(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], labels: dict[int, str],
                  n_boot: int = 400, interval: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Two segments' interest mixes side by side: each interest's share of the segment's
    (user, interest) pairs (so a segment of heavier users, who touch more of everything, is
    not "more into" every interest), the difference a - b and its interval from a Poisson
    bootstrap over each segment's users. Sorted by the size of the difference."""
    n_nodes = max(a.shape[1], b.shape[1], max(labels, default=-1) + 1)
    a = np.pad(a, ((0, 0), (0, n_nodes - a.shape[1])))
    b = np.pad(b, ((0, 0), (0, n_nodes - b.shape[1])))

    def shares(m: npt.NDArray[np.float64], w: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        s = w @ m
        return s / np.maximum(s.sum(-1, keepdims=True), 1e-12)

    rng = np.random.default_rng(seed)
    point_a, point_b = shares(a, np.ones((1, len(a))))[0], shares(b, np.ones((1, len(b))))[0]
    diffs = shares(a, rng.poisson(1.0, (n_boot, len(a))).astype(np.float64)) - \
        shares(b, rng.poisson(1.0, (n_boot, len(b))).astype(np.float64))
    tail = (1.0 - interval) / 2.0 * 100
    out = pd.DataFrame({"node": np.arange(n_nodes), "label": [labels.get(k, str(k)) for k in range(n_nodes)],
                        "share_a": point_a, "share_b": point_b, "difference": point_a - point_b,
                        "low": np.percentile(diffs, tail, axis=0), "high": np.percentile(diffs, 100 - tail, axis=0),
                        "users_a": a.sum(0).astype(np.int64), "users_b": b.sum(0).astype(np.int64)})
    out["clear"] = (out["low"] > 0) | (out["high"] < 0)
    out = out[(out["users_a"] + out["users_b"]) > 0]
    return out.iloc[np.argsort(-np.abs(out["difference"].to_numpy()), kind="stable")].reset_index(drop=True)
