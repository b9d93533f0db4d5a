"""Plotly figure builders. They return figures and never show them; no Streamlit here."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

EVENT_COLOURS = {
    "view": "#9bb8c9",
    "click": "#4f8fb0",
    "purchase": "#2f6f5e",
    "rating": "#e0a040",
    "interaction": "#7f8c8d",
}


def _style(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1, "xanchor": "right", "title": None},
        title={"x": 0, "xanchor": "left", "font": {"size": 16}},
        plot_bgcolor="white",
    )
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#eceff1")
    return fig


def build_events_over_time(by_week: pd.DataFrame, height: int = 320) -> go.Figure:
    """Stacked weekly event counts by type. ``by_week`` has columns week, event_type, n."""
    fig = px.bar(
        by_week, x="week", y="n", color="event_type", color_discrete_map=EVENT_COLOURS,
        labels={"week": "Week", "n": "Events", "event_type": "Event type"},
        title="Events per week",
    )
    return _style(fig, height)


def build_top_categories(top: pd.DataFrame, height: int = 320) -> go.Figure:
    """Horizontal bars of events per shop category. ``top`` has category, n_items, n_events."""
    data = top.sort_values("n_events")
    fig = px.bar(
        data, x="n_events", y="category", orientation="h", hover_data=["n_items"],
        labels={"n_events": "Events", "category": "Category", "n_items": "Items"},
        title="Most active categories", color_discrete_sequence=["#2f6f5e"],
    )
    return _style(fig, height)


# ---------------------------------------------------------------------- interest figures
THEME_PALETTE = px.colors.qualitative.Bold + px.colors.qualitative.Pastel + px.colors.qualitative.Safe
LONG_COLOUR = "#1f5f8b"
SHORT_COLOUR = "#e07b39"
INTEREST_COLOUR = "#7a9e3a"
ADOPTION_COLOUR = "#8e44ad"
OTHER_COLOUR = "#aab4ba"  # what a figure folds into one "other" row


def theme_colour(theme_id: int) -> str:
    """One fixed colour per theme, the same on every page."""
    return THEME_PALETTE[int(theme_id) % len(THEME_PALETTE)]


def _fine_colour(fine_id: int) -> str:
    palette = px.colors.qualitative.Dark24 + px.colors.qualitative.Light24 + px.colors.qualitative.Alphabet
    return palette[int(fine_id) % len(palette)]


def build_interest_map(
    imap: object,
    level: str = "theme",
    overlay: object | None = None,
    found: list[str] | None = None,
    height: int = 640,
    drawn: pd.DataFrame | None = None,
) -> go.Figure:
    """The item map coloured by theme or fine interest, with the nodes' centroids labelled.

    ``imap`` is a :class:`recsys_core.maps.InterestMap`; ``overlay`` a
    :class:`recsys_core.maps.UserOverlay` (history by time, long/short/fused positions,
    recommendations); ``found`` item ids to ring (a title search); ``drawn`` the items to draw
    (default all: see :func:`recsys_core.maps.drawn_items`). Item traces carry the item id as
    ``customdata`` so box/lasso selections map back to items.
    """
    items: pd.DataFrame = imap.items if drawn is None else drawn  # type: ignore[attr-defined]
    nodes: pd.DataFrame = imap.nodes  # type: ignore[attr-defined]
    fig = go.Figure()
    key, label_col = ("theme_id", "theme_label") if level == "theme" else ("fine_id", "fine_label")
    faded = overlay is not None
    # WebGL: measured faster than SVG even for the 2,400-item sample in headless Chromium without a GPU
    scatter = go.Scattergl
    for node_id, group in items.groupby(key, sort=True):
        colour = theme_colour(int(node_id)) if level == "theme" else _fine_colour(int(node_id))  # type: ignore[call-overload]
        fig.add_trace(scatter(
            x=group["x"], y=group["y"], mode="markers", name=str(group[label_col].iloc[0]),
            marker={"size": 5, "color": colour, "opacity": 0.4 if faded else 0.75},
            customdata=group[["item_id", "title", "fine_label", "theme_label", "popularity"]].to_numpy(),
            hovertemplate="<b>%{customdata[1]}</b><br>%{customdata[2]} · %{customdata[3]}"
                          "<br>%{customdata[4]} events<extra></extra>",
        ))
    for lvl, size, font in (("fine", 7, 10), ("theme", 13, 13)):
        sub = nodes[(nodes["level"] == lvl) & nodes["x"].notna()]
        fig.add_trace(go.Scatter(
            x=sub["x"], y=sub["y"], mode="markers", name="themes" if lvl == "theme" else "fine interests",
            showlegend=False,
            marker={"symbol": "diamond", "size": size, "color": "white", "line": {"color": "#1b2631", "width": 1.5}},
            customdata=sub[["label", "keywords", "size"]].to_numpy(),
            hovertemplate=f"<b>%{{customdata[0]}}</b> ({lvl})<br>%{{customdata[1]}}<br>%{{customdata[2]}} items<extra></extra>",
        ))
        if lvl == "theme" or level == "fine":
            # labels as annotations: they sit above the WebGL points (text in a trace is drawn
            # under them); on a real catalogue many centroids crowd the middle, so the biggest
            # nodes whose labels do not cover another's are labelled, the rest keep their hover
            shown = _labels_that_fit(sub, items, font, height)
            for row in sub[shown].itertuples(index=False):
                fig.add_annotation(x=row.x, y=row.y, yshift=font, showarrow=False,
                                   text=f"<b>{row.label}</b>" if lvl == "theme" else str(row.label),
                                   font={"size": font, "color": "#1b2631"}, bgcolor="rgba(255,255,255,0.7)",
                                   borderpad=1)
    if found:
        hits = imap.items[imap.items["item_id"].isin(set(found))]  # type: ignore[attr-defined]
        fig.add_trace(go.Scatter(
            x=hits["x"], y=hits["y"], mode="markers", name="search hits",
            marker={"size": 14, "color": "rgba(0,0,0,0)", "line": {"color": "#c0392b", "width": 2.5}},
            customdata=hits[["item_id", "title"]].to_numpy(), hovertemplate="<b>%{customdata[1]}</b><extra>found</extra>",
        ))
    if overlay is not None:
        hist: pd.DataFrame = overlay.history  # type: ignore[attr-defined]
        fig.add_trace(go.Scatter(
            x=hist["x"], y=hist["y"], mode="markers", name="history (old → new)",
            # as on the timeline: what the long-term branch no longer reads is small and faded, so a
            # heavy user's thousands of old items do not cover the map
            marker={"size": np.where(hist["in_long"], 10, 6), "opacity": np.where(hist["in_long"], 0.95, 0.35),
                    "color": hist["step"], "colorscale": "Viridis", "showscale": False,
                    "line": {"color": "white", "width": 0.5}},
            customdata=hist[["item_id", "title", "occurred_at"]].astype(str).to_numpy(),
            hovertemplate="<b>%{customdata[1]}</b><br>%{customdata[2]}<extra>history</extra>",
        ))
        recs: pd.DataFrame = overlay.recommended  # type: ignore[attr-defined]
        if len(recs):
            fig.add_trace(go.Scatter(
                x=recs["x"], y=recs["y"], mode="markers+text", name="recommended", text=recs["rank"].astype(str),
                textposition="middle right", textfont={"size": 10, "color": "#922b21"},
                marker={"symbol": "square", "size": 10, "color": "#c0392b", "line": {"color": "white", "width": 1}},
                customdata=recs[["item_id", "title"]].to_numpy(),
                hovertemplate="<b>%{customdata[1]}</b><extra>recommended</extra>",
            ))
        for name, xy, colour, symbol in (("long-term interest", overlay.long_xy, LONG_COLOUR, "star"),  # type: ignore[attr-defined]
                                         ("short-term interest", overlay.short_xy, SHORT_COLOUR, "star"),  # type: ignore[attr-defined]
                                         ("fused (current weight)", overlay.fused_xy, "#111111", "x")):  # type: ignore[attr-defined]
            fig.add_trace(go.Scatter(x=[xy[0]], y=[xy[1]], mode="markers", name=name,
                                     marker={"symbol": symbol, "size": 20, "color": colour,
                                             "line": {"color": "white", "width": 1.5}},
                                     hovertemplate=f"{name}<extra></extra>"))
    fig.update_layout(dragmode="lasso", legend={"itemsizing": "constant", "font": {"size": 11}})
    fig = _style(fig, height)
    fig.update_layout(legend={"orientation": "v", "y": 1, "x": 1.01, "xanchor": "left", "yanchor": "top"},
                      margin={"l": 10, "r": 10, "t": 36, "b": 10})  # room above for the mode bar
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    return fig


def _labels_that_fit(nodes: pd.DataFrame, items: pd.DataFrame, font: int, height: int) -> np.ndarray:
    """Which nodes' labels to draw: biggest first, each kept when its text box (estimated from
    its length and the font, drawn above its marker) overlaps no box kept before it."""
    if nodes.empty:
        return np.zeros(0, bool)
    xs = pd.concat([items["x"], nodes["x"]])
    ys = pd.concat([items["y"], nodes["y"]])
    # equal axis scales: one data unit per pixel on the tighter of the two axes (the legend
    # takes about a quarter of the width)
    plot_h = max(height - 50, 100)
    per_px = max(float(ys.max() - ys.min()) / plot_h, float(xs.max() - xs.min()) / (plot_h * 1.3), 1e-9)
    kept: list[tuple[float, float, float, float]] = []
    shown = np.zeros(len(nodes), bool)
    for pos in np.argsort(-nodes["size"].to_numpy(), kind="stable"):
        row = nodes.iloc[pos]
        half_w = 0.31 * font * len(str(row["label"])) * per_px
        box = (row["x"] - half_w, row["x"] + half_w, row["y"] + 4 * per_px, row["y"] + (4 + 1.3 * font) * per_px)
        if all(box[1] < k[0] or box[0] > k[1] or box[3] < k[2] or box[2] > k[3] for k in kept):
            kept.append(box)
            shown[pos] = True
    return shown


def build_timeline(events: pd.DataFrame, height: int | None = None, adoptions: pd.DataFrame | None = None) -> go.Figure:
    """Events over time, one row per fine interest (grouped by theme, coloured by theme);
    items the short-term branch reads are ringed, items outside the long-term window faded;
    each adoption (a burst on a new interest that stuck: label, burst_at, confirmed_at) is a
    band from its burst to its first return."""
    fig = go.Figure()
    if events.empty:
        return _style(fig, height or 200)
    rows = events.drop_duplicates("fine_id")
    # the row of folded interests (a negative id, see profiles.fold_timeline) last, in grey
    order = (rows[rows["fine_id"] >= 0].sort_values(["theme_label", "fine_label"])["fine_label"].tolist()
             + rows[rows["fine_id"] < 0]["fine_label"].tolist())
    for theme_id, group in events.groupby("theme_id", sort=True):
        fig.add_trace(go.Scatter(
            x=group["occurred_at"], y=group["fine_label"], mode="markers", name=str(group["theme_label"].iloc[0]),
            marker={"size": 11, "color": OTHER_COLOUR if theme_id < 0 else theme_colour(int(theme_id)),  # type: ignore[call-overload]
                    "opacity": [0.9 if x else 0.3 for x in group["in_long"]],
                    "line": {"color": [SHORT_COLOUR if s else "white" for s in group["in_short"]],
                             "width": [3 if s else 0.5 for s in group["in_short"]]}},
            customdata=group[["title", "theme_label", "event_type"]].to_numpy(),
            hovertemplate="<b>%{customdata[0]}</b><br>%{y} · %{customdata[1]}<br>%{customdata[2]}, %{x}<extra></extra>",
        ))
    read = events[events["in_long"]]
    if len(read):
        fig.add_vrect(x0=read["occurred_at"].min(), x1=read["occurred_at"].max(), fillcolor=LONG_COLOUR,
                      opacity=0.06, line_width=0, annotation_text="long-term window", annotation_position="top left",
                      annotation_yshift=-16)  # a line below the short-term label: the windows often meet
    short = events[events["in_short"]]
    if len(short):
        fig.add_vrect(x0=short["occurred_at"].min(), x1=short["occurred_at"].max(), fillcolor=SHORT_COLOUR,
                      opacity=0.18, line_width=0, annotation_text="short-term", annotation_position="top right")
    for row in (adoptions if adoptions is not None else pd.DataFrame()).itertuples(index=False):
        fig.add_vrect(x0=row.burst_at, x1=row.confirmed_at, fillcolor=ADOPTION_COLOUR, opacity=0.16, line_width=0,
                      annotation_text=f"adopted: {row.label}", annotation_position="bottom left",
                      annotation_font={"color": ADOPTION_COLOUR, "size": 11})
    fig = _style(fig, height or 120 + 26 * len(order))
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "x": 0, "xanchor": "left", "yanchor": "bottom"},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10})
    fig.update_yaxes(title=None, gridcolor="#f2f4f5", categoryorder="array", categoryarray=order[::-1])
    return fig


def build_interest_sunburst(shares: pd.DataFrame, branch: str, title: str, height: int = 380) -> go.Figure:
    """Themes (inner ring) and fine interests (outer) sized by the branch's attention share."""
    fine = shares[(shares["level"] == "fine") & (shares[branch] > 1e-4)]
    themes = shares[(shares["level"] == "theme") & (shares[branch] > 1e-4)]
    ids = [f"t{int(t)}" for t in themes["node_id"]] + [f"f{int(f)}" for f in fine["node_id"]]
    labels = list(themes["label"]) + list(fine["label"])
    parents = [""] * len(themes) + [f"t{int(p)}" for p in fine["parent_id"]]
    values = list(themes[branch]) + list(fine[branch])
    colours = [theme_colour(int(t)) for t in themes["node_id"]] + [theme_colour(int(p)) for p in fine["parent_id"]]
    fig = go.Figure(go.Sunburst(
        ids=ids, labels=labels, parents=parents, values=values, branchvalues="total",
        marker={"colors": colours, "line": {"color": "white", "width": 1}},
        hovertemplate="<b>%{label}</b><br>%{value:.0%} of the attention<extra></extra>",
        insidetextorientation="radial", sort=False,
    ))
    fig.update_layout(height=height, margin={"l": 0, "r": 0, "t": 36, "b": 0},
                      title={"text": title, "x": 0, "font": {"size": 15}})
    return fig


def build_gate_curve(hours: object, gate: object, now_hours: float | None, now_gate: float, height: int = 300) -> go.Figure:
    """The learned long-term weight against hours since the last event, the user's own point marked."""
    fig = go.Figure(go.Scatter(x=hours, y=gate, mode="lines", line={"color": LONG_COLOUR, "width": 3},
                               name="learned weight", hovertemplate="%{x:.0f} h idle: %{y:.2f}<extra></extra>"))
    if now_hours is not None:
        fig.add_trace(go.Scatter(x=[max(now_hours, 0.1)], y=[now_gate], mode="markers", name="this user now",
                                 marker={"size": 13, "color": SHORT_COLOUR, "line": {"color": "white", "width": 1.5}},
                                 hovertemplate="now: %{x:.0f} h idle, weight %{y:.2f}<extra></extra>"))
    fig = _style(fig, height)
    fig.update_xaxes(type="log", title="hours since the last event (log scale)", showgrid=True, gridcolor="#eceff1")
    fig.update_yaxes(title="weight of long-term interest", range=[0, 1])
    fig.update_layout(showlegend=False)
    return fig


def build_score_split(recs: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Stacked horizontal bars of each item's score parts (long, short, interest); ``recs`` has
    rank, title, long_part, short_part, interest_part."""
    data = recs.sort_values("rank", ascending=False)
    labels = [f"{r}. {t[:38]}" for r, t in zip(data["rank"], data["title"], strict=True)]
    fig = go.Figure()
    for col, name, colour in (("long_part", "long-term", LONG_COLOUR), ("short_part", "short-term", SHORT_COLOUR),
                              ("interest_part", "interest text", INTEREST_COLOUR)):
        if col == "interest_part" and not data[col].abs().gt(0).any():
            continue
        fig.add_trace(go.Bar(y=labels, x=data[col], name=name, orientation="h", marker_color=colour,
                             hovertemplate="%{y}<br>" + name + ": %{x:.3f}<extra></extra>"))
    fig.update_layout(barmode="relative")
    fig = _style(fig, height or 60 + 28 * len(data))
    fig.update_xaxes(title="score", showgrid=True, gridcolor="#eceff1", zeroline=True, zerolinecolor="#95a5a6")
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig


def build_alpha_curve(
    sweep: pd.DataFrame, metric: str, chosen: float | None, learned: dict[str, float] | None,
    references: dict[str, float] | None = None, height: int = 360,
) -> go.Figure:
    """A metric against the fixed long-term weight. ``sweep`` has alpha and one column per
    series (e.g. all / light / heavy users); the learned weights' p10-p90 band and median,
    the chosen value and reference levels (learned gate, best baseline) are marked."""
    fig = go.Figure()
    colours = {"all users": "#1b2631", "light users": SHORT_COLOUR, "heavy users": LONG_COLOUR}
    others = iter([SHORT_COLOUR, LONG_COLOUR, INTEREST_COLOUR, ADOPTION_COLOUR, *THEME_PALETTE])
    for col in [c for c in sweep.columns if c != "alpha"]:
        colour = colours.get(col) or next(others)
        fig.add_trace(go.Scatter(x=sweep["alpha"], y=sweep[col], mode="lines+markers", name=col,
                                 line={"color": colour, "width": 3 if col == "all users" else 2},
                                 hovertemplate=f"{col}, alpha %{{x:.1f}}: %{{y:.4f}}<extra></extra>"))
    if learned:
        fig.add_vrect(x0=learned["p10"], x1=learned["p90"], fillcolor=LONG_COLOUR, opacity=0.08, line_width=0,
                      annotation_text="learned weights p10-p90", annotation_position="top left")
        fig.add_vline(x=learned["median"], line={"color": LONG_COLOUR, "dash": "dot"},
                      annotation_text=f"learned median {learned['median']:.2f}", annotation_position="bottom right")
    if chosen is not None:
        fig.add_vline(x=chosen, line={"color": "#c0392b", "width": 2},
                      annotation_text=f"slider {chosen:.2f}", annotation_position="top right")
    top = float(np.nanmax(sweep.drop(columns="alpha").to_numpy())) if len(sweep) else 0.0
    for name, value in (references or {}).items():
        # a level above every curve is labelled on the right, clear of the band's label
        fig.add_hline(y=value, line={"color": "#95a5a6", "dash": "dash"}, annotation_text=name,
                      annotation_position="bottom right" if value > top else "bottom left")
    fig = _style(fig, height)
    fig.update_xaxes(title="fixed weight of long-term interest (alpha)", range=[-0.02, 1.02], showgrid=True,
                     gridcolor="#eceff1")
    fig.update_yaxes(title=metric)
    return fig


TREND_COLOURS = {"rising": "#2e7d32", "falling": "#c62828", "steady": "#90a4ae"}


def clip_labels(labels: Iterable[object], limit: int = 44) -> list[str]:
    """Axis labels no longer than ``limit``, cut at a word with an ellipsis; a label whose cut
    would meet another's stays whole (a category axis merges equal labels into one row)."""
    whole = [str(lab) for lab in labels]

    def cut(text: str) -> str:
        if len(text) <= limit:
            return text
        head = text[: limit - 1]
        return (head.rsplit(" ", 1)[0] if " " in head[limit // 2:] else head).rstrip(" ·,") + "…"

    clipped = [cut(t) for t in whole]
    counts: dict[str, int] = {}
    for c in clipped:
        counts[c] = counts.get(c, 0) + 1
    return [c if counts[c] == 1 else t for c, t in zip(clipped, whole, strict=True)]


def build_trend_changes(changes: pd.DataFrame, title: str, height: int | None = None) -> go.Figure:
    """One row per interest: its change (log2 of its share, recent over before) as a dot with
    its interval as a bar, coloured rising / falling / steady; ``changes`` rows in the order
    shown top to bottom (node, label, change, change_low, change_high, status, users_recent)."""
    data = changes.iloc[::-1]
    fig = go.Figure(go.Scatter(
        x=data["change"], y=clip_labels(data["label"]), mode="markers", hovertext=list(data["label"]),
        marker={"size": 11, "color": [TREND_COLOURS[str(s)] for s in data["status"]]},
        error_x={"type": "data", "symmetric": False, "array": data["change_high"] - data["change"],
                 "arrayminus": data["change"] - data["change_low"], "color": "#78909c", "thickness": 1.5},
        customdata=np.stack([data["node"], data["users_before"], data["users_recent"], data["change_low"],
                             data["change_high"]], axis=1),
        hovertemplate=("<b>%{hovertext}</b><br>x%{text} its share (log2 %{x:+.2f}, interval %{customdata[3]:+.2f} to "
                       "%{customdata[4]:+.2f})<br>users before %{customdata[1]}, recent %{customdata[2]}<extra></extra>"),
        text=[f"{2 ** c:.2f}" for c in data["change"]],
    ))
    fig.add_vline(x=0, line_color="#455a64", line_width=1)
    fig = _style(fig, height or 70 + 24 * len(data))
    fig.update_layout(title={"text": title}, showlegend=False, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    fig.update_xaxes(title="log2 change of share (+1: doubled)", showgrid=True,
                     gridcolor="#eceff1")
    return fig


TREND_MEASURES = {
    "user_share": "share of active users who touched it",
    "touch_share": "share of all items touched",
    "short_holders": "users holding it short-term",
    "long_holders": "users holding it long-term",
}


def build_interest_series(series: pd.DataFrame, nodes: list[int], measure: str, split_at: object = None,
                          height: int = 340) -> go.Figure:
    """Per-period lines of one measure (see :data:`TREND_MEASURES`) for the chosen interests,
    with the start of the recent part marked."""
    fig = go.Figure()
    for node in nodes:
        part = series[series["node"] == node].sort_values("period_start")
        if part.empty:
            continue
        fig.add_trace(go.Scatter(x=part["period_start"], y=part[measure], mode="lines+markers",
                                 name=clip_labels([part["label"].iloc[0]])[0], line={"width": 2}, marker={"size": 5},
                                 hovertemplate="%{x|%Y-%m-%d}: %{y:.3~g}<extra>%{fullData.name}</extra>"))
    if split_at is not None:
        fig.add_vline(x=split_at, line_dash="dot", line_color="#455a64")
    fig = _style(fig, height)
    fig.update_yaxes(title=TREND_MEASURES[measure], tickformat=".1%" if measure.endswith("share") else None,
                     rangemode="tozero")
    return fig


def build_holders(series: pd.DataFrame, node: int, split_at: object = None, height: int = 300) -> go.Figure:
    """For one interest: users holding it short-term against long-term, per period (short-term
    moving first and long-term following is a taste settling in)."""
    part = series[series["node"] == node].sort_values("period_start")
    fig = go.Figure()
    for col, name, colour in (("short_holders", "short-term holders", SHORT_COLOUR),
                              ("long_holders", "long-term holders", LONG_COLOUR)):
        fig.add_trace(go.Scatter(x=part["period_start"], y=part[col], mode="lines+markers", name=name,
                                 line={"color": colour, "width": 2}, marker={"size": 5},
                                 hovertemplate="%{x|%Y-%m-%d}: %{y} users<extra>" + name + "</extra>"))
    if "adoptions" in part and part["adoptions"].sum() > 0:
        fig.add_trace(go.Bar(x=part["period_start"], y=part["adoptions"], name="adoptions (burst began)",
                             marker_color=ADOPTION_COLOUR, opacity=0.5,
                             hovertemplate="%{x|%Y-%m-%d}: %{y} adoptions<extra></extra>"))
    if split_at is not None:
        fig.add_vline(x=split_at, line_dash="dot", line_color="#455a64")
    fig = _style(fig, height)
    fig.update_yaxes(title="users")
    return fig


def build_mix_difference(mix: pd.DataFrame, name_a: str, name_b: str, n: int = 15) -> go.Figure:
    """Two segments' interest mixes: for the ``n`` largest differences, a's share minus b's
    (share of each segment's (user, interest) pairs) with its interval; clear gaps coloured."""
    data = mix.head(n).iloc[::-1]
    colours = [TREND_COLOURS["rising"] if c and d > 0 else TREND_COLOURS["falling"] if c else TREND_COLOURS["steady"]
               for c, d in zip(data["clear"], data["difference"], strict=True)]
    fig = go.Figure(go.Scatter(
        x=data["difference"] * 100, y=clip_labels(data["label"]), mode="markers",
        marker={"size": 11, "color": colours},
        error_x={"type": "data", "symmetric": False, "array": (data["high"] - data["difference"]) * 100,
                 "arrayminus": (data["difference"] - data["low"]) * 100, "color": "#78909c", "thickness": 1.5},
        customdata=np.stack([data["share_a"] * 100, data["share_b"] * 100], axis=1),
        hovertemplate=(f"<b>%{{y}}</b><br>{name_a[:30]}: %{{customdata[0]:.1f}}%<br>{name_b[:30]}: "
                       "%{customdata[1]:.1f}%<br>difference %{x:+.1f} points<extra></extra>"),
    ))
    fig.add_vline(x=0, line_color="#455a64", line_width=1)
    fig = _style(fig, 70 + 24 * len(data))
    fig.update_layout(showlegend=False, title={"text": f"{name_a[:30]} minus {name_b[:30]}"})
    fig.update_xaxes(title="difference in share of the segment's (user, interest) pairs, points", showgrid=True,
                     gridcolor="#eceff1")
    return fig
