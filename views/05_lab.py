"""Recommendation lab: tune the long/short fusion by hand and watch the list, its score split
and its checked explanations move; save settings as presets; simulate new events.

The controls that shape the list and the list itself are one fragment: a slider move reruns
that fragment only, never the presets and the comparison below. Explanations are written in
the background and fill the cards as they come (see ``app_ui.lab_parts``).
"""

from __future__ import annotations

import streamlit as st

from app_ui import lab_parts as parts
from app_ui.shared import (
    as_of_picker,
    build_key,
    engine,
    evaluation_runs,
    gate_verdict,
    md,
    require_model,
    seed_widget,
    selected_user,
    set_params,
    show_error,
)
from recsys_core.engine import RecsysEngine
from recsys_core.errors import RecsysError
from recsys_core.lab_settings import LabSettings
from recsys_core.moments import parse_as_of


def policy_picker(eng: RecsysEngine, user: str, names: list[str]) -> None:
    """A saved fusion policy sets the weight slider to the weight of the user's segment (the
    learned one when none holds them) each time the policy or the user changes; moving the
    slider afterwards overrides it."""
    seed_widget("lab.policy", "policy", lambda v: v if v in names else "", "")
    if st.session_state["lab.policy"] not in ("", *names):
        st.session_state["lab.policy"] = ""
    pick = st.selectbox("Fusion policy", ["", *names], key="lab.policy",
                        format_func=lambda p: p or "none: set the weight below",
                        help="Saved on the Trends & segments page: a weight per segment of users.")
    set_params(policy=pick or None)
    if not pick:
        st.session_state.pop("lab.policy_applied", None)
        return
    try:
        weight, segment = eng.policy_alpha(pick, user)
    except RecsysError as exc:
        show_error(exc)
        return
    if st.session_state.get("lab.policy_applied") != (pick, user):
        st.session_state["lab.learned"] = weight is None
        if weight is not None:
            st.session_state["lab.alpha"] = weight
        st.session_state["lab.policy_applied"] = (pick, user)
    st.caption(f"{md(user)} is in {md(segment) if segment else 'none of its segments'}: weight "
               f"{'learned' if weight is None else f'{weight:.2f}'}. Moving the slider overrides it.")


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
policies = eng.policies()
with controls:
    if policies:
        policy_picker(eng, user, list(policies))
    st.toggle("Include simulated events", key="lab.simulated", help="Events added below are kept apart from the real data")
    tuner_box = st.container()
    presets_box = st.container()

runs = evaluation_runs(eng, build_key())
verdict = gate_verdict(eng, int(runs["run_id"].iloc[0])) if len(runs) else None
parts.tuner(eng, user, state, as_of, tuner_box, main, verdict)

settings = parts.current_settings(as_of, learned)
with presets_box, st.expander("Presets", icon=":material/bookmarks:"):
    name = st.text_input("Save these settings as", key="lab.preset_name", placeholder="e.g. recent-heavy")
    if st.button("Save preset", key="lab.save_preset", disabled=not name.strip()):
        try:
            eng.save_preset(name, parts.current_settings(as_of, learned).to_preset())
            st.toast(f"Saved preset {name.strip()!r}")
        except RecsysError as exc:
            show_error(exc)
    presets = eng.presets()
    if presets:
        pick = st.selectbox("Apply a preset", list(presets), key="lab.preset_pick")
        st.button("Apply", key="lab.apply_preset", on_click=parts.apply_preset, args=(presets[pick], learned))
with main, st.expander("Compare presets", icon=":material/compare:"):
    parts.compare_presets(eng, user, presets, settings)
