"""Comparing recommendation lists: what a slider move changed, and two settings side by side.

Pure functions over :class:`RecommendationList` and the served vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core import metrics as M
from recsys_core.recommend import RecommendationList
from recsys_core.serving import ServingModel


@dataclass(frozen=True, slots=True)
class ListDiff:
    """``new``/``dropped``: item ids that entered/left; ``moves``: item id -> (old rank, new rank)
    for items in both lists whose rank changed."""

    new: tuple[str, ...]
    dropped: tuple[str, ...]
    moves: dict[str, tuple[int, int]]

    @property
    def is_empty(self) -> bool:
        return not (self.new or self.dropped or self.moves)


def diff_lists(before: list[str], after: list[str]) -> ListDiff:
    """What changed from ranked ids ``before`` to ``after`` (ranks are 1-based)."""
    old = {item: r for r, item in enumerate(before, start=1)}
    new = {item: r for r, item in enumerate(after, start=1)}
    return ListDiff(
        new=tuple(i for i in after if i not in old),
        dropped=tuple(i for i in before if i not in new),
        moves={i: (old[i], new[i]) for i in after if i in old and old[i] != new[i]},
    )


def summarise_list(recs: RecommendationList, serving: ServingModel) -> dict[str, float]:
    """Figures of one list: mean score, long-term share of the score, intra-list diversity and
    novelty (the evaluation's definitions, :mod:`recsys_core.metrics`), distinct themes and
    fine interests."""
    rows = np.array([serving.item_index[r.item_id] for r in recs.items], dtype=np.int64)
    if len(rows) == 0:
        return {"mean score": float("nan"), "long-term share": float("nan"), "diversity": float("nan"),
                "novelty": float("nan"), "themes": 0.0, "fine interests": 0.0}
    parts = np.array([[max(r.long_part, 0.0), max(r.short_part, 0.0)] for r in recs.items])
    total = parts.sum()
    return {
        "mean score": float(np.mean([r.score for r in recs.items])),
        "long-term share": float(parts[:, 0].sum() / total) if total > 0 else float("nan"),
        "diversity": float(M.intra_list_diversity(rows[None, :], serving.text_vecs)[0]),
        "novelty": float(M.novelty(rows[None, :], serving.item_users, serving.n_users)[0]),
        "themes": float(len({r.theme_id for r in recs.items})),
        "fine interests": float(len({r.fine_id for r in recs.items})),
    }


def compare_lists(a: RecommendationList, b: RecommendationList, serving: ServingModel) -> tuple[dict[str, float], pd.DataFrame]:
    """Overlap figures ({"shared", "jaccard"}) and a table of each list's figures with the
    difference (columns: metric, a, b, b - a)."""
    ids_a, ids_b = {r.item_id for r in a.items}, {r.item_id for r in b.items}
    union = ids_a | ids_b
    overlap = {"shared": float(len(ids_a & ids_b)), "jaccard": len(ids_a & ids_b) / len(union) if union else 1.0}
    sa, sb = summarise_list(a, serving), summarise_list(b, serving)
    table = pd.DataFrame({"metric": list(sa), "a": list(sa.values()), "b": [sb[k] for k in sa]})
    table["b - a"] = table["b"] - table["a"]
    return overlap, table
