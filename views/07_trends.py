"""Trends & segments: which interests rise and fall across all users, who moved, and which
bursts became lasting interests. Every control lives in the URL."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from app_ui.shared import SELECTED_USER, USER_PARAM, engine, md, require_model, seed_widget, set_params
from recsys_core.errors import RecsysError
from recsys_core.moments import from_days
from recsys_core.population.policies import FusionPolicy
from recsys_core.population.segments import SegmentRules
from recsys_core.population.trends import change_line
from recsys_core.viz import (
    TREND_MEASURES,
    build_alpha_curve,
    build_holders,
    build_interest_series,
    build_mix_difference,
    build_trend_changes,
)

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


def _draft_rules() -> SegmentRules | None:
    """The segment being defined, from its widgets (None when they do not make valid rules)."""
    state = st.session_state
    weight = state.get("seg.weight", (0.0, 1.0))
    try:
        return SegmentRules(
            min_items=state.get("seg.min_items"), max_items=state.get("seg.max_items"),
            min_idle_days=state.get("seg.min_idle"), max_idle_days=state.get("seg.max_idle"),
            min_weight=None if weight[0] <= 0.0 else float(weight[0]),
            max_weight=None if weight[1] >= 1.0 else float(weight[1]),
            interests=tuple(state.get("seg.interests", ())), hold=state.get("seg.hold", "any"),
            text=state.get("seg.text", "") or "", text_share=float(state.get("seg.text_share", 0.2)))
    except RecsysError as exc:
        st.session_state["seg.problem"] = str(exc)
        return None


def _seed_segment_widgets() -> None:
    """Once per session: the segment editor's widgets from the link's ``seg`` rules."""
    if "seg.weight" in st.session_state:
        return
    try:
        rules = SegmentRules.from_json(str(st.query_params.get("seg", "{}")))
    except (RecsysError, ValueError):
        rules = SegmentRules()
    st.session_state.update({
        "seg.min_items": rules.min_items, "seg.max_items": rules.max_items, "seg.min_idle": rules.min_idle_days,
        "seg.max_idle": rules.max_idle_days,
        "seg.weight": (rules.min_weight or 0.0, 1.0 if rules.max_weight is None else rules.max_weight),
        "seg.interests": list(rules.interests), "seg.hold": rules.hold, "seg.text": rules.text,
        "seg.text_share": rules.text_share})


def _save_segment() -> None:
    rules, name = _draft_rules(), str(st.session_state.get("seg.name", "")).strip()
    try:
        if rules is None:
            raise RecsysError(st.session_state.get("seg.problem", "the rules do not read"))
        eng.save_segment(name, rules)
        st.session_state["seg.said"] = (True, f"Saved segment '{name}': {rules.describe()}.")
    except RecsysError as exc:
        st.session_state["seg.said"] = (False, str(exc))


def _delete_segment(name: str) -> None:
    try:
        eng.delete_segment(name)
        st.session_state["seg.said"] = (True, f"Deleted segment '{name}'.")
    except RecsysError as exc:
        st.session_state["seg.said"] = (False, str(exc))


def _save_policy() -> None:
    name = str(st.session_state.get("pol.name", "")).strip()
    try:
        policy = FusionPolicy.parse(str(st.session_state.get("pol.rules", "")))
        eng.save_policy(name, policy)
        st.session_state["pol.said"] = (True, f"Saved policy '{name}': {policy.describe()}.")
    except RecsysError as exc:
        st.session_state["pol.said"] = (False, str(exc))


def _show_policy_result(result: dict[str, object], title: str) -> None:
    versus = result["versus"]
    assert isinstance(versus, pd.DataFrame)
    learned_row = versus[versus["model"] == "learned gate"].iloc[0]
    verdict = {"better": "better than", "worse": "worse than", "tie": "no different from"}[str(learned_row["verdict"])]
    st.markdown(f"**{md(title)}** On run {result['run_id']}'s {result['n_users']:,} test users: NDCG@10 "
                f"**{result['ndcg_10']:.4f}**, learned gate {result['learned_gate']:.4f}, single best fixed weight "
                f"{result['best_fixed_ndcg_10']:.4f}. The policy is **{verdict}** the learned gate "
                f"({learned_row['delta']:+.4f}, {result['confidence']:.0%} interval {learned_row['low']:+.4f} to "
                f"{learned_row['high']:+.4f}).")
    st.dataframe(versus, hide_index=True, width="stretch",
                 column_config={"model": "policy minus", "delta": st.column_config.NumberColumn(format="%+.4f"),
                                "low": st.column_config.NumberColumn(format="%+.4f"),
                                "high": st.column_config.NumberColumn(format="%+.4f")})
    if isinstance(result.get("rules"), pd.DataFrame):
        st.dataframe(result["rules"], hide_index=True, width="stretch")


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
m = st.columns(6)
m[0].metric("Rising", int((changes["status"] == "rising").sum()))
m[1].metric("Falling", int((changes["status"] == "falling").sum()))
m[2].metric("New", int((changes["status"] == "new").sum()),
            help="Nobody touched them before the recent part (new releases, say): their growth is the catalogue's, "
                 "not a change of taste, so they are listed under the charts instead of as rising.")
m[3].metric("Emerging", int(changes["emerging"].sum()),
            help="Short-term holders clearly rising, long-term holders not (yet): a taste on its way in.")
m[4].metric("Adoptions, recent", len(recent_adoptions),
            help="In the recent part: bursts of sessions on an interest new to the user that kept coming back "
                 "afterwards.")
m[5].metric("Active users, recent", f"{report.active_recent:,}",
            help=f"Users with a liked item in the recent part ({report.active_before:,} before it).")

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

if n_new := int((changes["status"] == "new").sum()):
    st.markdown(f"**New in the recent part** ({n_new}; nobody touched them before, so no share to compare): "
                f"{report.new_line(quote=md)}. Pick one below to see it over time.")

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
st.markdown(f"**{md(labels[node])}**: {md(change_line(row))}")
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

# ---------------------------------------------------------------------- segments
st.header("Segments")
st.caption("Users picked by rules you can read: how many items their history holds, days idle at the end of the "
           "data, the learned long-term weight, interests they hold, and a description matched against their "
           "profile texts and histories. Saved in the database.")
saved = eng.segments()
_seed_segment_widgets()
with st.expander("Define a segment", expanded=not saved):
    a1, a2, a3 = st.columns(3)
    a1.number_input("At least this many items", min_value=0, step=1, value=None, key="seg.min_items")
    a1.number_input("At most this many items", min_value=0, step=1, value=None, key="seg.max_items")
    a2.number_input("Idle at least (days)", min_value=0.0, step=1.0, value=None, key="seg.min_idle")
    a2.number_input("Idle at most (days)", min_value=0.0, step=1.0, value=None, key="seg.max_idle")
    a3.slider("Learned long-term weight", 0.0, 1.0, key="seg.weight", step=0.05)
    all_labels = sorted({lab for lab in labels.values()} | set(report.changes["parent"].dropna()) - {""})
    b1, b2 = st.columns([3, 1])
    b1.multiselect("Holds one of these interests", all_labels, key="seg.interests")
    b2.selectbox("Held", ["any", "long", "short"], key="seg.hold",
                 format_func={"any": "long- or short-term", "long": "long-term", "short": "short-term"}.__getitem__)
    c1, c2 = st.columns([3, 1])
    c1.text_input("Described as", key="seg.text", placeholder="e.g. into home coffee and tea",
                  help="Matched against each user's profile text and the texts of their items.")
    c2.slider("Keep the closest", 0.05, 1.0, key="seg.text_share", step=0.05, format="%.2f")
    rules = _draft_rules()
    set_params(seg=None if rules is None or rules.describe() == "everyone" else rules.to_json())
    if rules is None:
        st.warning(f"These rules do not read: {st.session_state.get('seg.problem', '')}.")
    else:
        try:
            count = len(eng.segment_members(rules))
            st.markdown(f"**{md(rules.describe())}**: {count:,} users now.")
        except RecsysError as exc:
            st.error(str(exc))
        n1, n2 = st.columns([3, 1], vertical_alignment="bottom")
        n1.text_input("Name", key="seg.name", placeholder="e.g. light users")
        n2.button("Save the segment", on_click=_save_segment, key="seg.save", type="primary")
if (said := st.session_state.pop("seg.said", None)) is not None:
    (st.success if said[0] else st.error)(said[1])

saved = eng.segments()
if saved:
    sizes = {n: len(eng.segment_members(n)) for n in saved}
    st.dataframe(pd.DataFrame({"segment": list(saved), "rules": [r.describe() for r in saved.values()],
                               "users now": [sizes[n] for n in saved]}), hide_index=True, width="stretch")
    names = list(saved)
    seed_widget("seg.a", "sega", lambda v: v if v in names else names[0], names[0])
    seed_widget("seg.b", "segb", lambda v: v if v in names else names[-1], names[-1])
    for key in ("seg.a", "seg.b"):
        if st.session_state[key] not in names:
            st.session_state[key] = names[0]
    p1, p2, p3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    seg_a = p1.selectbox("Compare", names, key="seg.a")
    seg_b = p2.selectbox("with", names, key="seg.b")
    p3.button("Delete the first", on_click=_delete_segment, args=(seg_a,), key="seg.delete")
    st.download_button("Download the comparison as a report (HTML)", key="seg.report", on_click="ignore",
                       data=lambda: eng.report("segment", segment=seg_a, other=seg_b, level=level),
                       file_name=f"segment-{re.sub(r'[^A-Za-z0-9._-]+', '_', seg_a)}.html", mime="text/html",
                       icon=":material/download:")
    set_params(sega=seg_a, segb=seg_b)
    try:
        mix, n_a, n_b = eng.compare_segments(seg_a, seg_b, level)
        st.markdown(f"**{md(seg_a)}** ({n_a:,} users) against **{md(seg_b)}** ({n_b:,} users), {LEVELS[level]}: "
                    f"{int(mix['clear'].sum())} differ beyond their 95% interval (share of each segment's "
                    "(user, interest) pairs, so a segment of heavier users is not \"more into\" everything).")
        left, right = st.columns([3, 2])
        left.plotly_chart(build_mix_difference(mix, seg_a, seg_b), width="stretch", key="seg.mix")
        runs = eng.evaluation_runs()
        if runs.empty:
            right.info("Run an evaluation (Evaluation page) to see each segment's metric against the weight.")
        elif int(runs["data_version"].iloc[0]) != eng.data_version():
            right.info("The newest evaluation was made on older data: run a new one (Evaluation page) to see each "
                       "segment's metric against the weight.")
        else:
            ca, cb = eng.segment_curve(seg_a), eng.segment_curve(seg_b)
            curve = pd.DataFrame({"alpha": ca["alpha"], f"{seg_a} ({ca.attrs['n_segment']})": ca["segment"],
                                  f"{seg_b} ({cb.attrs['n_segment']})": cb["segment"], "all users": ca["everyone"]})
            right.plotly_chart(build_alpha_curve(curve, "ndcg@10", None, None,
                                                 {f"learned gate, {seg_a}": ca.attrs["learned_segment"],
                                                  f"learned gate, {seg_b}": cb.attrs["learned_segment"]}),
                               width="stretch", key="seg.curve")
            right.caption(f"NDCG@10 of evaluation run {ca.attrs['run_id']}'s test users in each segment (read from "
                          "the history the run's models saw) against the fixed long-term weight.")
    except RecsysError as exc:
        st.error(str(exc))

# ---------------------------------------------------------------------- policies
st.header("Fusion policy per segment")
st.caption("A policy gives each segment a fixed long-term weight or the learned one; the first segment that holds a "
           "user decides, everyone else keeps the learned weight. Judged on the newest evaluation run against the "
           "learned gate and the single best fixed weight, with the paired bootstrap.")
if not saved:
    st.info("Save a segment first.")
    st.stop()
policies = eng.policies()
seed_widget("pol.rules", "prules", str, "")
q1, q2, q3 = st.columns([3, 2, 1], vertical_alignment="bottom")
q1.text_input("Rules", key="pol.rules", placeholder=f"e.g. {names[0]}=0.2,{names[-1]}=learned",
              help="SEGMENT=WEIGHT pairs, comma-separated; a weight is a number from 0 to 1 or 'learned'.")
q2.text_input("Name", key="pol.name", placeholder="e.g. light fixed, heavy learned")
q3.button("Save the policy", on_click=_save_policy, key="pol.save")
set_params(prules=st.session_state["pol.rules"] or None)
if (said := st.session_state.pop("pol.said", None)) is not None:
    (st.success if said[0] else st.error)(said[1])
policies = eng.policies()
listed_runs = eng.evaluation_runs()
if listed_runs.empty:
    st.info("Run an evaluation (Evaluation page) to judge a policy.")
    st.stop()
if int(listed_runs["data_version"].iloc[0]) != eng.data_version():
    st.info("The newest evaluation was made on older data (events came in since): run a new one (Evaluation page) "
            "to judge a policy on what the segments hold now.")
    st.stop()
r1, r2 = st.columns([2, 3], vertical_alignment="bottom")
no_names: list[str] = []
seed_widget("pol.suggest_for", "suggest", lambda v: [n for n in v.split(",") if n in names], no_names)
suggest_for = r1.multiselect("Suggest weights for these segments (in order)", names, key="pol.suggest_for")
set_params(suggest=",".join(suggest_for) or None)
if suggest_for and r2.button("Suggest from the newest evaluation", key="pol.suggest"):
    try:
        found = eng.suggest_policy(suggest_for)
        suggested = found["policy"]
        assert isinstance(suggested, FusionPolicy)
        text = ",".join(f"{s}={'learned' if a is None else f'{a:.1f}'}" for s, a in suggested.rules)
        _show_policy_result(found, f"Suggested: {suggested.describe()} (each segment's best weight on the run). The "
                                   "figures pick each half of the test users' weights on the other half, so they do "
                                   "not flatter it.")
        st.button("Put these rules in the box above", key="pol.use",
                  on_click=lambda: st.session_state.update({"pol.rules": text}))
    except RecsysError as exc:
        st.error(str(exc))
if policies:
    pnames = list(policies)
    seed_widget("pol.pick", "policy", lambda v: v if v in pnames else pnames[0], pnames[0])
    if st.session_state["pol.pick"] not in pnames:
        st.session_state["pol.pick"] = pnames[0]
    pick = st.selectbox("Judge a saved policy", pnames, key="pol.pick",
                        format_func=lambda p: f"{p}: {policies[p].describe()}")
    set_params(policy=pick)
    try:
        _show_policy_result(eng.evaluate_policy(pick), f"Policy {pick}: {policies[pick].describe()}.")
        st.caption("Judged on the same test users whose results picked the weights (as a saved suggestion was), "
                   "a policy looks better than it is: the suggestion's own figures above pick each half's weights "
                   "on the other half.")
    except RecsysError as exc:
        st.error(str(exc))
