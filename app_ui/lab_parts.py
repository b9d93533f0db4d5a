"""Pieces of the recommendation lab: the binding between its widgets and :class:`LabSettings`,
one recommendation card with its streamed, checked explanation, the figures above the list, the
"what moved" note and the side-by-side comparison of two presets.

Underscore-prefixed so Streamlit does not list it as a page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from app_ui.shared import LAST_LIST, md
from recsys_core.compare import diff_lists
from recsys_core.lab_settings import LabSettings

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from recsys_core.engine import RecsysEngine
    from recsys_core.explain.explainer import Explanation
    from recsys_core.recommend import Recommendation, RecommendationList

# Settings field -> widget key. Alpha takes two widgets ("lab.learned" and "lab.alpha"), see widget_values.
_WIDGETS = {"diversity": "lab.diversity", "n": "lab.n", "interest": "lab.interest", "threshold": "lab.threshold",
            "simulated": "lab.simulated", "explain": "lab.explain"}


def widget_values(settings: LabSettings, learned: float) -> dict[str, object]:
    """Widget key -> value that shows ``settings``. Alpha None turns "use the learned weight" on
    and puts the learned weight on the (then disabled) slider."""
    return {"lab.learned": settings.alpha is None,
            "lab.alpha": round(learned, 2) if settings.alpha is None else settings.alpha,
            **{key: getattr(settings, name) for name, key in _WIDGETS.items()}}


def seed_widgets(settings: LabSettings, learned: float) -> None:
    """Give each widget its first value (once per session), so a shared link opens the same view."""
    for key, value in widget_values(settings, learned).items():
        if key not in st.session_state:
            st.session_state[key] = value


def apply_preset(preset: dict[str, object], learned: float) -> None:
    """Button callback (runs before the widgets are drawn again): show a preset's settings. The
    view's own switches (simulated events, explanations) stay as they are."""
    state = st.session_state
    view = LabSettings(simulated=state["lab.simulated"], explain=state["lab.explain"])
    settings = LabSettings.from_preset(preset, view)
    state.update(widget_values(settings, learned))


def learned_marker(learned: float, user: str) -> None:
    """A tick under the alpha slider at the user's learned weight, so a hand-set weight is read against it."""
    st.markdown(
        f"<div style='position:relative;height:16px;margin:-14px 8px 0 8px;font-size:12px;color:#1f5f8b'>"
        f"<span style='position:absolute;left:calc({learned * 100:.1f}% - 5px)'>▲</span></div>"
        f"<div style='font-size:13px;color:#1f5f8b'>learned for {user}: <b>{learned:.2f}</b></div>",
        unsafe_allow_html=True)


def list_figures(recs: RecommendationList, summary: dict[str, float], learned: float, by_hand: bool) -> None:
    """The row of figures above a list: the weight used and the list's summary."""
    cols = st.columns(5)
    cols[0].metric("Long-term weight", f"{recs.alpha:.2f}",
                   help=f"Set by hand; learned: {learned:.2f}" if by_hand else "The learned weight")
    cols[1].metric("Long-term share", f"{summary['long-term share']:.0%}",
                   help="Share of the list's scores that comes from long-term interest")
    cols[2].metric("Diversity", f"{summary['diversity']:.2f}", help="1 - mean cosine between the items' texts")
    cols[3].metric("Novelty", f"{summary['novelty']:.1f}", help="Mean -log2 of the share of users who had each item (higher = less known); the evaluation's novelty@10")
    cols[4].metric("Themes in the list", f"{summary['themes']:.0f}")


def show_what_moved(user: str, recs: RecommendationList) -> None:
    """Say what changed since the list shown before (same user), then remember this one."""
    ids = [r.item_id for r in recs.items]
    last = st.session_state.get(LAST_LIST)
    if last and last[0] == user and last[1] != ids:
        change = diff_lists(last[1], ids)
        titles = {r.item_id: r.title for r in recs.items}
        parts = []
        if change.new:
            parts.append("**New:** " + ", ".join(md(titles[i]) for i in change.new))
        if change.dropped:
            parts.append(f"**Dropped:** {len(change.dropped)} item(s)")
        if change.moves:
            parts.append("**Moved:** " + ", ".join(f"{md(titles[i][:28])} {a}→{b}" for i, (a, b) in change.moves.items()))
        st.success("  \n".join(parts), icon=":material/compare_arrows:")
    if not last or last[1] != ids or last[0] != user:
        st.session_state[LAST_LIST] = (user, ids)


def show_reading(slot: DeltaGenerator, recs: RecommendationList) -> None:
    """Under the interest box: the liked (+) and disliked (-) parts the engine read from it,
    each with the interests nearest it, so a misread description is seen before the list."""
    if recs.interest_reading is not None:
        slot.caption(f"Read as: {md(recs.interest_reading.summary())}")


def interest_line(fine: str, theme: str) -> str:
    """A card's interest line: the fine interest, and its theme only when the theme says
    something the fine label does not ("Sci-Fi · 2010s", not "Sci-Fi · 2010s · Sci-Fi · 2010s")."""
    if set(theme.lower().split(" · ")) <= set(fine.lower().split(" · ")):
        return fine
    return f"{fine}  (theme: {theme})"


def draw_card(r: Recommendation) -> DeltaGenerator:
    """One list row: rank, title, interests, score and its long/short split. Returns the empty
    slot under it for :func:`fill_explanation` (filled after the whole list is drawn)."""
    with st.container(border=True):
        head, score = st.columns([4, 1])
        head.markdown(f"**{r.rank}. {md(r.title)}**  \n:gray[{md(interest_line(r.fine_label, r.theme_label))}]")
        total = max(abs(r.long_part) + abs(r.short_part), 1e-9)
        score.markdown(f"<div style='text-align:right'><b>{r.score:.3f}</b><br><span style='font-size:12px;"
                       f"color:#1f5f8b'>long {abs(r.long_part) / total:.0%}</span> · <span style='font-size:12px;"
                       f"color:#e07b39'>short {abs(r.short_part) / total:.0%}</span></div>",
                       unsafe_allow_html=True)
        return st.empty()


def _badge(e: Explanation) -> str:
    """Where the text came from: a checked LLM text, the template, or the template after a failure."""
    if e.fallback_reason:
        return f":orange-badge[:material/warning: template: {e.fallback_reason}]"
    return ":green-badge[:material/check: checked]" if e.source == "llm" else ":gray-badge[template]"


def fill_explanation(eng: RecsysEngine, recs: RecommendationList, r: Recommendation, slot: DeltaGenerator,
                     settings: LabSettings) -> None:
    """A card's explanation, streamed into its slot as it is written, then its badge and evidence
    (only the evidence when explanations are off)."""
    evidence = ", ".join(f"{md(e.title)} ({e.weight:.0%})" for e in r.evidence) or "no history items"
    if not settings.explain:
        slot.caption(f"Evidence: {evidence}")
        return
    pieces: list[str] = []

    def stream(piece: str) -> None:
        pieces.append(piece)
        slot.markdown(md("".join(pieces)) + " ▌")  # unchecked text: never read as Markdown

    e = eng.explanations.explain_item(recs, r, settings.active_interest, settings.simulated, on_token=stream)
    cf = e.check.counterfactual
    drop = f" · score drops {cf['drop_share']:.0%} without the cited items" if cf else ""
    slot.markdown(f"{md(e.text)}  \n{_badge(e)} :gray[Evidence: {evidence}{drop}]")


def compare_presets(eng: RecsysEngine, user: str, presets: dict[str, dict[str, object]], view: LabSettings) -> None:
    """Two saved presets' lists for one user side by side, with their overlap and figures (both
    read simulated events and look at the same moment as the current view does)."""
    if len(presets) < 2:
        st.caption("Save two presets to compare their lists for this user side by side.")
        return
    a_name, b_name = st.columns(2)
    pa = a_name.selectbox("Preset A", list(presets), key="lab.cmp_a")
    pb = b_name.selectbox("Preset B", list(presets), index=1, key="lab.cmp_b")
    la, lb = (eng.recommend(user, **LabSettings.from_preset(presets[p], view).recommend_kwargs())
              for p in (pa, pb))
    overlap, table = eng.compare_lists(la, lb)
    st.caption(f"{overlap['shared']:.0f} items in both lists (Jaccard {overlap['jaccard']:.2f}).")
    st.dataframe(table.rename(columns={"a": pa, "b": pb}), hide_index=True, width="stretch")
    shared = {r.item_id for r in la.items} & {r.item_id for r in lb.items}
    left, right = st.columns(2)
    for col, lst, label in ((left, la, pa), (right, lb, pb)):
        col.markdown(f"**{md(label)}**")
        col.dataframe(pd.DataFrame({"rank": [r.rank for r in lst.items], "title": [r.title for r in lst.items],
                                    "in both": [r.item_id in shared for r in lst.items]}),
                      hide_index=True, width="stretch")
