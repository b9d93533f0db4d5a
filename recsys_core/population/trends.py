"""Interest trends: per period, how much each interest is touched, by how many users, and how
many hold it in their short-term window versus their long-term history; which interests rise
and fall, with an interval that knows how few users a small interest rests on.

The change measure compares a recent part of the data with the part before it. Its unit is
the interest's share of (user, interest) pairs: each active user counts once for each
interest they touched in that part, so one heavy user cannot move an interest, and because
the shares sum to one, "rising" means rising against the other interests, not the catalogue
getting busier. The interval is a user-level Poisson bootstrap (users resampled with all
their events), so an interest resting on a handful of users gets a wide interval and is not
called rising on noise. Holders: a user holds an interest short-term when it has at least
``hold_share`` of their last ``short_window`` items (the short-term branch's window), and
long-term when it has that share of their last ``max_history`` items (the long-term branch's).
"Emerging": the short-term holders' share is clearly rising while the long-term holders' is
not (yet). "New": nobody touched the interest before the recent part (a catalogue's new
releases, say), so its rise says more about the catalogue than about taste; it has its own
status, not "rising", since a share against nothing is no ratio (on a film catalogue every
decade's releases would otherwise top the rising list).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.config import PopulationConfig
from recsys_core.moments import from_days
from recsys_core.population.history import InterestHistory, check_level, period_of, resolve_period

SERIES_COLUMNS = ["period", "period_start", "node", "label", "touches", "touch_share", "users", "active_users",
                  "user_share", "short_holders", "long_holders", "adoptions"]
CHANGE_COLUMNS = ["node", "label", "parent", "users_before", "users_recent", "share_before", "share_recent",
                  "change", "change_low", "change_high", "status", "short_change", "short_low", "short_high",
                  "long_change", "long_low", "long_high", "emerging", "new", "adoptions"]


@dataclass(frozen=True, slots=True)
class TrendReport:
    """Trends at one level: the per-period series and the recent-against-before changes.

    ``split_at`` (days since the epoch) is where the recent part starts; ``changes`` is sorted
    rising first (by the interval's lower end), then new (by users in the recent part), then
    steady, then falling (by its upper end).
    """

    level: str
    period: str
    split_at: float
    start: float
    end: float
    series: pd.DataFrame
    changes: pd.DataFrame
    active_before: int = 0  # users with a liked item in each part
    active_recent: int = 0

    @property
    def split_label(self) -> str:
        return from_days(self.split_at).date().isoformat()

    def rising(self, n: int | None = None) -> pd.DataFrame:
        out = self.changes[self.changes["status"] == "rising"]
        return out if n is None else out.head(n)

    def new(self, n: int | None = None) -> pd.DataFrame:
        """Interests nobody touched before the recent part, most users first."""
        out = self.changes[self.changes["status"] == "new"]
        return out if n is None else out.head(n)

    def new_line(self, n: int = 12, quote: Callable[[str], str] = str) -> str:
        """The new interests in one line, most users first ("A (184 users), B (143 users), …"),
        each label passed through ``quote`` (Markdown or HTML escaping); "" when there are none."""
        new = self.new()
        shown = ", ".join(f"{quote(str(r.label))} ({int(r.users_recent):,} users)" for r in new.head(n).itertuples())
        return shown + (", …" if len(new) > n else "")

    def falling(self, n: int | None = None) -> pd.DataFrame:
        out = self.changes[self.changes["status"] == "falling"].iloc[::-1]
        return out if n is None else out.head(n)


def change_line(row: pd.Series) -> str:
    """One interest's change in a sentence (a row of :attr:`TrendReport.changes`), the same on the
    page and in the report: users before and recent, the share's ratio with its interval, the
    holders' ratios; a new interest has no ratio to give."""
    before, recent = int(row["users_before"]), int(row["users_recent"])
    users = f"{before:,} user{'' if before == 1 else 's'} before, {recent:,} recent"
    if row["new"]:
        return f"{users}; new in the recent part (nobody touched it before, so there is no share to compare)."
    return (f"{users}; share x{2 ** row['change']:.2f} (interval x{2 ** row['change_low']:.2f} to "
            f"x{2 ** row['change_high']:.2f}); short-term holders x{2 ** row['short_change']:.2f}, long-term holders "
            f"x{2 ** row['long_change']:.2f}" + ("; emerging" if row["emerging"] else "") + ".")


def holdings(hist: InterestHistory, level: str, rows: npt.NDArray[np.int64], window: int,
              hold_share: float) -> npt.NDArray[np.bool_]:
    """``(len(rows), n_nodes)``: which interests each (user, moment) holds in its last ``window``
    items, a moment being the history up to and including row ``rows[k]``."""
    frame = hist.frame
    nodes = frame[level].to_numpy()
    users = frame["user"].to_numpy()
    first_row = np.searchsorted(users, users[rows], side="left")  # frame is sorted by user
    n_nodes = hist.n_nodes(level)
    out = np.zeros((len(rows), n_nodes), dtype=bool)
    for k, (a, b) in enumerate(zip(np.maximum(first_row, rows + 1 - window), rows + 1, strict=True)):
        counts = np.bincount(nodes[a:b], minlength=n_nodes)
        out[k] = counts >= hold_share * (b - a) - 1e-9
    return out


def _pair_share_change(
    before: npt.NDArray[np.float64], recent: npt.NDArray[np.float64], n_boot: int, interval: float, seed: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """log2 change of each column's share of all pairs, recent over before, with a user-level
    Poisson bootstrap interval. ``before``/``recent`` are ``(n_users, n_nodes)`` 0/1 matrices."""
    n_nodes = before.shape[1]

    def change(w: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        b, r = w @ before, w @ recent
        share_b = (b + 0.5) / (b.sum(-1, keepdims=True) + 0.5 * n_nodes)
        share_r = (r + 0.5) / (r.sum(-1, keepdims=True) + 0.5 * n_nodes)
        return np.log2(share_r / share_b)

    point = change(np.ones((1, before.shape[0])))[0]
    rng = np.random.default_rng(seed)
    boot = np.concatenate([change(rng.poisson(1.0, (min(100, n_boot - s), before.shape[0])).astype(np.float64))
                           for s in range(0, n_boot, 100)])
    tail = (1.0 - interval) / 2.0 * 100.0
    return point, np.percentile(boot, tail, axis=0), np.percentile(boot, 100.0 - tail, axis=0)


def interest_trends(
    hist: InterestHistory, level: str, config: PopulationConfig, short_window: int, max_history: int,
    adoptions: pd.DataFrame | None = None, period: str | None = None, recent_share: float | None = None,
) -> TrendReport:
    """Series and changes for every interest at ``level`` (see the module docstring).

    Args:
        hist: Labelled histories.
        level: ``fine`` or ``theme``.
        config: Periods, hold share, recent share, bootstrap size and interval.
        short_window, max_history: The model's two windows (items).
        adoptions: Detected adoptions at this level (:func:`detect_adoptions`), counted per
            period and in the recent part; None leaves the counts at zero.
        period: Overrides ``config.period``; ``recent_share`` overrides ``config.recent_share``.
    """
    check_level(level)
    frame = hist.frame
    n_nodes = hist.n_nodes(level)
    labels = [hist.label(level, k) for k in range(n_nodes)]
    days = frame["days"].to_numpy()
    if len(frame) == 0:
        return TrendReport(level, "week", 0.0, 0.0, 0.0, pd.DataFrame(columns=SERIES_COLUMNS),
                           pd.DataFrame(columns=CHANGE_COLUMNS))
    period = resolve_period(period or config.period, days)
    share = config.recent_share if recent_share is None else recent_share
    start, end = float(days.min()), float(days.max())
    split_at = end - share * (end - start)
    nodes = frame[level].to_numpy()
    users = frame["user"].to_numpy()
    per = period_of(days, period)
    codes, uniques = pd.factorize(per, sort=True)

    # Per period and interest: touches, users; per period: active users.
    key = pd.DataFrame({"p": codes, "node": nodes, "user": users})
    touches = key.groupby(["p", "node"]).size()
    reach = key.drop_duplicates(["p", "node", "user"]).groupby(["p", "node"]).size()
    active = key.drop_duplicates(["p", "user"]).groupby("p").size()
    # Holders at the end of every (user, period) the user was active in.
    last = key.reset_index().groupby(["user", "p"], sort=False)["index"].max()
    rows = last.to_numpy().astype(np.int64)
    short = holdings(hist, level, rows, short_window, config.hold_share)
    long = holdings(hist, level, rows, max_history, config.hold_share)
    p_of_row = last.index.get_level_values("p").to_numpy()
    short_n = np.zeros((len(uniques), n_nodes), np.int64)
    long_n = np.zeros((len(uniques), n_nodes), np.int64)
    np.add.at(short_n, p_of_row, short.astype(np.int64))
    np.add.at(long_n, p_of_row, long.astype(np.int64))
    adopt_n = np.zeros((len(uniques), n_nodes), np.int64)
    adopt_recent = np.zeros(n_nodes, np.int64)
    if adoptions is not None and len(adoptions):
        a_days = adoptions["burst_days"].to_numpy(np.float64)
        a_codes = uniques.get_indexer(period_of(a_days, period))
        ok = a_codes >= 0
        np.add.at(adopt_n, (a_codes[ok], adoptions["node"].to_numpy(np.int64)[ok]), 1)
        np.add.at(adopt_recent, adoptions["node"].to_numpy(np.int64)[a_days >= split_at], 1)

    grid = pd.MultiIndex.from_product([range(len(uniques)), range(n_nodes)], names=["p", "node"])
    series = pd.DataFrame(index=grid)
    series["touches"] = touches.reindex(grid, fill_value=0).to_numpy()
    series["users"] = reach.reindex(grid, fill_value=0).to_numpy()
    series = series.reset_index()
    p_idx = series["p"].to_numpy()
    node_idx = series["node"].to_numpy()
    series["active_users"] = active.reindex(range(len(uniques)), fill_value=0).to_numpy()[p_idx]
    totals = series.groupby("p")["touches"].transform("sum").to_numpy()
    series["touch_share"] = series["touches"] / np.maximum(totals, 1)
    series["user_share"] = series["users"] / np.maximum(series["active_users"], 1)
    series["short_holders"] = short_n[p_idx, node_idx]
    series["long_holders"] = long_n[p_idx, node_idx]
    series["adoptions"] = adopt_n[p_idx, node_idx]
    series["period"] = [str(uniques[p]) for p in p_idx]
    series["period_start"] = [uniques[p].start_time for p in p_idx]
    series["label"] = [labels[k] for k in node_idx]
    series = series[SERIES_COLUMNS]

    # Recent against before: per user 0/1 matrices, then the pair-share change with its interval.
    n_users = len(hist.user_ids)
    recent_row = days >= split_at

    def indicator(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        m = np.zeros((n_users, n_nodes))
        m[users[mask], nodes[mask]] = 1.0
        return m

    touched_before, touched_recent = indicator(~recent_row), indicator(recent_row)
    change, low, high = _pair_share_change(touched_before, touched_recent, config.n_boot, config.interval, config.seed)
    holder_user = last.index.get_level_values("user").to_numpy()
    holder_recent = days[rows] >= split_at

    def holders(held: npt.NDArray[np.bool_], part: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        m = np.zeros((n_users, n_nodes))
        np.maximum.at(m, holder_user[part], held[part].astype(np.float64))
        return m

    s_change, s_low, s_high = _pair_share_change(holders(short, ~holder_recent), holders(short, holder_recent),
                                                 config.n_boot, config.interval, config.seed + 1)
    l_change, l_low, l_high = _pair_share_change(holders(long, ~holder_recent), holders(long, holder_recent),
                                                 config.n_boot, config.interval, config.seed + 2)
    pairs_b, pairs_r = touched_before.sum(), touched_recent.sum()
    is_new = (touched_before.sum(0) == 0) & (touched_recent.sum(0) > 0)
    changes = pd.DataFrame({
        "node": np.arange(n_nodes),
        "label": labels,
        "parent": [hist.label("theme", int(hist.theme_of_fine[k])) if level == "fine" else "" for k in range(n_nodes)],
        "users_before": touched_before.sum(0).astype(np.int64),
        "users_recent": touched_recent.sum(0).astype(np.int64),
        "share_before": touched_before.sum(0) / max(pairs_b, 1.0),
        "share_recent": touched_recent.sum(0) / max(pairs_r, 1.0),
        "change": change, "change_low": low, "change_high": high,
        "status": np.where(is_new, "new", np.where(low > 0, "rising", np.where(high < 0, "falling", "steady"))),
        "short_change": s_change, "short_low": s_low, "short_high": s_high,
        "long_change": l_change, "long_low": l_low, "long_high": l_high,
        "emerging": (s_low > 0) & (l_low <= 0),
        "new": is_new,
        "adoptions": adopt_recent,
    })
    seen = (changes["users_before"] + changes["users_recent"]) > 0
    changes = changes[seen]
    status = changes["status"].to_numpy()
    group = np.select([status == "rising", status == "new", status == "steady"], [0, 1, 2], 3)
    within = np.select([status == "rising", status == "new", status == "steady"],
                       [-changes["change_low"], -changes["users_recent"].astype(np.float64), -changes["change"]],
                       -changes["change_high"])
    changes = changes.iloc[np.lexsort((within, group))].reset_index(drop=True)
    return TrendReport(level, period, split_at, start, end, series, changes[CHANGE_COLUMNS],
                       int(np.unique(users[~recent_row]).size), int(np.unique(users[recent_row]).size))


def interest_movers(hist: InterestHistory, level: str, node: int, split_at: float, config: PopulationConfig,
                    short_window: int, max_history: int) -> pd.DataFrame:
    """Users whose hold on one interest changed between the part before ``split_at`` and the
    recent part: ``joined`` (hold it now, did not before) or ``left``, with their touches of it
    in each part and whether they hold it short- or long-term at the end of each part.

    Columns user_id, move, touches_before, touches_recent, short_before, long_before,
    short_recent, long_recent; joined first, most recent touches first.
    """
    check_level(level)
    frame = hist.frame
    cols = ["user_id", "move", "touches_before", "touches_recent", "short_before", "long_before",
            "short_recent", "long_recent"]
    if len(frame) == 0:
        return pd.DataFrame(columns=cols)
    days = frame["days"].to_numpy()
    users = frame["user"].to_numpy()
    on_node = frame[level].to_numpy() == node
    recent = days >= split_at
    touched = np.unique(users[on_node])
    if len(touched) == 0:
        return pd.DataFrame(columns=cols)
    # The last row of each touching user in each part: their holds at the end of that part.
    key = pd.DataFrame({"user": users, "recent": recent, "row": np.arange(len(frame))})
    key = key[np.isin(users, touched)]
    last = key.groupby(["user", "recent"])["row"].max()
    rows = last.to_numpy().astype(np.int64)
    short = holdings(hist, level, rows, short_window, config.hold_share)[:, node]
    long = holdings(hist, level, rows, max_history, config.hold_share)[:, node]
    holds = pd.DataFrame({"user": last.index.get_level_values("user"), "recent": last.index.get_level_values("recent"),
                          "short": short, "long": long})
    wide = holds.pivot_table(index="user", columns="recent", values=["short", "long"], aggfunc="max", fill_value=False)
    out = pd.DataFrame(index=pd.Index(touched, name="user"))
    for what in ("short", "long"):
        for part, name in ((False, "before"), (True, "recent")):
            col = (what, part)
            out[f"{what}_{name}"] = wide[col].reindex(out.index, fill_value=False).astype(bool) if col in wide else False
    counts = pd.DataFrame({"user": users[on_node], "recent": recent[on_node]}).groupby(["user", "recent"]).size()
    out["touches_before"] = [int(counts.get((u, False), 0)) for u in out.index]
    out["touches_recent"] = [int(counts.get((u, True), 0)) for u in out.index]
    held_before = out["short_before"] | out["long_before"]
    held_recent = out["short_recent"] | out["long_recent"]
    out["move"] = np.where(held_recent & ~held_before, "joined", np.where(held_before & ~held_recent, "left", ""))
    out = out[out["move"] != ""].copy()
    out["user_id"] = [hist.user_ids[int(u)] for u in out.index]
    out = out.sort_values(["move", "touches_recent", "touches_before"], ascending=[True, False, False])
    return out[cols].reset_index(drop=True)
