"""What the sample generator planted, and how the bench scripts hold the engine's findings to it.

Only bench scripts read the truth files (``sample_data/truth`` or a ``generate-sample`` folder's
``truth``); the engine never does. Used by ``population.py`` and ``adoption_rules.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.interests.sequences import Sequences
from recsys_core.population.history import InterestHistory, interest_history

DEFAULT_TRUTH = Path(__file__).resolve().parents[1] / "sample_data" / "truth"
MEMBER_SHARE = 0.25  # a planted interest is "in" a build interest holding at least this share of its items


@dataclass(frozen=True)
class Planted:
    """The truth files: each item's planted fine interest, each user's adoption, the trends."""

    items: pd.DataFrame
    users: pd.DataFrame
    trends: pd.DataFrame

    @classmethod
    def read(cls, truth_dir: str | Path = DEFAULT_TRUTH) -> Planted:
        d = Path(truth_dir)
        return cls(pd.read_csv(d / "items.csv", dtype=str),
                   pd.read_csv(d / "users.csv", dtype=str, keep_default_na=False),
                   pd.read_csv(d / "trends.csv", dtype={"fine_interest": str, "trend": str}))

    @property
    def label_of(self) -> dict[str, str]:
        return dict(zip(self.items["item_id"], self.items["fine_interest"], strict=True))

    @property
    def adopted_of(self) -> dict[str, str]:
        """user -> the interest they adopted ("" for none)."""
        return dict(zip(self.users["user_id"], self.users["adopted"], strict=True))

    @property
    def adoptions(self) -> set[tuple[str, str]]:
        kept = self.users[self.users["adopted"] != ""]
        return set(zip(kept["user_id"], kept["adopted"], strict=True))


@dataclass(frozen=True)
class NodeNames:
    """A partition's nodes named by the planted interests of their items."""

    majority: pd.Series  # node -> the planted interest most of its items carry
    purity: pd.Series  # node -> that interest's share of its items
    members: dict[int, set[str]]  # node -> planted interests with at least MEMBER_SHARE of its items


def name_nodes(item_ids: npt.ArrayLike, fine_of_item: npt.ArrayLike, planted: Planted) -> NodeNames:
    items = pd.DataFrame({"item": np.asarray(item_ids, dtype=object), "fine": np.asarray(fine_of_item)})
    items["planted"] = items["item"].map(planted.label_of)
    items = items.dropna()
    by_node = items.groupby("fine")["planted"]
    shares = by_node.value_counts(normalize=True)
    members = {int(f): set(grp.index.get_level_values(1)[grp.to_numpy() >= MEMBER_SHARE])
               for f, grp in shares.groupby(level=0)}
    return NodeNames(by_node.agg(lambda s: s.value_counts().index[0]),
                     by_node.agg(lambda s: s.value_counts(normalize=True).iloc[0]), members)


def match_adoptions(found: pd.DataFrame, planted: Planted, holds: Callable[[int, str], bool],
                    ) -> tuple[list[tuple], set[tuple[str, str]]]:
    """The detected (user_id, node) rows that hit a planted adoption (each planted pair counted
    once; ``holds(node, interest)`` says whether a node stands for a planted interest), and the
    planted pairs hit."""
    truth, adopted_of = planted.adoptions, planted.adopted_of
    used: set[tuple[str, str]] = set()
    hits = []
    for row in found.itertuples(index=False):
        pair = (row.user_id, adopted_of.get(row.user_id, ""))
        if pair in truth and pair not in used and holds(int(row.node), pair[1]):
            used.add(pair)
            hits.append(row)
    return hits, used


def precision_recall(found: pd.DataFrame, planted: Planted, holds: Callable[[int, str], bool]) -> tuple[float, float]:
    hits, used = match_adoptions(found, planted, holds)
    return len(hits) / max(len(found), 1), len(used) / max(len(planted.adoptions), 1)


def planted_history(seqs: Sequences, item_ids: npt.ArrayLike, planted: Planted,
                    session_gap_days: float) -> InterestHistory:
    """Every user's history (``seqs``, over the rows of ``item_ids``) labelled with the planted
    interests instead of a build's: what the population rules find when the interests are exactly right."""
    ids = [str(i) for i in np.asarray(item_ids, dtype=object)]
    keys = sorted(planted.items["fine_interest"].unique())
    code = {k: i for i, k in enumerate(keys)}
    fine = pd.Series(ids).map(planted.label_of).map(code).fillna(0).to_numpy(np.int64)
    return interest_history(seqs, fine, np.zeros(len(keys), np.int64),
                            {("fine", i): k for i, k in enumerate(keys)}, session_gap_days)
