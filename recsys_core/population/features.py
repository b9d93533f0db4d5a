"""One row per user of what segment rules read: history size, idle time, learned weight, the
interests they touched and hold, and (apart) how close their texts come to a description."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.population.history import InterestHistory
from recsys_core.population.segments import FEATURE_COLUMNS
from recsys_core.population.trends import holdings


def user_features(hist: InterestHistory, weights: dict[str, float], data_end_days: float, short_window: int,
                  max_history: int, hold_share: float) -> pd.DataFrame:
    """Features of every user with a liked item in ``hist`` (see :data:`FEATURE_COLUMNS`);
    ``weights`` maps user id to the learned long-term weight (NaN where missing). long, short
    and touched are frozensets of (level, node) at both levels, held as of the history's end."""
    frame = hist.frame
    if frame.empty:
        return pd.DataFrame(columns=FEATURE_COLUMNS)
    users = frame["user"].to_numpy()
    last = np.flatnonzero(np.r_[users[1:] != users[:-1], True])  # each user's last row (sorted by user)
    held: dict[str, list[frozenset[tuple[str, int]]]] = {"long": [], "short": []}
    per_level = {}
    for level in ("fine", "theme"):
        per_level[level] = (holdings(hist, level, last, max_history, hold_share),
                            holdings(hist, level, last, short_window, hold_share))
    for k in range(len(last)):
        for name, idx in (("long", 0), ("short", 1)):
            held[name].append(frozenset((lev, int(n)) for lev in ("fine", "theme")
                                        for n in np.flatnonzero(per_level[lev][idx][k])))
    touched_fine = frame.groupby("user")["fine"].agg(lambda s: frozenset(("fine", int(n)) for n in set(s)))
    touched_theme = frame.groupby("user")["theme"].agg(lambda s: frozenset(("theme", int(n)) for n in set(s)))
    user_rows = users[last]
    ids = [hist.user_ids[int(u)] for u in user_rows]
    return pd.DataFrame({
        "user_id": ids,
        "n_items": frame.groupby("user").size().reindex(user_rows).to_numpy(np.int64),
        "idle_days": data_end_days - frame["days"].to_numpy()[last],
        "weight": [weights.get(u, np.nan) for u in ids],
        "long": held["long"],
        "short": held["short"],
        "touched": [touched_fine[u] | touched_theme[u] for u in user_rows],
    })[FEATURE_COLUMNS]


def text_vectors(hist: InterestHistory, text_vecs: npt.NDArray[np.float32], user_ids: list[str],
                 profiles: dict[str, npt.NDArray[np.float32]]) -> npt.NDArray[np.float32]:
    """``(len(user_ids), dim)`` unit vector of each user's texts: the mean of their liked
    items' text vectors, plus their profile text's vector when they wrote one."""
    frame = hist.frame
    index = {u: i for i, u in enumerate(hist.user_ids)}
    out = np.zeros((len(user_ids), text_vecs.shape[1]), np.float32)
    groups = frame.groupby("user")["item"].apply(np.asarray)
    for k, uid in enumerate(user_ids):
        row = index.get(uid)
        if row is not None and row in groups.index:
            out[k] = text_vecs[groups[row]].mean(0)
        if uid in profiles:
            out[k] += profiles[uid]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)
