"""Assemble a report page: headings, paragraphs, figure blocks and tables into one HTML file.

Every text from the data is escaped; figures are plotly divs sharing one inline copy of
plotly.js (about 3.5 MB), so the file opens by double-click with no network. No external
fonts, stylesheets or scripts.
"""

from __future__ import annotations

import datetime as dt
import html
import numbers
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd
import plotly.graph_objects as go

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;color:#1b2631;background:#fff}
main{max-width:1180px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:30px;margin:8px 0 4px} h2{font-size:22px;margin:36px 0 8px;border-bottom:1px solid #e5e8e8;padding-bottom:4px}
h3{font-size:17px;margin:20px 0 6px} p{line-height:1.5;margin:6px 0} .meta{color:#5d6d7e;font-size:14px}
.metrics{display:flex;flex-wrap:wrap;gap:28px;margin:16px 0} .metric .v{font-size:28px} .metric .k{color:#5d6d7e;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:8px 0 16px;width:100%}
th,td{border-bottom:1px solid #eaeded;padding:4px 8px;text-align:left;vertical-align:top} th{background:#f4f6f6}
td.num{text-align:right;font-variant-numeric:tabular-nums} .row{display:grid;gap:16px} .row>div{min-width:0}
footer{color:#85929e;font-size:12px;margin-top:48px}
"""


@dataclass
class Section:
    """A heading with what comes under it, in order: ("p", text), ("metrics", {label: value}),
    ("figure", go.Figure), ("figures", [go.Figure, ...] side by side), ("table", DataFrame)."""

    title: str
    blocks: list[tuple[str, object]] = field(default_factory=list)

    def text(self, words: str) -> Section:
        self.blocks.append(("p", words))
        return self

    def metrics(self, values: dict[str, object]) -> Section:
        self.blocks.append(("metrics", values))
        return self

    def figure(self, fig: go.Figure) -> Section:
        self.blocks.append(("figure", fig))
        return self

    def figures(self, figs: list[go.Figure]) -> Section:
        self.blocks.append(("figures", figs))
        return self

    def table(self, frame: pd.DataFrame, floats: str = "{:.3f}") -> Section:
        self.blocks.append(("table", (frame, floats)))
        return self


def _figure_html(fig: go.Figure) -> str:
    return str(fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False, default_width="100%",
                           config={"displaylogo": False, "responsive": True}))


def _table_html(frame: pd.DataFrame, floats: str) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for v in values:
            if isinstance(v, bool | np.bool_):
                cells.append(f"<td>{'yes' if v else ''}</td>")
            elif isinstance(v, numbers.Integral):
                cells.append(f"<td class=num>{int(v):,}</td>")
            elif isinstance(v, numbers.Real):
                cells.append(f"<td class=num>{'' if pd.isna(v) else html.escape(floats.format(v))}</td>")
            else:
                cells.append(f"<td>{html.escape('' if v is None else str(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render(title: str, subtitle: str, sections: list[Section]) -> str:
    """The whole report as one HTML document."""
    from plotly.offline import get_plotlyjs

    body = [f"<h1>{html.escape(title)}</h1>", f"<p class=meta>{html.escape(subtitle)}</p>"]
    for section in sections:
        body.append(f"<h2>{html.escape(section.title)}</h2>")
        for kind, value in section.blocks:
            if kind == "p":
                body.append(f"<p>{html.escape(str(value))}</p>")
            elif kind == "metrics":
                items = "".join(f"<div class=metric><div class=v>{html.escape(str(v))}</div>"
                                f"<div class=k>{html.escape(str(k))}</div></div>"
                                for k, v in value.items())  # type: ignore[attr-defined]
                body.append(f"<div class=metrics>{items}</div>")
            elif kind == "figure":
                body.append(_figure_html(value))  # type: ignore[arg-type]
            elif kind == "figures":
                # the columns are fixed before any figure draws: plotly sizes a figure to its
                # cell once, when its script runs, and a later cell must not shrink an earlier one
                figs = list(value)  # type: ignore[call-overload]
                body.append(f"<div class=row style='grid-template-columns:repeat({len(figs)},minmax(0,1fr))'>"
                            + "".join(f"<div>{_figure_html(f)}</div>" for f in figs) + "</div>")
            elif kind == "table":
                table, fmt = cast(tuple[pd.DataFrame, str], value)
                body.append(_table_html(table, fmt))
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head><body><main>{''.join(body)}"
        f"<footer>Made by the interest explorer on {made}. Self-contained: opens without a network.</footer>"
        "</main></body></html>\n"
    )
