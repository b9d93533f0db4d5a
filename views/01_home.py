"""Overview: what is loaded, how active it is, and a way back to the sample data."""

from __future__ import annotations

import streamlit as st

from app_ui.shared import (
    build_key,
    bump_build_key,
    clear_data_caches,
    engine,
    overview,
    pipeline_status,
    run_with_progress,
)
from recsys_core.evaluation.runs import MODEL_NAMES
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

status = pipeline_status(eng, eng.data_version(), build_key())
st.subheader("Interest model")
if status.build is None:
    st.info("No model yet. Build it to see interests, user vectors and recommendations "
            "(about 4 minutes on the sample shop; the text vectors are kept, so rebuilds are faster).")
else:
    b, stats = status.build, status.build.stats
    build_cols = st.columns(4)
    build_cols[0].metric("Build", f"#{b.build_id}", help=f"Built {b.created_at[:16].replace('T', ' ')} UTC")
    build_cols[1].metric("Fine interests", f"{stats.get('n_fine', '-')}", help="Clusters of similar items")
    build_cols[2].metric("Themes", f"{stats.get('n_themes', '-')}", help="Groups of fine interests")
    build_cols[3].metric("Users modelled", f"{stats.get('n_users', 0):,}", help="Users with a long/short-term state")
    losses = stats.get("losses")
    epochs = len(losses) if isinstance(losses, list) else 0
    st.caption(f"Built {b.created_at[:16].replace('T', ' ')} UTC from data version {b.data_version} with the "
               f"text encoder {b.embedding_model}; trained {epochs} epoch{'' if epochs == 1 else 's'}.")
    if status.is_stale:
        st.warning("The data changed after this build; rebuild to include it.")
ev = status.evaluation
if ev is not None:
    learned, baseline = float(ev["learned_ndcg_10"]), float(ev["best_baseline_ndcg_10"])  # type: ignore[arg-type]
    lift = learned / baseline - 1 if baseline else 0.0
    st.caption(
        f"Latest evaluation (run {ev['run_id']}, {ev['n_users']:,} users, newest item per user held out): "
        f"NDCG@10 {ev['learned_ndcg_10']:.3f} with the learned gate against {ev['best_baseline_ndcg_10']:.3f} "
        f"for the best baseline ({MODEL_NAMES.get(str(ev['best_baseline']), ev['best_baseline'])}), "
        f"{lift:+.0%}."
    )

label = "Build the model" if status.build is None else "Rebuild the model"
if st.button(label, key="home.build", type="primary" if status.build is None else "secondary",
             help="Embed item texts, build the interest hierarchy and train the long/short-term model"):
    report = run_with_progress(lambda progress: eng.build(on_progress=progress),
                               "Check that the data has items and users with at least two events each.")
    if report is not None:
        bump_build_key()
        st.rerun()

with st.expander("Database"):
    st.markdown(
        f"- File: `{info.path}` (schema version {info.schema_version}, data version {info.data_version})"
    )
    if st.button("Load the sample data again", key="home.reload_sample",
                 help="Replaces everything in the database with the shipped sample shop"):
        if run_with_progress(lambda progress: eng.load_sample(on_progress=progress)) is not None:
            clear_data_caches()
            st.rerun()
