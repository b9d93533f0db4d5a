"""What one user's state says, in the hierarchy's terms: interest shares per branch, the
event timeline with the windows each branch reads, and how the learned gate responds to time.

Pure functions over a :class:`ServingModel` and a :class:`UserState`; the engine feeds them.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.moments import from_days
from recsys_core.recommend import UserState
from recsys_core.serving import ServingModel


def interest_shares(serving: ServingModel, state: UserState) -> pd.DataFrame:
    """Each fine interest and theme the user likes, with its share of the long- and short-term
    attention over liked items (each column sums to 1 per level; low ratings, which the encoder
    also reads, are left out: they are not an interest).

    Returns columns level, node_id, label, parent_id, parent_label, long, short, n_items,
    sorted by level then long share.
    """
    cols = ["level", "node_id", "label", "parent_id", "parent_label", "long", "short", "n_items"]
    liked = state.liked_slots()
    if not liked.any():
        return pd.DataFrame(columns=cols)
    fine = serving.fine_of_item[state.slots[liked]]
    wl = state.weights_long[liked] / max(float(state.weights_long[liked].sum()), 1e-12)
    ws = state.weights_short[liked] / max(float(state.weights_short[liked].sum()), 1e-12)
    frame = pd.DataFrame({"fine": fine, "theme": serving.theme_of_fine[fine], "long": wl, "short": ws, "n": 1})
    rows = []
    for level, key in (("theme", "theme"), ("fine", "fine")):
        grouped = frame.groupby(key, sort=False).agg(long=("long", "sum"), short=("short", "sum"), n=("n", "sum"))
        for node, r in grouped.iterrows():
            node = int(node)  # type: ignore[call-overload]
            if level == "fine":
                parent = int(serving.theme_of_fine[node])
                label, parent_label = serving.fine_labels.get(node, f"fine {node}"), serving.theme_labels.get(parent, "")
            else:
                parent, label, parent_label = -1, serving.theme_labels.get(node, f"theme {node}"), ""
            rows.append((level, node, label, parent, parent_label, float(r["long"]), float(r["short"]), int(r["n"])))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["level", "long"], ascending=[False, False], ignore_index=True)


def gate_response(serving: ServingModel, state: UserState, hours: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The learned long-term weight this user would get after ``hours`` of inactivity, with
    their current vectors, session and history length held fixed (the gate's other inputs)."""
    import torch

    if state.cold_start is not None or len(state.slots) == 0 or state.gate_inputs is None:
        return np.full(len(hours), float(state.gate))
    feats = torch.as_tensor(np.repeat(state.gate_inputs[None, :], len(hours), axis=0), dtype=torch.float32)
    feats[:, 0] = torch.as_tensor(np.log1p(np.maximum(hours, 0.0)), dtype=torch.float32)
    with torch.inference_mode():
        return torch.sigmoid(serving.model.gate(feats)).squeeze(1).numpy().astype(np.float64)


def timeline(serving: ServingModel, state: UserState, events: pd.DataFrame, short_window: int) -> pd.DataFrame:
    """The user's events with title, interest labels and which branch window reads each item.

    ``events`` has item_id, occurred_at, event_type (and optionally simulated). Adds title,
    fine_id, fine_label, theme_id, theme_label, in_long (read by the long-term branch) and
    in_short (one of the last ``short_window`` items the short-term branch reads). Events after
    the moment the state was read at (a past as-of date) are left out.
    """
    out = events.copy()
    if state.at_days is not None and len(out):
        moment = pd.Timestamp(from_days(state.at_days)) + pd.Timedelta(seconds=1)  # float days round
        out = out[pd.to_datetime(out["occurred_at"]) <= moment]
    rows = out["item_id"].astype(str).map(serving.item_index)
    known = rows.notna()
    out = out[known].copy()
    idx = rows[known].astype(np.int64).to_numpy()
    out["title"] = serving.titles[idx]
    out["fine_id"] = serving.fine_of_item[idx]
    out["theme_id"] = serving.theme_of_item[idx]
    out["fine_label"] = [serving.fine_labels.get(int(f), f"fine {f}") for f in out["fine_id"]]
    out["theme_label"] = [serving.theme_labels.get(int(t), f"theme {t}") for t in out["theme_id"]]
    long_rows = set(state.slots.tolist())
    short_rows = set(state.slots[-short_window:].tolist()) if len(state.slots) else set()
    out["in_long"] = [int(i) in long_rows for i in idx]
    out["in_short"] = [int(i) in short_rows for i in idx]
    return out.sort_values("occurred_at", ignore_index=True)


OTHER_INTERESTS = -1  # fine_id / theme_id of the row that holds the interests a timeline folds away


def fold_timeline(events: pd.DataFrame, max_rows: int) -> tuple[pd.DataFrame, int]:
    """At most ``max_rows`` fine-interest rows of a :func:`timeline`: the interests the model
    reads now first (short-term window, then items in the long-term window), then the user's
    most touched; the rest share one last row, "other interests (k)". A heavy user touches a
    hundred interests, and a hundred rows hide the few that matter. Returns the events and k."""
    if events.empty or events["fine_id"].nunique() <= max_rows:
        return events, 0
    rank = (events.groupby("fine_id")
            .agg(short=("in_short", "sum"), long=("in_long", "sum"), n=("fine_id", "size"), last=("occurred_at", "max"))
            .sort_values(["short", "long", "n", "last"], ascending=False))
    folded = ~events["fine_id"].isin(rank.index[:max_rows - 1])
    k = len(rank) - (max_rows - 1)
    out = events.copy()
    out.loc[folded, ["fine_id", "theme_id"]] = OTHER_INTERESTS
    out.loc[folded, "fine_label"] = f"other interests ({k})"
    out.loc[folded, "theme_label"] = "other interests"
    return out, k
