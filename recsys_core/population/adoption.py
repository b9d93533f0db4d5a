"""Adoption: when a user's short-term burst on a new interest became one of their long-term interests.

Read from sessions (events closer than the model's session gap). A session is *on* an interest
when that interest has at least ``session_dominance`` of its items. An adoption of interest X:

1. **new**: before it, the user had at least ``min_prior_sessions`` sessions and
   ``min_prior_items`` items, at most ``new_share`` of them on X (not an old taste coming back);
2. **burst**: ``burst_sessions`` sessions in a row on X (the first such run);
3. **stuck**: after those sessions the user has more, X comes back in at least
   ``min_return_sessions`` of them and keeps at least ``adopt_share`` of their items there.

A burst that never comes back, or comes back as a trace, is a passing burst, not an adoption.
Limits: an adoption in a user's last sessions cannot be told from a passing burst until they
return (it is found on a later run); an old taste that was quiet for the user's first sessions
and then came in a run looks new; what "on X" means depends on how well the build's interests
separate the items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.config import PopulationConfig
from recsys_core.moments import from_days
from recsys_core.population.history import InterestHistory, check_level

ADOPTION_COLUMNS = ["user_id", "node", "label", "burst_days", "burst_at", "confirmed_at", "burst_sessions",
                    "sessions_after", "return_sessions", "share_before", "share_after"]


def detect_adoptions(hist: InterestHistory, level: str, config: PopulationConfig,
                     user_ids: list[str] | None = None) -> pd.DataFrame:
    """Every adoption at ``level`` (see the module docstring), one row per (user, interest),
    oldest burst first; ``user_ids`` limits it to those users."""
    check_level(level)
    frame = hist.frame
    if user_ids is not None:
        wanted = {u: i for i, u in enumerate(hist.user_ids)}
        frame = frame[frame["user"].isin([wanted[u] for u in user_ids if u in wanted])]
    n_nodes = hist.n_nodes(level)
    rows: list[tuple[object, ...]] = []
    for user, grp in frame.groupby("user", sort=False):
        sess = grp["session"].to_numpy()
        n_sess = int(sess[-1]) + 1
        if n_sess < 3:
            continue
        nodes = grp[level].to_numpy()
        days = grp["days"].to_numpy()
        counts = np.zeros((n_sess, n_nodes))
        np.add.at(counts, (sess, nodes), 1.0)
        start_day = np.full(n_sess, np.inf)
        np.minimum.at(start_day, sess, days)
        size = counts.sum(1)
        top = counts.argmax(1)
        on_top = counts[np.arange(n_sess), top] >= config.session_dominance * size
        run = config.burst_sessions
        for node in np.unique(top[on_top]):
            on = (on_top & (top == node)).astype(np.int64)
            in_row = np.convolve(on, np.ones(run, np.int64), mode="valid") == run  # run starting at each session
            if not in_row.any():
                continue
            s0 = int(np.argmax(in_row))
            prior = counts[:s0].sum(0)
            if (s0 < config.min_prior_sessions or prior.sum() < config.min_prior_items
                    or prior[node] > config.new_share * prior.sum()):
                continue
            end = s0 + run
            after = counts[end:]
            back = np.flatnonzero(after[:, node] > 0)
            if len(after) == 0 or len(back) < config.min_return_sessions:
                continue
            share_after = float(after[:, node].sum() / after.sum())
            if share_after < config.adopt_share:
                continue
            rows.append((hist.user_ids[int(user)], int(node), hist.label(level, int(node)), float(start_day[s0]),
                         from_days(start_day[s0]), from_days(start_day[end + back[0]]), end - s0,
                         len(after), len(back), float(prior[node] / prior.sum()), share_after))
    out = pd.DataFrame(rows, columns=ADOPTION_COLUMNS)
    return out.sort_values(["burst_days", "user_id"], ignore_index=True)
