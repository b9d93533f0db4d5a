"""User explorer: one user's events over time, what their long- and short-term branches
attend to in the interest hierarchy, and how the learned fusion weight came about."""

from __future__ import annotations

import re

import numpy as np
import streamlit as st

from app_ui.shared import (
    as_of_picker,
    engine,
    events_key,
    md,
    require_model,
    seed_widget,
    selected_user,
    set_params,
    user_interests,
    user_timeline,
)
from recsys_core.moments import from_days, parse_as_of
from recsys_core.profiles import fold_timeline
from recsys_core.viz import build_gate_curve, build_interest_sunburst, build_timeline

eng = engine()
version = require_model(eng)
user = selected_user()
st.title(f"User explorer: {md(user)}" if user else "User explorer")
if version is None or user is None:
    st.stop()

picker, _, download = st.columns([1, 2, 1], vertical_alignment="bottom")
with picker:
    as_of = as_of_picker("user.asof", str(st.query_params.get("asof", "next-visit")))
moment = parse_as_of(as_of)
download.download_button("Download as a report (HTML)", data=lambda: eng.report("user", user_id=user, as_of=moment),
                         file_name=f"user-{re.sub(r'[^A-Za-z0-9._-]+', '_', user)}.html", mime="text/html", on_click="ignore",
                         icon=":material/download:", key="user.report",
                         help="This user's page as one file that opens offline, for someone without the app.")
state = eng.user_state(user, include_simulated=True, as_of=moment)
events = user_timeline(eng, version, user, True, events_key(), as_of)
shares = user_interests(eng, version, user, True, events_key(), as_of)
profile = eng.profile_text(user)
if profile:
    st.markdown(f"> {md(profile)}")
if state.cold_start:
    st.info("No usable history: " + ("recommendations come from the profile text." if state.cold_start == "profile"
                                     else "recommendations are the most popular items."))

cols = st.columns(5)
cols[0].metric("Events", f"{len(events):,}")
cols[1].metric("Items read (long-term)", f"{int(events['in_long'].sum()) if len(events) else 0}",
               help="The long-term branch reads up to the last 100 distinct items, with a learned time decay")
cols[2].metric("Items read (short-term)", f"{int(events['in_short'].sum()) if len(events) else 0}")
cols[3].metric("Learned long-term weight", f"{state.gate:.2f}")
cols[4].metric("Idle for", f"{(state.hours_since_last or 0) / 24:.1f} days",
               help="Time from the user's last event to the moment they are looked at"
                    + (f" ({from_days(state.at_days):%Y-%m-%d %H:%M} UTC)" if state.at_days is not None else ""))

adopted = eng.adoptions("fine", user)
title, rows_toggle = st.columns([3, 1], vertical_alignment="bottom")
title.subheader("Timeline")
n_interests, max_rows = (int(events["fine_id"].nunique()) if len(events) else 0), eng.config.display.timeline_rows
if n_interests > max_rows:
    seed_widget("user.all_rows", "rows", lambda v: v == "all", False)
    all_rows = rows_toggle.toggle(f"All {n_interests} interests", key="user.all_rows",
                                  help=f"Off: the {max_rows - 1} interests the model reads now or the user touched most, "
                                       "the rest in one grey row")
    set_params(rows="all" if all_rows else None)
else:
    all_rows = True
shown, n_folded = (events, 0) if all_rows else fold_timeline(events, max_rows)
st.plotly_chart(build_timeline(shown, adoptions=adopted), width="stretch", key="user.timeline")
st.caption("One row per fine interest, coloured by theme. Faded: outside the long-term window. Orange ring: read by "
           "the short-term branch." + (" Purple band: an adoption, from the burst on an interest new to the user to "
                                       "its first return (see Trends & segments)." if len(adopted) else "")
           + (f" Grey row: {n_folded} more interests, below these in what the model reads now, then in how much the user "
              "touched them." if n_folded else ""))

st.subheader("Interests, long-term against short-term")
a, b = st.columns(2)
a.plotly_chart(build_interest_sunburst(shares, "long", "Long-term attention"), width="stretch", key="user.long")
b.plotly_chart(build_interest_sunburst(shares, "short", "Short-term attention"), width="stretch", key="user.short")
fine = shares[shares["level"] == "fine"][["label", "parent_label", "long", "short", "n_items"]]
st.dataframe(fine.rename(columns={"label": "fine interest", "parent_label": "theme", "n_items": "items"}),
             hide_index=True, width="stretch",
             column_config={"long": st.column_config.ProgressColumn("long-term share", format="percent", max_value=1.0),
                            "short": st.column_config.ProgressColumn("short-term share", format="percent",
                                                                      max_value=1.0)})

st.subheader("How the learned weight came about")
hours = np.geomspace(0.1, 24 * 120, 60)
curve = eng.gate_response(user, hours, include_simulated=True, as_of=moment)
left, right = st.columns([2, 1])
left.plotly_chart(build_gate_curve(hours, curve, state.hours_since_last, state.gate), width="stretch",
                  key="user.gate")
cosine = float(state.u_long @ state.u_short)
inputs = state.gate_inputs if state.gate_inputs is not None else np.zeros(0)
fit = f"\n- **{float(inputs[4]):.2f}** how well the newest items fit the long-term vector" if len(inputs) >= 5 else ""
reads = {"summary": "five numbers", "vectors": "five numbers and both interest vectors",
         "legacy": "four numbers and both interest vectors"}.get(eng.serving().config.gate_inputs, "these numbers")
right.markdown(
    f"The gate reads {reads}:\n\n"
    f"- **{(state.hours_since_last or 0):,.0f} hours** since the last event\n"
    f"- **{state.session_length:,}** events in the current session "
    f"({eng.serving().config.session_gap_minutes:g}-minute gaps)\n"
    f"- **{len(state.history):,}** items in the history\n"
    f"- **{cosine:.2f}** cosine between the long- and short-term vectors{fit}\n\n"
    f"and gives **{state.gate:.2f}** to long-term interest. The curve shows what it would give after other idle "
    f"times with the rest unchanged: recent activity pulls the weight towards the short-term branch.")
