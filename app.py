"""Interest explorer: the Streamlit frame. Registers the pages and makes sure data is loaded."""

from __future__ import annotations

import streamlit as st

from pages._shared import clear_data_caches, engine, overview, show_error
from recsys_core.errors import RecsysError

st.set_page_config(page_title="Interest explorer", page_icon="🧭", layout="wide")

try:
    eng = engine()
    if not eng.has_data():
        with st.status("First start: loading the sample shop into the database...", expanded=True) as status:
            bar = st.progress(0.0, text="starting")
            eng.ensure_data(on_progress=lambda stage, f: bar.progress(min(max(f, 0.0), 1.0), text=stage))
            status.update(label="Sample data loaded", state="complete", expanded=False)
        clear_data_caches()
        st.rerun()
except RecsysError as exc:
    show_error(exc, "The app could not open its database. Fix the problem above and reload the page.")
    st.stop()

pages = [
    st.Page("pages/01_home.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/02_data.py", title="Data", icon=":material/table:", url_path="data"),
]
with st.sidebar:
    info = overview(eng, eng.data_version()).info  # cached per data version, not queried per rerun
    st.caption(f"Database `{info.path}`  \nData version {info.data_version}, schema {info.schema_version}")

st.navigation(pages).run()
