"""Interest explorer: the Streamlit frame. Registers the pages, makes sure data is loaded, and
holds the user picker every page shares (its value lives in the URL as ``?user=``)."""

from __future__ import annotations

import streamlit as st

from app_ui.shared import (
    SELECTED_USER,
    USER_PARAM,
    clear_data_caches,
    engine,
    feeds,
    overview,
    seed_widget,
    set_params,
    show_error,
    start_warm_up,
    users,
)
from recsys_core.errors import ConfigError, RecsysError

st.set_page_config(page_title="Interest explorer", page_icon="🧭", layout="wide")

pages = [
    st.Page("views/01_home.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/03_interest_map.py", title="Interest map", icon=":material/scatter_plot:", url_path="interest_map"),
    st.Page("views/04_user_explorer.py", title="User explorer", icon=":material/person_search:", url_path="user_explorer"),
    st.Page("views/05_lab.py", title="Recommendation lab", icon=":material/tune:", url_path="lab"),
    st.Page("views/07_trends.py", title="Trends & segments", icon=":material/trending_up:", url_path="trends"),
    st.Page("views/06_evaluation.py", title="Evaluation", icon=":material/monitoring:", url_path="evaluation"),
    st.Page("views/02_data.py", title="Data", icon=":material/table:", url_path="data"),
]
page = st.navigation(pages)

# after the navigation, so a first start opened at a page's address (/lab) reruns that page
try:
    eng = engine()
    if not eng.has_data():
        with st.status("First start: loading the sample shop into the database...", expanded=True) as status:
            bar = st.progress(0.0, text="starting")
            eng.ensure_data(on_progress=feeds(bar))
            status.update(label="Sample data and its model loaded", state="complete", expanded=False)
        clear_data_caches()
        st.rerun()
except ConfigError as exc:
    show_error(exc, "Fix that environment variable (or unset it for the default) and start the app again.")
    st.stop()
except RecsysError as exc:
    show_error(exc, "The app could not open its database. Fix the problem above and reload the page.")
    st.stop()

with st.sidebar:
    version = eng.data_version()
    people = users(eng, version)
    options = people["user_id"].astype(str).tolist()
    counts = dict(zip(options, people["n_events"].astype(int), strict=True))
    seed_widget("sidebar.user", USER_PARAM, str, options[0] if options else "")
    if st.session_state["sidebar.user"] not in counts:  # a link to a user outside the top list
        options.insert(0, st.session_state["sidebar.user"])
    user = st.selectbox("User", options, key="sidebar.user", help="Type to search. The most active users come first.",
                        format_func=lambda u: f"{u} · {counts[u]} events" if u in counts else f"{u} (from the link)")
    st.session_state[SELECTED_USER] = user
    set_params(**{USER_PARAM: user})
    info = overview(eng, version).info  # cached per data version, not queried per rerun
    st.caption(f"Database `{info.path}`  \nData version {info.data_version}, schema {info.schema_version}")

page.run()
# After the first page is drawn, not before: the served model and the LLM load in the
# background (once per process) while the analyst reads it.
start_warm_up(eng)
