"""Pieces of the recommendation lab: the binding between its widgets and :class:`LabSettings`,
the tuner (the controls that shape the list and the list, one fragment), the recommendation
cards whose checked explanations are written in the background and fill in as they come, the
figures above the list, the "what moved" note and the side-by-side comparison of two presets.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from app_ui.shared import LAST_LIST, build_key, bump_events_key, events_key, md, set_params, show_error
from recsys_core.compare import diff_lists
from recsys_core.errors import RecsysError
from recsys_core.explain.jobs import DONE, WRITING, CardProgress
from recsys_core.lab_settings import LabSettings
from recsys_core.viz import build_score_split

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from recsys_core.engine import RecsysEngine
    from recsys_core.explain.explainer import Explanation
    from recsys_core.recommend import Recommendation, RecommendationList
    from recsys_core.serving import UserState

_OWNER = "lab.owner"  # this browser session's name for the background explanation writer
_JOB = "lab.explain_job"  # (list signature, job id) of the list whose explanations are coming
POLL_SECONDS = 1.0  # how often cards with explanations still coming look again

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


def current_settings(as_of: str, learned: float) -> LabSettings:
    """The settings the widgets show now (read from session state, so code outside the tuner
    sees what a slider move inside it set)."""
    state = st.session_state
    use_learned = bool(state.get("lab.learned", True))
    return LabSettings(alpha=None if use_learned else float(state.get("lab.alpha", learned)),
                       diversity=float(state.get("lab.diversity", 0.0)), n=int(state.get("lab.n", 10)),
                       interest=str(state.get("lab.interest", "")), threshold=float(state.get("lab.threshold", 0.25)),
                       simulated=bool(state.get("lab.simulated", True)), explain=bool(state.get("lab.explain", True)),
                       as_of=as_of)


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


def verdict_line(verdict: dict[str, object] | None) -> str | None:
    """What the newest evaluation says of the learned weight against one fixed weight for all."""
    if verdict is None:
        return None
    v = verdict
    head = f"Evaluation run {v['run_id']}: "
    figures = (f"NDCG@10 {v['learned_ndcg_10']:.3f} vs {v['fixed_ndcg_10']:.3f}, difference {v['delta']:+.3f} "
               f"(95% interval {v['low']:+.3f} to {v['high']:+.3f})")
    if v["verdict"] == "better":
        return head + f"the learned weight beats the best fixed weight ({v['best_fixed']:.1f} for everyone): {figures}."
    if v["verdict"] == "worse":
        return (head + f"the learned weight ranks next items worse than a fixed {v['best_fixed']:.1f} for everyone "
                f"({figures}); on this data set that weight by hand.")
    return (head + f"the learned weight ranks next items no better than a fixed {v['best_fixed']:.1f} for everyone "
            f"({figures}): per-user weights are not shown to help on this data.")


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
    """Say what changed from the list shown before this one (same user). The note stays while
    the list does: the page runs again when its explanations are done, and the change is still
    the one the analyst made."""
    ids = [r.item_id for r in recs.items]
    stored = st.session_state.get(LAST_LIST)  # (user, the list before, the list now)
    if not stored or stored[0] != user:
        st.session_state[LAST_LIST] = (user, None, ids)
        return
    if stored[2] != ids:
        stored = (user, stored[2], ids)
        st.session_state[LAST_LIST] = stored
    before = stored[1]
    if before is not None and before != ids:
        change = diff_lists(before, ids)
        titles = {r.item_id: r.title for r in recs.items}
        parts = []
        if change.new:
            parts.append("**New:** " + ", ".join(md(titles[i]) for i in change.new))
        if change.dropped:
            parts.append(f"**Dropped:** {len(change.dropped)} item(s)")
        if change.moves:
            parts.append("**Moved:** " + ", ".join(f"{md(titles[i][:28])} {a}→{b}" for i, (a, b) in change.moves.items()))
        st.success("  \n".join(parts), icon=":material/compare_arrows:")


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
    slot under it for its explanation."""
    with st.container(border=True):
        head, score = st.columns([4, 1])
        head.markdown(f"**{r.rank}. {md(r.title)}**  \n:gray[{md(interest_line(r.fine_label, r.theme_label))}]")
        total = max(abs(r.long_part) + abs(r.short_part), 1e-9)
        score.markdown(f"<div style='text-align:right'><b>{r.score:.3f}</b><br><span style='font-size:12px;"
                       f"color:#1f5f8b'>long {abs(r.long_part) / total:.0%}</span> · <span style='font-size:12px;"
                       f"color:#e07b39'>short {abs(r.short_part) / total:.0%}</span></div>",
                       unsafe_allow_html=True)
        return st.empty()


_REASON_WORDS = {
    "overloaded": "the machine was too busy for the language model",
    "timeout": "the language model ran out of time",
    "unreachable": "the language model's server did not answer",
    "unavailable": "no language model is available",
    "busy": "the language model was busy",
    "empty reply": "the language model wrote nothing",
    "malformed reply": "the language model's reply could not be read",
}


def reason_words(reason: str) -> str:
    """A fallback reason as the analyst reads it: the engine's short codes ("overloaded",
    "skipped: timeout 30 s ago or less", "failed check: ...") in words; other reasons as they are."""
    if reason.startswith("skipped: "):
        code, _, when = reason.removeprefix("skipped: ").partition(" ")
        if code in _REASON_WORDS:
            return f"{_REASON_WORDS[code]} in the last {when.split(' ')[0]} s, so it was not asked again"
    if reason.startswith("failed check: "):  # the refused text is the model's, not the one shown
        return f"the language model's text was refused by the check ({reason.removeprefix('failed check: ')})"
    return _REASON_WORDS.get(reason, reason)


def _badge(e: Explanation) -> str:
    """Where the text came from: a checked LLM text, the template, or the template after a failure."""
    if e.fallback_reason:
        # the reason beside the badge, not in it: a badge is one line and cuts a long reason short
        return f":orange-badge[:material/warning: template] :orange[because {md(reason_words(e.fallback_reason))}.]"
    return ":green-badge[:material/check: checked]" if e.source == "llm" else ":gray-badge[template]"


def _evidence(r: Recommendation) -> str:
    return ", ".join(f"{md(e.title)} ({e.weight:.0%})" for e in r.evidence) or "no history items"


def counterfactual_words(drop_share: float) -> str:
    """The score's change without the cited items, in words: removing them can also raise it (the
    remaining items then carry the whole user vector), and "drops -3%" would read as a typo."""
    share = round(drop_share, 2) + 0.0  # + 0.0: no "-0%"
    verb = "drops" if share >= 0 else "rises"
    return f"score {verb} {abs(share):.0%} without the cited items"


def fill_card(slot: DeltaGenerator, r: Recommendation, card: CardProgress | None) -> None:
    """A card's explanation as it stands: coming, being written (plain text, unchecked), or
    checked with its badge; only the evidence when explanations are off (``card`` None)."""
    evidence = _evidence(r)
    if card is None:
        slot.caption(f"Evidence: {evidence}")
    elif card.state == DONE and card.explanation is not None:
        e = card.explanation
        cf = e.check.counterfactual
        drop = f" · {counterfactual_words(float(cf['drop_share']))}" if cf else ""
        slot.markdown(f"{md(e.text)}  \n{_badge(e)} :gray[Evidence: {evidence}{drop}]")
    elif card.state == WRITING and card.text:
        slot.markdown(f"{md(card.text)} ▌  \n:gray[Evidence: {evidence}]")  # unchecked text: never read as Markdown
    else:
        slot.markdown(f":gray[:material/hourglass_top: explanation coming · Evidence: {evidence}]")


def _list_signature(user: str, settings: LabSettings, recs: RecommendationList) -> tuple[object, ...]:
    """What the explanations of a shown list depend on: the same signature, the same job."""
    return (user, build_key(), events_key(), tuple(sorted(settings.to_query().items())),
            tuple((r.item_id, round(r.score, 6)) for r in recs.items))


def explanation_job(eng: RecsysEngine, user: str, recs: RecommendationList, settings: LabSettings) -> int:
    """The background job writing this list's explanations: the running one when the list is
    the one already being explained, else a new one (which drops this session's older list)."""
    state = st.session_state
    owner = state.setdefault(_OWNER, uuid.uuid4().hex)
    signature = _list_signature(user, settings, recs)
    jobs = eng.explanations.jobs
    known = state.get(_JOB)
    if known is not None and known[0] == signature:
        progress = jobs.progress(known[1])
        if progress is not None and not progress.cancelled:  # a dropped list (the page fell behind) is asked again
            return int(known[1])
    job_id = jobs.submit(owner, recs, settings.active_interest, settings.simulated)
    state[_JOB] = (signature, job_id)
    return job_id


def _cards(eng: RecsysEngine, recs: RecommendationList, job_id: int | None) -> None:
    progress = eng.explanations.jobs.progress(job_id) if job_id is not None else None
    for r in recs.items:
        fill_card(draw_card(r), r, None if job_id is None else
                  progress.cards.get(r.item_id) if progress is not None else CardProgress(DONE))
    if progress is not None and progress.finished and st.session_state.get(_POLLING):
        st.session_state[_POLLING] = False
        st.rerun()  # once, to stop looking again: the next run draws the finished cards still


_POLLING = "lab.polling"


def explained_cards(eng: RecsysEngine, user: str, recs: RecommendationList, settings: LabSettings) -> None:
    """The list's cards at once; with explanations on, they fill in from the background writer,
    looking again every :data:`POLL_SECONDS` until the list's explanations are all done (the
    cards are one fragment either way, so the page keeps its shape when the polling stops).
    Without an LLM the template sentences are written right here: nothing to wait for."""
    if settings.explain and eng.explanations.explainer.backend is None:
        written = eng.explanations.explain(recs, settings.active_interest, settings.simulated)
        for r, e in zip(recs.items, written, strict=True):
            fill_card(draw_card(r), r, CardProgress(DONE, e.text, e))
        return
    job_id = explanation_job(eng, user, recs, settings) if settings.explain else None
    progress = eng.explanations.jobs.progress(job_id) if job_id is not None else None
    pending = progress is not None and not progress.finished
    st.session_state[_POLLING] = pending
    st.fragment(run_every=POLL_SECONDS if pending else None)(_cards)(eng, recs, job_id)


@st.fragment
def tuner(eng: RecsysEngine, user: str, state: UserState, as_of: str, box: DeltaGenerator,
          main: DeltaGenerator, verdict: dict[str, object] | None = None) -> None:
    """The controls that shape the list (drawn into ``box``) and the list with its figures,
    score split and simulation (drawn into ``main``): one fragment, so moving one of them
    reruns only this."""
    learned = float(state.gate)
    # Each widget also gets the value it shows now as its default: the nested cards fragment,
    # looking again while this one reruns, can make the browser forget these widgets' values,
    # and a widget without a default then comes back at its minimum (list length 1, weight 0).
    now = widget_values(current_settings(as_of, learned), learned)
    with box:
        use_learned = st.toggle("Use the learned weight", value=bool(now["lab.learned"]), key="lab.learned")
        st.slider("Weight of long-term interest", 0.0, 1.0, value=float(now["lab.alpha"]),  # type: ignore[arg-type]
                  step=0.01, key="lab.alpha", disabled=use_learned,
                  help="0 = only recent activity (short-term), 1 = only long-term taste")
        learned_marker(learned, user)
        if (line := verdict_line(verdict)) is not None:
            st.caption(line)
        st.slider("Diversity", 0.0, 1.0, value=float(now["lab.diversity"]), step=0.05, key="lab.diversity",  # type: ignore[arg-type]
                  help="Trade relevance for variety (maximal marginal relevance)")
        st.number_input("List length", 1, 50, value=int(now["lab.n"]), key="lab.n")  # type: ignore[call-overload]
        _, interest_label = eng.placeholders()
        interest = st.text_input("Interest description", value=str(now["lab.interest"]), key="lab.interest",
                                 placeholder=f"e.g. {interest_label}" if interest_label else "what to look for",
                                 help="What to look for and what to leave out (\"loves X, hates Y\", \"X but not Y\"): "
                                      "items matching a liked part are kept and boosted, items nearer a disliked part "
                                      "dropped")
        reading_slot = st.empty()  # how the description was read, once the engine has read it
        st.slider("Match threshold", 0.0, 0.8, value=float(now["lab.threshold"]), step=0.05,  # type: ignore[arg-type]
                  key="lab.threshold", disabled=not interest.strip())
        writer = eng.explanations.explainer
        st.toggle("Write explanations", value=bool(now["lab.explain"]), key="lab.explain",
                  help=f"By {writer.backend_name} ({writer.model_name}); checked before shown, written in the "
                       "background while the list is already on screen")
    settings = current_settings(as_of, learned)
    set_params(**settings.to_query())
    with main:
        try:
            recs = eng.recommend(user, **settings.recommend_kwargs())
        except RecsysError as exc:
            show_error(exc, "Change the settings on the left.")
            return
        show_reading(reading_slot, recs)
        list_figures(recs, eng.summarise_list(recs), learned, by_hand=settings.alpha is not None)
        if recs.note:
            st.info(recs.note)
        show_what_moved(user, recs)
        # only the open tab is drawn: a slider move redraws the list, not a hidden chart
        tab_list, tab_split, tab_simulate = st.tabs(["List", "Score split", "Simulate"], key="lab.tab",
                                                    on_change="rerun")
        if tab_split.open:
            with tab_split:
                frame = pd.DataFrame([{"rank": r.rank, "title": r.title, "long_part": r.long_part,
                                       "short_part": r.short_part, "interest_part": r.interest_part}
                                      for r in recs.items])
                if len(frame):
                    st.plotly_chart(build_score_split(frame), width="stretch", key="lab.split_chart")
        if tab_simulate.open:
            with tab_simulate:
                simulate(eng, user, recs, state, settings.simulated)
        if not tab_list.open:
            return
        with tab_list:
            rows = pd.DataFrame([{"rank": r.rank, "item_id": r.item_id, "title": r.title, "score": round(r.score, 4),
                                  "long_part": round(r.long_part, 4), "short_part": round(r.short_part, 4),
                                  "fine_interest": r.fine_label, "theme": r.theme_label,
                                  "evidence": "; ".join(e.title for e in r.evidence)} for r in recs.items])
            st.download_button("Download the list as CSV", rows.to_csv(index=False).encode(),
                               f"recommendations_{user}.csv", "text/csv", key="lab.download",
                               icon=":material/download:", on_click="ignore")
            explained_cards(eng, user, recs, settings)


def simulate(eng: RecsysEngine, user: str, recs: RecommendationList, state: UserState, simulated: bool) -> None:
    """Add events for the user (kept apart from the real data) and watch the list move."""
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
    st.caption(f"Learned long-term weight now: {state.gate:.2f}; hours since the last event: "
               f"{state.hours_since_last or 0:.1f}; session length: {state.session_length}.")


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
