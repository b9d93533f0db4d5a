"""Plotly figure builders. They return figures and never show them; no Streamlit here."""

from __future__ import annotations

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
