"""Recommendation lab: tune the long/short fusion by hand and watch the list, its score split
and its checked explanations move; save settings as presets; simulate new events."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages._shared import (
    LAST_LIST,
    bounded,
    bump_events_key,
    engine,
    flag,
    require_model,
    seed_widget,
    selected_user,
    set_params,
    show_error,
)
from recsys_core.compare import diff_lists
from recsys_core.errors import RecsysError
from recsys_core.viz import build_score_split

eng = engine()
user = selected_user()
st.title(f"Recommendation lab: {user}" if user else "Recommendation lab")
if require_model(eng) is None or user is None:
    st.stop()


def _learned_unless_alpha(raw: str) -> bool:
    """A valid alpha in the link switches the learned weight off; a bad one keeps it."""
    bounded(float, 0.0, 1.0)(raw)  # raises ValueError for a bad alpha: the default (learned) stays
    return False


seed_widget("lab.learned", "alpha", _learned_unless_alpha, True)
seed_widget("lab.diversity", "div", bounded(float, 0.0, 1.0), 0.0)
seed_widget("lab.n", "n", bounded(int, 1, 50), 10)
seed_widget("lab.interest", "interest", str, "")
seed_widget("lab.threshold", "thr", bounded(float, 0.0, 0.8), 0.25)
seed_widget("lab.simulated", "sim", flag, True)
seed_widget("lab.explain", "explain", flag, True)

def apply_preset(p: dict[str, object], learned: float) -> None:
    """Put a preset's values into the widgets (runs before they are drawn again)."""
    st.session_state["lab.learned"] = p.get("alpha") is None
    st.session_state["lab.alpha"] = float(p["alpha"]) if p.get("alpha") is not None else round(learned, 2)  # type: ignore[arg-type]
    st.session_state["lab.diversity"] = float(p.get("diversity", 0.0))  # type: ignore[arg-type]
    st.session_state["lab.n"] = int(p.get("n", 10))  # type: ignore[call-overload]
    st.session_state["lab.interest"] = str(p.get("interest", ""))
    st.session_state["lab.threshold"] = float(p.get("threshold", 0.25))  # type: ignore[arg-type]


controls, main = st.columns([1, 2.6], gap="large")
with controls:
    simulated = st.toggle("Include simulated events", key="lab.simulated",
                          help="Events added below are kept apart from the real data")
    state = eng.user_state(user, simulated)
    learned = float(state.gate)
    seed_widget("lab.alpha", "alpha", bounded(float, 0.0, 1.0), round(learned, 2))
    use_learned = st.toggle("Use the learned weight", key="lab.learned")
    alpha = st.slider("Weight of long-term interest", 0.0, 1.0, step=0.01, key="lab.alpha", disabled=use_learned,
                      help="0 = only recent activity (short-term), 1 = only long-term taste")
    st.markdown(
        f"<div style='position:relative;height:16px;margin:-14px 8px 0 8px;font-size:12px;color:#1f5f8b'>"
        f"<span style='position:absolute;left:calc({learned * 100:.1f}% - 5px)'>▲</span></div>"
        f"<div style='font-size:13px;color:#1f5f8b'>learned for {user}: <b>{learned:.2f}</b></div>",
        unsafe_allow_html=True)
    diversity = st.slider("Diversity", 0.0, 1.0, step=0.05, key="lab.diversity",
                          help="Trade relevance for variety (maximal marginal relevance)")
    n = st.number_input("List length", 1, 50, key="lab.n")
    interest = st.text_input("Interest description", key="lab.interest", placeholder="e.g. espresso at home",
                             help="Items whose text matches are kept and boosted")
    threshold = st.slider("Match threshold", 0.0, 0.8, step=0.05, key="lab.threshold",
                          disabled=not interest.strip())
    explain = st.toggle("Write explanations", key="lab.explain",
                        help=f"By {eng.explainer.backend_name} ({eng.explainer.model_name}); checked before shown")
    chosen = None if use_learned else float(alpha)
    set_params(alpha=chosen, div=diversity or None, n=n if n != 10 else None, interest=interest.strip() or None,
               thr=threshold if interest.strip() and threshold != 0.25 else None,
               sim=None if simulated else 0, explain=None if explain else 0)

    settings = {"alpha": chosen, "diversity": diversity, "n": int(n), "interest": interest.strip(),
                "threshold": threshold}
    with st.expander("Presets", icon=":material/bookmarks:"):
        name = st.text_input("Save these settings as", key="lab.preset_name", placeholder="e.g. recent-heavy")
        if st.button("Save preset", key="lab.save_preset", disabled=not name.strip()):
            try:
                eng.save_preset(name, settings)
                st.toast(f"Saved preset {name.strip()!r}")
            except RecsysError as exc:
                show_error(exc)
        presets = eng.presets()
        if presets:
            pick = st.selectbox("Apply a preset", list(presets), key="lab.preset_pick")
            st.button("Apply", key="lab.apply_preset", on_click=apply_preset, args=(presets[pick], learned))

try:
    recs = eng.recommend(user, n=int(n), alpha=chosen, interest=interest or None, interest_threshold=threshold,
                         diversity=diversity, include_simulated=simulated)
except RecsysError as exc:
    show_error(exc, "Change the settings on the left.")
    st.stop()

with main:
    cols = st.columns(5)
    cols[0].metric("Long-term weight", f"{recs.alpha:.2f}",
                   help="The learned weight" if chosen is None else f"Set by hand; learned: {learned:.2f}")
    summary = eng.summarise_list(recs)
    cols[1].metric("Long-term share", f"{summary['long-term share']:.0%}",
                   help="Share of the list's scores that comes from long-term interest")
    cols[2].metric("Diversity", f"{summary['diversity']:.2f}", help="1 - mean cosine between the items' texts")
    cols[3].metric("Novelty", f"{summary['novelty']:.1f}", help="Mean -log2 popularity share (higher = less known)")
    cols[4].metric("Themes in the list", f"{summary['themes']:.0f}")
    if recs.note:
        st.info(recs.note)

    ids = [r.item_id for r in recs.items]
    last = st.session_state.get(LAST_LIST)
    if last and last[0] == user and last[1] != ids:
        change = diff_lists(last[1], ids)
        titles = {r.item_id: r.title for r in recs.items}
        parts = []
        if change.new:
            parts.append("**New:** " + ", ".join(titles[i] for i in change.new))
        if change.dropped:
            parts.append(f"**Dropped:** {len(change.dropped)} item(s)")
        if change.moves:
            parts.append("**Moved:** " + ", ".join(f"{titles[i][:28]} {a}→{b}" for i, (a, b) in change.moves.items()))
        st.success("  \n".join(parts), icon=":material/compare_arrows:")
    if not last or last[1] != ids or last[0] != user:
        st.session_state[LAST_LIST] = (user, ids)

    tab_list, tab_split, tab_compare, tab_simulate = st.tabs(["List", "Score split", "Compare presets", "Simulate"])
    with tab_split:
        frame = pd.DataFrame([{"rank": r.rank, "title": r.title, "long_part": r.long_part, "short_part": r.short_part,
                               "interest_part": r.interest_part} for r in recs.items])
        if len(frame):
            st.plotly_chart(build_score_split(frame), width="stretch", key="lab.split_chart")
    with tab_compare:
        if len(presets) < 2:
            st.caption("Save two presets to compare their lists for this user side by side.")
        else:
            a_name, b_name = st.columns(2)
            pa = a_name.selectbox("Preset A", list(presets), key="lab.cmp_a")
            pb = b_name.selectbox("Preset B", list(presets), index=1, key="lab.cmp_b")

            def run(p: dict[str, object]):  # noqa: ANN202
                return eng.recommend(user, n=int(p.get("n", 10)), alpha=p.get("alpha"),  # type: ignore[arg-type, call-overload]
                                     interest=str(p.get("interest") or "") or None,
                                     interest_threshold=float(p.get("threshold", 0.25)),  # type: ignore[arg-type]
                                     diversity=float(p.get("diversity", 0.0)), include_simulated=simulated)  # type: ignore[arg-type]
            la, lb = run(presets[pa]), run(presets[pb])
            overlap, table = eng.compare_lists(la, lb)
            st.caption(f"{overlap['shared']:.0f} items in both lists (Jaccard {overlap['jaccard']:.2f}).")
            st.dataframe(table.rename(columns={"a": pa, "b": pb}), hide_index=True, width="stretch")
            shared = {r.item_id for r in la.items} & {r.item_id for r in lb.items}
            left, right = st.columns(2)
            for col, lst, label in ((left, la, pa), (right, lb, pb)):
                col.markdown(f"**{label}**")
                col.dataframe(pd.DataFrame({"rank": [r.rank for r in lst.items], "title": [r.title for r in lst.items],
                                            "in both": [r.item_id in shared for r in lst.items]}),
                              hide_index=True, width="stretch")
    with tab_simulate:
        st.caption("Add events for this user and watch the short-term interest, the learned weight and the list move. "
                   "Simulated events are stored apart from the real data.")
        pick = st.selectbox("Item", ids, key="lab.sim_item",
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
        holders = []
        for r in recs.items:
            with st.container(border=True):
                head, score = st.columns([4, 1])
                head.markdown(f"**{r.rank}. {r.title}**  \n:gray[{r.fine_label} · {r.theme_label}]")
                total = max(abs(r.long_part) + abs(r.short_part), 1e-9)
                score.markdown(f"<div style='text-align:right'><b>{r.score:.3f}</b><br><span style='font-size:12px;"
                               f"color:#1f5f8b'>long {abs(r.long_part) / total:.0%}</span> · <span style='font-size:12px;"
                               f"color:#e07b39'>short {abs(r.short_part) / total:.0%}</span></div>",
                               unsafe_allow_html=True)
                holders.append((r, st.empty()))
        st.download_button("Download the list as CSV", rows.to_csv(index=False).encode(), f"recommendations_{user}.csv",
                           "text/csv", key="lab.download", icon=":material/download:")
        for r, holder in holders:
            evidence = ", ".join(f"{e.title} ({e.weight:.0%})" for e in r.evidence) or "no history items"
            if not explain:
                holder.caption(f"Evidence: {evidence}")
                continue
            pieces: list[str] = []

            def stream(piece: str, pieces: list[str] = pieces, holder=holder) -> None:  # noqa: ANN001
                pieces.append(piece)
                holder.markdown("".join(pieces) + " ▌")

            e = eng.explain_item(recs, r, interest or None, simulated, on_token=stream)
            if e.fallback_reason:
                badge = f":orange-badge[:material/warning: template: {e.fallback_reason}]"
            elif e.source == "llm":
                badge = ":green-badge[:material/check: checked]"
            else:
                badge = ":gray-badge[template]"
            cf = e.check.counterfactual
            drop = f" · score drops {cf['drop_share']:.0%} without the cited items" if cf else ""
            holder.markdown(f"{e.text}  \n{badge} :gray[Evidence: {evidence}{drop}]")
