"""What each report holds, drawn from the engine with the same figures the app shows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys_core.evaluation.runs import MODEL_NAMES, alpha_curve_data
from recsys_core.moments import NEXT_VISIT, AsOf, as_of_words, from_days
from recsys_core.population.trends import change_line
from recsys_core.profiles import fold_timeline
from recsys_core.reports.html import Section, render
from recsys_core.viz import (
    build_alpha_curve,
    build_gate_curve,
    build_holders,
    build_interest_series,
    build_interest_sunburst,
    build_score_split,
    build_timeline,
    build_trend_changes,
)

if TYPE_CHECKING:
    from recsys_core.engine import RecsysEngine


def _source(engine: RecsysEngine) -> str:
    info = engine.info()
    build = engine.latest_build()
    return (f"Database {Path(info.path).name}, data version "
            f"{info.data_version}" + (f", build {build.build_id}" if build is not None else ""))


def trends_report(engine: RecsysEngine, level: str = "fine", period: str | None = None,
                  recent_share: float | None = None, n_detail: int = 3) -> str:
    """Rising and falling interests with their intervals, the top movers' series, every change
    and the adoptions."""
    report = engine.interest_trends(level, period, recent_share)
    adoptions = engine.adoptions(level)
    changes = report.changes
    split = pd.Timestamp(from_days(report.split_at))
    words = "fine interests" if level == "fine" else "themes"
    intro = Section("What this shows").text(
        f"{words.capitalize()} across all users, in {report.period}s from {from_days(report.start):%Y-%m-%d} to "
        f"{from_days(report.end):%Y-%m-%d}. The recent part starts {split:%Y-%m-%d} and is compared with the part "
        "before it. Change: the interest's share of (user, interest) pairs, recent over before, on a log2 scale "
        "(+1 = doubled); each active user counts once per interest they touched, so one heavy user cannot move "
        f"it. Bars: {engine.config.population.interval:.0%} intervals over users; only an interval clear of zero "
        "is called rising or falling.")
    intro.metrics({"rising": int((changes["status"] == "rising").sum()),
                   "falling": int((changes["status"] == "falling").sum()),
                   "new": int((changes["status"] == "new").sum()),
                   "emerging": int(changes["emerging"].sum()),
                   "adoptions in the recent part": int((adoptions["burst_days"] >= report.split_at).sum()),
                   "active users, before / recent": f"{report.active_before:,} / {report.active_recent:,}"})
    sections = [intro]
    moves = Section("Rising and falling")
    figs = [build_trend_changes(t.head(12), f"{name} ({len(t)})") for name, t in
            (("Rising", report.rising()), ("Falling", report.falling())) if len(t)]
    if figs:
        moves.figures(figs)
    else:
        moves.text("No interest has an interval clear of zero.")
    if n_new := int((changes["status"] == "new").sum()):
        moves.text(f"New in the recent part ({n_new}; nobody touched them before, so there is no share to "
                   f"compare and they are not counted as rising): {report.new_line()}.")
    sections.append(moves)
    largest = changes.sort_values("users_recent", ascending=False)["node"].astype(int).head(6).tolist()
    sections.append(Section("The largest interests over time").figure(
        build_interest_series(report.series, largest, "user_share", split)).text(
        "Share of each period's active users who touched the interest; the dotted line starts the recent part."))
    for _, row in pd.concat([report.rising().head(n_detail), report.falling().head(1)]).iterrows():
        node = int(row["node"])
        detail = Section(f"{row['label']} ({row['status']})").text(change_line(row))
        detail.figures([build_interest_series(report.series, [node], "user_share", split),
                        build_holders(report.series, node, split)])
        sections.append(detail)
    table = changes[["label", "parent", "status", "new", "emerging", "users_before", "users_recent", "change",
                     "change_low", "change_high", "short_change", "long_change", "adoptions"]]
    sections.append(Section("Every interest").table(table.rename(columns={"label": "interest", "parent": "theme"}),
                                                     "{:+.2f}"))
    if len(adoptions):
        per = adoptions.groupby("label").size().sort_values(ascending=False).rename("adoptions").reset_index()
        sections.append(Section("Adoptions").text(
            "A burst of sessions on an interest new to the user that came back afterwards.").table(
            per.rename(columns={"label": "interest"})))
    return render(f"Interest trends: {words}", _source(engine), sections)


def user_report(engine: RecsysEngine, user_id: str, as_of: AsOf = NEXT_VISIT, n: int = 10) -> str:
    """One user: their interests long- and short-term, timeline with adoptions, learned weight
    and their recommendations with the score split and evidence."""
    state = engine.user_state(user_id, as_of=as_of)
    events = engine.user_timeline(user_id, as_of=as_of)
    profile = engine.profile_text(user_id)
    if len(state.history) == 0 and not profile:
        from recsys_core.errors import InvalidArgumentError

        raise InvalidArgumentError(f"user {user_id!r} has no events on the build's items and no profile text "
                                   "(as of that moment): check the id")
    shares = engine.user_interests(user_id, as_of=as_of)
    recs = engine.recommend(user_id, n=n, as_of=as_of)
    frame = pd.DataFrame([{"rank": r.rank, "title": r.title, "score": r.score, "long_part": r.long_part,
                           "short_part": r.short_part, "interest_part": r.interest_part, "fine_label": r.fine_label,
                           "theme_label": r.theme_label} for r in recs.items])
    sections = []
    head = Section("At a glance")
    if profile:
        head.text(f"Profile: {profile}")
    head.metrics({"events": f"{len(events):,}", "learned long-term weight": f"{state.gate:.2f}",
                  "idle for": f"{(state.hours_since_last or 0) / 24:.1f} days",
                  "looked at as of": as_of_words(as_of)})
    sections.append(head)
    adopted = engine.adoptions("fine", user_id)
    shown, n_folded = fold_timeline(events, engine.config.display.timeline_rows)
    sections.append(Section("Timeline").figure(build_timeline(shown, adoptions=adopted)).text(
        "One row per fine interest, coloured by theme. Faded: outside the long-term window; ringed: read by the "
        "short-term branch" + ("; purple band: an adoption, from the burst to its first return" if len(adopted)
                                else "") + (f"; grey row: {n_folded} more interests, below these in what the model "
                                            "reads now, then in how much the user touched them" if n_folded else "") + "."))
    interests = Section("Interests, long-term against short-term").figures(
        [build_interest_sunburst(shares, "long", "Long-term attention"),
         build_interest_sunburst(shares, "short", "Short-term attention")])
    fine = shares[shares["level"] == "fine"][["label", "parent_label", "long", "short", "n_items"]]
    interests.table(fine.rename(columns={"label": "fine interest", "parent_label": "theme", "n_items": "items"}),
                    "{:.0%}")
    sections.append(interests)
    hours = np.geomspace(0.1, 24 * 120, 60)
    sections.append(Section("The learned weight").figure(
        build_gate_curve(hours, engine.gate_response(user_id, hours, as_of=as_of), state.hours_since_last,
                         state.gate)).text(
        "What the gate would give long-term interest after other idle times, the rest unchanged."))
    listed = Section(f"Top {len(frame)} recommendations").figure(build_score_split(frame))
    cols = [c for c in ("rank", "title", "score", "long_part", "short_part", "fine_label", "theme_label") if c in frame]
    table = frame[cols].copy()
    table["because of"] = ["; ".join(e.title for e in r.evidence[:3]) for r in recs.items]
    listed.table(table, "{:.3f}")
    sections.append(listed)
    return render(f"User {user_id}", _source(engine), sections)


def evaluation_report(engine: RecsysEngine, run_id: int | None = None) -> str:
    """A stored evaluation run: the models x metrics table, the learned gate against each model
    with its interval, and NDCG@10 against the fixed fusion weight."""
    runs = engine.evaluation_runs()
    if run_id is None:
        if runs.empty:
            from recsys_core.errors import InvalidArgumentError

            raise InvalidArgumentError("no evaluation run yet: run `evaluate` first")
        run_id = int(runs["run_id"].iloc[0])
    table, run_config = engine.evaluation_table(run_id)
    versus = engine.evaluation_comparison(run_id)
    main = table[table["kind"] != "sweep"].drop(columns=["kind"]).copy()
    main["model"] = main["model"].map(lambda m: MODEL_NAMES.get(m, m))
    row = runs[runs["run_id"] == run_id].iloc[0]
    head = Section("The run").text(
        f"Run {run_id} of {str(row['created_at'])[:16]}: {int(row['n_users']):,} users, time-ordered leave-last-out "
        "(each user's newest item is the test, the one before it picks the epochs), full ranking over the catalogue.")
    head.table(main[["model", "hr@10", "ndcg@10", "mrr", "coverage@10", "diversity@10", "calibration_kl@10"]],
               "{:.4f}")
    sections = [head]
    if len(versus):
        shown = versus.copy()
        shown["model"] = shown["model"].map(lambda m: MODEL_NAMES.get(m, m.replace("alpha=", "fixed weight ")))
        sections.append(Section("The learned gate against each model").text(
            f"NDCG@10 of the learned gate minus the model's, with a {engine.config.evaluation.confidence:.0%} paired "
            "bootstrap interval over the test users; a tie means the interval covers zero.").table(shown, "{:+.4f}"))
    curve, refs, learned = alpha_curve_data(table, run_config, "ndcg@10")
    sections.append(Section("NDCG@10 against the fixed fusion weight").figure(
        build_alpha_curve(curve, "ndcg@10", None, learned, refs)).text(
        "Light users have at most the median number of training items. The band is where the learned weights of "
        "the test users fall (10th to 90th percentile)."))
    return render(f"Evaluation run {run_id}", _source(engine), sections)


def segment_report(engine: RecsysEngine, segment: str, other: str | None = None, level: str = "fine",
                   n_members: int = 50) -> str:
    """One segment: its rules and size, who is in it, how its interest mix differs from another
    segment's (everyone's by default), and its NDCG@10 against the fixed weight on the newest
    evaluation run."""
    import plotly.express as px

    from recsys_core.population.segments import SegmentRules
    from recsys_core.viz import build_mix_difference

    rules = engine.segments().get(segment)
    if rules is None:
        from recsys_core.errors import InvalidArgumentError

        raise InvalidArgumentError(f"no segment named {segment!r}")
    found = engine.segment_members(segment)
    everyone = engine.user_features()
    head = Section("The segment").text(f"Rules: {rules.describe()}.").metrics({
        "users": f"{len(found):,} of {len(everyone):,}",
        "median items": f"{found['n_items'].median():.0f}" if len(found) else "-",
        "median idle days": f"{found['idle_days'].median():.1f}" if len(found) else "-",
        "median learned weight": f"{found['weight'].median():.2f}" if len(found) else "-"})
    if len(found):
        shown = pd.concat([found.assign(who=segment), everyone.assign(who="everyone")])
        figs = [px.histogram(shown, x=col, color="who", barmode="overlay", histnorm="percent", nbins=30,
                             title=title, height=300, log_x=False)
                for col, title in (("n_items", "items in the history"), ("weight", "learned long-term weight"))]
        head.figures(figs)
    sections = [head]
    against = other or SegmentRules()
    name_b = other or "everyone"
    mix, n_a, n_b = engine.compare_segments(segment, against, level)
    sections.append(Section(f"Interests against {name_b}").text(
        f"Each interest's share of the segment's (user, interest) pairs, {segment} ({n_a:,} users) minus {name_b} "
        f"({n_b:,}), with a 95% interval over users; coloured where the interval clears zero.").figure(
        build_mix_difference(mix, segment, name_b)).table(
        mix.head(25)[["label", "share_a", "share_b", "difference", "low", "high", "clear"]]
        .rename(columns={"share_a": segment, "share_b": name_b}), "{:+.3f}"))
    if not engine.evaluation_runs().empty:
        curve = engine.segment_curve(segment)
        chart = pd.DataFrame({"alpha": curve["alpha"], f"{segment} ({curve.attrs['n_segment']})": curve["segment"],
                              "all users": curve["everyone"]})
        sections.append(Section("Ranking quality against the fixed weight").figure(
            build_alpha_curve(chart, "ndcg@10", None, None, {f"learned gate, {segment}": curve.attrs["learned_segment"]}))
            .text(f"NDCG@10 of evaluation run {curve.attrs['run_id']}'s test users in the segment, read from the "
                  "history the run's models saw, against the fixed long-term weight."))
    listing = found.head(n_members)[["user_id", "n_items", "idle_days", "weight"]]
    sections.append(Section(f"Members (first {len(listing)})").table(listing, "{:.2f}"))
    return render(f"Segment {segment}", _source(engine), sections)
