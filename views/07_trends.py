"""Trends & segments: which interests rise and fall across all users, who moved, and which
bursts became lasting interests. Every control lives in the URL."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_ui.shared import SELECTED_USER, USER_PARAM, engine, md, require_model, seed_widget, set_params
from recsys_core.errors import RecsysError
from recsys_core.moments import from_days
from recsys_core.viz import TREND_MEASURES, build_holders, build_interest_series, build_trend_changes

LEVELS = {"fine": "fine interests", "theme": "themes"}
PERIODS = {"auto": "automatic", "week": "weeks", "month": "months", "quarter": "quarters"}
OPEN_USER = "trends.open_user"


def _open_in_explorer(user_id: str) -> None:
    """Button callback: select the user everywhere, then the page switches to the explorer."""
    st.session_state["sidebar.user"] = user_id
    st.session_state[SELECTED_USER] = user_id
    st.session_state[OPEN_USER] = user_id


def _open_picker(user_ids: list[str], key: str) -> None:
    """A user from a table, and a button that opens them in the user explorer."""
    pick, go = st.columns([2, 1], vertical_alignment="bottom")
    uid = pick.selectbox("User", user_ids, key=key, help="In the order of the table above.")
    go.button("Open in the user explorer", on_click=_open_in_explorer, args=(uid,), key=f"{key}.open",
              icon=":material/person_search:")


if (pending := st.session_state.pop(OPEN_USER, None)) is not None:
    st.switch_page("views/04_user_explorer.py", query_params={USER_PARAM: pending})

eng = engine()
st.title("Trends & segments")
if require_model(eng) is None:
    st.stop()

seed_widget("trends.level", "tlevel", lambda v: v if v in LEVELS else "fine", "fine")
seed_widget("trends.period", "period", lambda v: v if v in PERIODS else "auto", "auto")
seed_widget("trends.recent", "recent", lambda v: min(max(round(float(v) * 20) / 20, 0.1), 0.9), 0.5)
seed_widget("trends.measure", "measure", lambda v: v if v in TREND_MEASURES else "user_share", "user_share")

c1, c2, c3 = st.columns([1, 1, 2])
level = c1.selectbox("Level", list(LEVELS), key="trends.level", format_func=LEVELS.__getitem__)
period = c2.selectbox("Periods", list(PERIODS), key="trends.period", format_func=PERIODS.__getitem__,
                      help="Automatic: weeks for up to two years of data, months up to ten, quarters beyond.")
recent = c3.slider("Recent part (share of the data's time span)", 0.1, 0.9, key="trends.recent", step=0.05,
                   help="The later part of the data compared with the part before it.")
set_params(tlevel=None if level == "fine" else level, period=None if period == "auto" else period,
           recent=None if recent == 0.5 else f"{recent:g}")

try:
    with st.spinner("Reading every user's history..."):
        report = eng.interest_trends(level, period, recent)
        adoptions = eng.adoptions(level)
except RecsysError as exc:
    st.error(str(exc))
    st.stop()
changes = report.changes
if changes.empty:
    st.info("No liked events on the newest build's items yet.")
    st.stop()

split = pd.Timestamp(from_days(report.split_at))
st.caption(
    f"{LEVELS[level].capitalize()} in {report.period}s, {from_days(report.start):%Y-%m-%d} to "
    f"{from_days(report.end):%Y-%m-%d}; the recent part starts {split:%Y-%m-%d}. **Change** is the interest's share "
    f"of (user, interest) pairs, recent over before, on a log2 scale (+1: doubled): every active user counts once "
    f"per interest they touched, so one heavy user cannot move it. The bars are "
    f"{eng.config.population.interval:.0%} intervals over users; only an interval clear of zero is called "
    "rising or falling.")

recent_adoptions = adoptions[adoptions["burst_days"] >= report.split_at]
m = st.columns(5)
m[0].metric("Rising", int((changes["status"] == "rising").sum()))
m[1].metric("Falling", int((changes["status"] == "falling").sum()))
m[2].metric("Emerging", int(changes["emerging"].sum()),
            help="Short-term holders clearly rising, long-term holders not (yet): a taste on its way in.")
m[3].metric("Adoptions in the recent part", len(recent_adoptions),
            help="Bursts of sessions on an interest new to the user that kept coming back afterwards.")
m[4].metric("Active users, before / recent", f"{report.active_before:,} / {report.active_recent:,}")

st.download_button("Download as a report (HTML)", data=lambda: eng.report("trends", level=level, period=period,
                                                                         recent_share=recent),
                   file_name=f"interest-trends-{level}.html", mime="text/html", on_click="ignore",
                   icon=":material/download:", key="trends.report",
                   help="One file with these figures, interactive, that opens offline: for someone without the app.")

rising, falling = report.rising(), report.falling()
left, right = st.columns(2)
picked: list[int] = []
for column, table, title, key in ((left, rising, "Rising", "trends.rising"), (right, falling, "Falling", "trends.falling")):
    with column:
        if table.empty:
            st.markdown(f"**{title}**: none with an interval clear of zero.")
            continue
        shown = table.head(12)
        event = st.plotly_chart(build_trend_changes(shown, f"{title} ({len(table)})"), width="stretch", key=key,
                                on_select="rerun", selection_mode="points")
        points = getattr(getattr(event, "selection", None), "points", None) or []
        picked += [int(p["customdata"][0]) for p in points if p.get("customdata") is not None]

labels = dict(zip(changes["node"].astype(int), changes["label"], strict=True))
order = changes["node"].astype(int).tolist()
seed_widget("trends.interest", "interest", lambda v: int(v) if int(v) in labels else order[0], order[0])
if st.session_state["trends.interest"] not in labels:
    st.session_state["trends.interest"] = order[0]
if picked and picked[0] != st.session_state.get("trends.last_pick"):
    st.session_state["trends.interest"] = picked[0]  # a click on a chart picks the interest below
    st.session_state["trends.last_pick"] = picked[0]

with st.expander("Every interest's change", expanded=False):
    st.dataframe(
        changes[["label", "parent", "status", "new", "emerging", "users_before", "users_recent", "change",
                 "change_low", "change_high", "short_change", "long_change", "adoptions"]],
        hide_index=True, width="stretch",
        column_config={"label": "interest", "parent": "theme", "users_before": "users before",
                       "users_recent": "users recent", "change": st.column_config.NumberColumn("change", format="%+.2f"),
                       "change_low": st.column_config.NumberColumn("low", format="%+.2f"),
                       "change_high": st.column_config.NumberColumn("high", format="%+.2f"),
                       "short_change": st.column_config.NumberColumn("short-term holders", format="%+.2f"),
                       "long_change": st.column_config.NumberColumn("long-term holders", format="%+.2f")})

st.subheader("One interest over time")
a, b = st.columns([2, 1])
node = a.selectbox("Interest", order, key="trends.interest",
                   format_func=lambda n: f"{labels[n]} · {changes.set_index('node').loc[n, 'status']}",
                   help="Click a dot in the charts above to pick it.")
measure = b.selectbox("Measure", list(TREND_MEASURES), key="trends.measure", format_func=TREND_MEASURES.__getitem__)
set_params(interest=None if node == order[0] else node, measure=None if measure == "user_share" else measure)
row = changes.set_index("node").loc[node]
st.markdown(
    f"**{md(labels[node])}**: {int(row['users_before']):,} users before, {int(row['users_recent']):,} recent; "
    f"share x{2 ** row['change']:.2f} (interval x{2 ** row['change_low']:.2f} to x{2 ** row['change_high']:.2f}); "
    f"short-term holders x{2 ** row['short_change']:.2f}, long-term holders x{2 ** row['long_change']:.2f}"
    + ("; **emerging**" if row["emerging"] else "") + ("; **new** in the recent part" if row["new"] else "") + ".")
series_left, series_right = st.columns([3, 2])
series_left.plotly_chart(build_interest_series(report.series, [node], measure, split), width="stretch",
                         key="trends.series")
series_right.plotly_chart(build_holders(report.series, node, split), width="stretch", key="trends.holders")

movers = eng.interest_movers(level, node, period, recent)
st.markdown(f"**Users who moved**: {int((movers['move'] == 'joined').sum()):,} took it up in the recent part, "
            f"{int((movers['move'] == 'left').sum()):,} let it go.")
st.dataframe(movers, hide_index=True, width="stretch", height=260,
             column_config={"user_id": "user", "touches_before": "items before", "touches_recent": "items recent",
                            "short_before": "short-term before", "long_before": "long-term before",
                            "short_recent": "short-term now", "long_recent": "long-term now"})
if len(movers):
    _open_picker(movers["user_id"].astype(str).tolist(), "trends.mover")

st.subheader("Adoptions")
st.caption("A burst of sessions on an interest new to the user (at most "
           f"{eng.config.population.new_share:.0%} of their items before) that came back afterwards with at least "
           f"{eng.config.population.adopt_share:.0%} of their later items. The user explorer's timeline shows each one.")
if adoptions.empty:
    st.markdown("No adoption found.")
else:
    per = adoptions.groupby("label").size().sort_values(ascending=False).rename("adoptions").reset_index()
    t1, t2 = st.columns([1, 2])
    t1.dataframe(per, hide_index=True, width="stretch", height=300, column_config={"label": "interest"})
    listed = adoptions.sort_values("burst_days", ascending=False)[
        ["user_id", "label", "burst_at", "confirmed_at", "burst_sessions", "return_sessions", "share_after"]]
    t2.dataframe(listed, hide_index=True, width="stretch", height=300,
                 column_config={"user_id": "user", "label": "interest", "burst_at": "burst began",
                                "confirmed_at": "came back",
                                "share_after": st.column_config.ProgressColumn("share after", format="percent",
                                                                               max_value=1.0)})
    _open_picker(listed["user_id"].astype(str).drop_duplicates().tolist(), "trends.adopter")
