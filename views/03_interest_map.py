"""Interest map: every item on a UMAP of the model's item space, coloured by theme or fine
interest, with the interests' centres labelled; a user's history, interest positions and
recommendations on top; box/lasso selections summarised and exportable."""

from __future__ import annotations

import streamlit as st

from app_ui.shared import (
    engine,
    events_key,
    interest_map,
    md,
    require_model,
    seed_widget,
    selected_user,
    set_params,
    show_error,
)
from recsys_core.errors import RecsysError
from recsys_core.viz import build_interest_map

eng = engine()
st.title("Interest map")
version = require_model(eng)
if version is None:
    st.stop()

with st.spinner("Projecting the items (once per build)..."):
    imap = interest_map(eng, version)

seed_widget("map.level", "level", lambda v: v if v in ("theme", "fine") else "theme", "theme")
seed_widget("map.overlay", "overlay", lambda v: v != "0", True)
seed_widget("map.search", "q", str, "")
themes = imap.nodes[imap.nodes["level"] == "theme"].sort_values("label")
theme_names = {int(r.node_id): f"{r.label} ({r.size:,} items)" for r in themes.itertuples()}
EVERY_THEME = -1  # not None: a select box shows None as "Choose an option"
seed_widget("map.theme", "theme", lambda v: int(v) if v.isdigit() and int(v) in theme_names else EVERY_THEME,
            EVERY_THEME)
left, mid, right = st.columns([1.2, 1.4, 2])
LEVEL_NAMES = {"theme": "Theme", "fine": "Fine interest"}
level = left.segmented_control("Colour by", ["theme", "fine"], key="map.level",
                               format_func=lambda v: LEVEL_NAMES[v]) or "theme"
show_user = mid.toggle(f"Show {selected_user()}", key="map.overlay",
                       help="History coloured by time (dark = old, yellow = new), interest positions, recommendations")
title_word = eng.placeholders()[0]
search = right.text_input("Find items by title", key="map.search",
                          placeholder=f"e.g. {title_word}" if title_word else "part of a title")
picked = st.selectbox("Items of", [EVERY_THEME, *theme_names], key="map.theme",
                      format_func=lambda t: "every theme" if t == EVERY_THEME else theme_names[t],
                      help="Draw one theme's items only (all of them, on a large catalogue)")
theme = None if picked in (None, EVERY_THEME) else int(picked)
set_params(level=level if level != "theme" else None, overlay=None if show_user else 0, q=search.strip() or None,
           theme=theme)

found = []
if search.strip():
    hits = imap.items[imap.items["title"].str.contains(search.strip(), case=False, regex=False)]
    found = hits["item_id"].tolist()
    st.caption(f"{len(found)} item(s) match {search.strip()!r} (ringed in red).")
overlay = None
if show_user and selected_user():
    try:
        recs = eng.recommend(str(selected_user()), n=10, include_simulated=True)
        overlay = eng.user_overlay(str(selected_user()), recs, include_simulated=True, imap=imap)
    except RecsysError as exc:
        show_error(exc)
_ = events_key()  # the overlay reads simulated events too

keep = found + ([] if overlay is None else overlay.history["item_id"].tolist() + overlay.recommended["item_id"].tolist())
drawn = eng.drawn_map_items(imap, keep, theme)
fig = build_interest_map(imap, level, overlay, found, drawn=drawn)
event = st.plotly_chart(fig, width="stretch", key="map.chart", on_select="rerun", selection_mode=("box", "lasso"))
total = len(imap.items) if theme is None else int((imap.items["theme_id"] == theme).sum())
shown = (f"{total:,} items" if len(drawn) >= total else
         f"{len(drawn):,} of {total:,} items drawn (an even share of every fine interest; pick a theme above to see "
         "more of its items)")
st.caption(f"{shown}, {int((imap.nodes['level'] == 'fine').sum())} fine interests (small diamonds), "
           f"{int((imap.nodes['level'] == 'theme').sum())} themes (large diamonds)."
           + (" The user's history runs from dark (old) to yellow (new); small and faded: outside the long-term "
              "window." if overlay is not None else "") + " Drag a lasso or a box to summarise a region.")

selected = [p["customdata"][0] for p in (event.selection.points if event else []) if p.get("customdata")]
selected = [s for s in selected if s in set(imap.items["item_id"])]
if selected:
    items, counts, keywords = eng.describe_items(selected)
    st.subheader(f"{len(items)} selected items")
    st.markdown("**Top keywords:** " + ", ".join(md(k) for k in keywords))
    a, b = st.columns([1, 2])
    a.dataframe(counts, hide_index=True, width="stretch")
    b.dataframe(items, hide_index=True, width="stretch", height=320)
    st.download_button("Download the selection as CSV", items.to_csv(index=False).encode(), "selection.csv",
                       "text/csv", key="map.download", icon=":material/download:")

with st.expander("Rename an interest", icon=":material/edit:"):
    nodes = imap.nodes.sort_values(["level", "label"], ascending=[False, True])
    keys = [f"{r.level}:{r.node_id}" for r in nodes.itertuples()]
    labels = {f"{r.level}:{r.node_id}": f"{r.label} ({r.level}, {r.size} items; {r.keywords})" for r in nodes.itertuples()}
    pick = st.selectbox("Interest", keys, key="map.rename_pick", format_func=lambda k: labels[k]) or ""
    new_name = st.text_input("New name", key="map.rename_name")
    if st.button("Rename", key="map.rename", disabled=not new_name.strip() or not pick):
        lvl, node = pick.split(":")
        try:
            eng.rename_interest(lvl, int(node), new_name)
        except RecsysError as exc:
            show_error(exc)
        else:
            interest_map.clear()
            st.toast(f"Renamed to {new_name.strip()!r}; every page uses the new name.")
            st.rerun()
