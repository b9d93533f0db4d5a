"""Recommendation lab: tune the long/short fusion by hand and watch the list, its score split
and its checked explanations move; save settings as presets; simulate new events."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_ui import lab_parts as parts
from app_ui.shared import (
    as_of_picker,
    bump_events_key,
    engine,
    md,
    require_model,
    selected_user,
    set_params,
    show_error,
)
from recsys_core.errors import RecsysError
from recsys_core.lab_settings import LabSettings
from recsys_core.moments import parse_as_of
from recsys_core.viz import build_score_split

eng = engine()
user = selected_user()
st.title(f"Recommendation lab: {md(user)}" if user else "Recommendation lab")
if require_model(eng) is None or user is None:
    st.stop()

# A shared link's settings go into the widgets once per session; the alpha slider then shows the
# learned weight, so the user's state is read first (with the simulated events switch as it stands).
linked = LabSettings.from_query(st.query_params)
controls, main = st.columns([1, 2.6], gap="large")
with controls:
    as_of = as_of_picker("lab.asof", linked.as_of)
state = eng.user_state(user, bool(st.session_state.get("lab.simulated", linked.simulated)), as_of=parse_as_of(as_of))
learned = float(state.gate)
parts.seed_widgets(linked, learned)
with controls:
    simulated = st.toggle("Include simulated events", key="lab.simulated",
                          help="Events added below are kept apart from the real data")
    use_learned = st.toggle("Use the learned weight", key="lab.learned")
    alpha = st.slider("Weight of long-term interest", 0.0, 1.0, step=0.01, key="lab.alpha", disabled=use_learned,
                      help="0 = only recent activity (short-term), 1 = only long-term taste")
    parts.learned_marker(learned, user)
    diversity = st.slider("Diversity", 0.0, 1.0, step=0.05, key="lab.diversity",
                          help="Trade relevance for variety (maximal marginal relevance)")
    n = st.number_input("List length", 1, 50, key="lab.n")
    interest = st.text_input("Interest description", key="lab.interest", placeholder="e.g. espresso at home",
                             help="What to look for and what to leave out (\"loves X, hates Y\", \"X but not Y\"): "
                                  "items matching a liked part are kept and boosted, items nearer a disliked part dropped")
    reading_slot = st.empty()  # how the description was read, once the engine has read it
    threshold = st.slider("Match threshold", 0.0, 0.8, step=0.05, key="lab.threshold",
                          disabled=not interest.strip())
    writer = eng.explanations.explainer
    explain = st.toggle("Write explanations", key="lab.explain",
                        help=f"By {writer.backend_name} ({writer.model_name}); checked before shown")
    settings = LabSettings(alpha=None if use_learned else float(alpha), diversity=diversity, n=int(n),
                           interest=interest, threshold=threshold, simulated=simulated, explain=explain,
                           as_of=as_of)
    set_params(**settings.to_query())

    with st.expander("Presets", icon=":material/bookmarks:"):
        name = st.text_input("Save these settings as", key="lab.preset_name", placeholder="e.g. recent-heavy")
        if st.button("Save preset", key="lab.save_preset", disabled=not name.strip()):
            try:
                eng.save_preset(name, settings.to_preset())
                st.toast(f"Saved preset {name.strip()!r}")
            except RecsysError as exc:
                show_error(exc)
        presets = eng.presets()
        if presets:
            pick = st.selectbox("Apply a preset", list(presets), key="lab.preset_pick")
            st.button("Apply", key="lab.apply_preset", on_click=parts.apply_preset, args=(presets[pick], learned))

try:
    recs = eng.recommend(user, **settings.recommend_kwargs())
except RecsysError as exc:
    show_error(exc, "Change the settings on the left.")
    st.stop()

parts.show_reading(reading_slot, recs)
with main:
    parts.list_figures(recs, eng.summarise_list(recs), learned, by_hand=settings.alpha is not None)
    if recs.note:
        st.info(recs.note)
    parts.show_what_moved(user, recs)

    tab_list, tab_split, tab_compare, tab_simulate = st.tabs(["List", "Score split", "Compare presets", "Simulate"])
    with tab_split:
        frame = pd.DataFrame([{"rank": r.rank, "title": r.title, "long_part": r.long_part, "short_part": r.short_part,
                               "interest_part": r.interest_part} for r in recs.items])
        if len(frame):
            st.plotly_chart(build_score_split(frame), width="stretch", key="lab.split_chart")
    with tab_compare:
        parts.compare_presets(eng, user, presets, settings)
    with tab_simulate:
        st.caption("Add events for this user and watch the short-term interest, the learned weight and the list move. "
                   "Simulated events are stored apart from the real data.")
        pick = st.selectbox("Item", [r.item_id for r in recs.items], key="lab.sim_item",
                            format_func=lambda i: next(r.title for r in recs.items if r.item_id == i))
        c1, c2 = st.columns(2)
        if c1.button("Views this item", key="lab.sim_view", icon=":material/visibility:", disabled=not simulated):
            eng.record_event(user, pick, "view", simulated=True)
            bump_events_key()
            st.rerun()
        if c2.button("Clear simulated events", key="lab.sim_clear", icon=":material/delete_sweep:"):
            gone = eng.clear_simulated_events(user)
            bump_events_key()
            st.toast(f"Removed {gone} simulated event(s)")
            st.rerun()
        st.caption(f"Learned long-term weight now: {learned:.2f}; hours since the last event: "
                   f"{state.hours_since_last or 0:.1f}; session length: {state.session_length}.")

    with tab_list:
        rows = pd.DataFrame([{"rank": r.rank, "item_id": r.item_id, "title": r.title, "score": round(r.score, 4),
                              "long_part": round(r.long_part, 4), "short_part": round(r.short_part, 4),
                              "fine_interest": r.fine_label, "theme": r.theme_label,
                              "evidence": "; ".join(e.title for e in r.evidence)} for r in recs.items])
        slots = [(r, parts.draw_card(r)) for r in recs.items]
        st.download_button("Download the list as CSV", rows.to_csv(index=False).encode(), f"recommendations_{user}.csv",
                           "text/csv", key="lab.download", icon=":material/download:")
        for r, slot in slots:
            parts.fill_explanation(eng, recs, r, slot, settings)
