"""Data: browse what the database holds."""

from __future__ import annotations

import streamlit as st

from pages._shared import engine, preview

eng = engine()
st.title("Data")
st.caption("Browse items, users and interactions. Importing from the app arrives with the dashboard; "
           "until then use `python -m recsys_core import` with the app stopped.")

table = st.segmented_control("Table", ["items", "users", "interactions"], default="items", key="data.table")
search = st.text_input("Search", key="data.search", placeholder="title, user id or item id")
frame = preview(eng, eng.data_version(), table or "items", 500, search.strip())
st.dataframe(frame, width="stretch", hide_index=True, height=520)
st.caption(f"Showing {len(frame):,} rows (at most 500).")
