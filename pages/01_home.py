"""Overview: what is loaded, how active it is, and a way back to the sample data."""

from __future__ import annotations

import streamlit as st

from pages._shared import clear_data_caches, engine, overview, show_error
from recsys_core.errors import RecsysError
from recsys_core.viz import build_events_over_time, build_top_categories

eng = engine()
view = overview(eng, eng.data_version())
info = view.info

st.title("Interest explorer")
st.caption("What your users are into: broad themes, fine interests and single items, long-term and this week.")

cols = st.columns(5)
cols[0].metric("Items", f"{info.n_items:,}", help="Items in the catalogue")
cols[1].metric("Users", f"{info.n_users:,}", help="Users with at least one event or a profile")
cols[2].metric("Interactions", f"{info.n_interactions:,}", help="Views, clicks, purchases, ratings...")
cols[3].metric("First event", (info.first_event_at or "-")[:10], help="Date of the earliest event (UTC)")
cols[4].metric("Last event", (info.last_event_at or "-")[:10], help="Date of the latest event (UTC)")

left, right = st.columns([3, 2])
with left:
    st.plotly_chart(build_events_over_time(view.events_by_week), width="stretch", key="home.events_chart")
with right:
    st.plotly_chart(build_top_categories(view.top_categories), width="stretch", key="home.categories_chart")

if not view.activity.empty:
    a = view.activity.iloc[0]
    st.caption(
        f"Activity per user: median {int(a['median'])} events, 90th percentile {int(a['p90'])}, "
        f"99th percentile {int(a['p99'])}, most active {int(a['max'])}."
    )

with st.expander("Pipeline status and data"):
    st.markdown(
        f"- Database: `{info.path}` (schema version {info.schema_version}, data version {info.data_version})\n"
        "- Embeddings, interest hierarchy and user model: not built yet on this version of the app."
    )
    if st.button("Load the sample data again", key="home.reload_sample",
                 help="Replaces everything in the database with the shipped sample shop"):
        bar = st.progress(0.0, text="starting")
        try:
            eng.load_sample(on_progress=lambda stage, f: bar.progress(min(max(f, 0.0), 1.0), text=stage))
        except RecsysError as exc:
            show_error(exc)
        else:
            clear_data_caches()
            st.success("Sample data loaded.")
            st.rerun()
