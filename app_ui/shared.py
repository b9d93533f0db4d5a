"""The app's one place for caches, session-state keys, URL parameters and the engine accessor.

Pages import from here and stay thin. Cached functions take a cheap version key with the
engine, so they refresh when the data or the model changes and never recompute on a plain
rerun.
"""

from __future__ import annotations

import gc
import logging
import re
import threading
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from recsys_core.config import RecsysConfig
from recsys_core.engine import Overview, PipelineStatus, PreviewTable, RecsysEngine, open_engine
from recsys_core.errors import RecsysError
from recsys_core.maps import InterestMap
from recsys_core.moments import AS_OF_WORDS

SELECTED_USER = "selected_user"
BUILD_KEY = "build_key"
LAST_LIST = "lab.last_list"  # item ids of the list shown before the last change
_MD_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$])")
# what GitHub-flavoured Markdown turns into a link even when escaped: a scheme before "://",
# "www." and the "@" of an address; a zero-width space inside breaks the pattern, not the look
_AUTOLINK = re.compile(r"(?i)\b(?:https?|ftp)(?=://)|\bwww(?=\.)|@")


def md(text: object) -> str:
    """Text from the data or a model, shown as typed inside Markdown: every character Markdown
    or Streamlit reads as syntax (links, images, emphasis, ``:red[...]`` directives, HTML,
    autolinked addresses) is escaped, so an imported title cannot fetch an image or draw a link."""
    return _MD_SYNTAX.sub(r"\\\1", _AUTOLINK.sub(lambda m: m.group(0) + "\u200b", str(text)))


USER_PARAM = "user"

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def get_engine(config: RecsysConfig) -> RecsysEngine:
    """The process-wide engine (owns the database connection)."""
    return open_engine(config)


def engine() -> RecsysEngine:
    return get_engine(RecsysConfig.from_env())


def _warm_up(eng: RecsysEngine) -> None:
    try:
        eng.warm_up()
    except Exception:  # a page that needs the model will show the error itself
        logging.getLogger(__name__).warning("loading the served model in the background failed", exc_info=True)
    # what is loaded now (libraries, the model, the LLM) lives as long as the process: kept out
    # of the collector's full passes, which otherwise walk all of it again and again
    gc.freeze()


@st.cache_resource(show_spinner=False)
def start_warm_up(_engine: RecsysEngine) -> threading.Thread:
    """Once per process: load the served model in the background while the first page draws."""
    thread = threading.Thread(target=_warm_up, args=(_engine,), name="recsys-warm-up", daemon=True)
    thread.start()
    return thread


@st.cache_data(show_spinner=False, max_entries=8)
def overview(_engine: RecsysEngine, data_version: int) -> Overview:
    return _engine.overview()


@st.cache_data(show_spinner=False, max_entries=32)
def preview(_engine: RecsysEngine, data_version: int, table: PreviewTable, n: int, search: str) -> pd.DataFrame:
    return _engine.preview(table, n, search)


@st.cache_data(show_spinner=False, max_entries=8)
def pipeline_status(_engine: RecsysEngine, data_version: int, build_key: int) -> PipelineStatus:
    """Cached per data version and per ``build_key`` (bumped after a build or an evaluation)."""
    return _engine.pipeline_status()


@st.cache_data(show_spinner=False, max_entries=8)
def users(_engine: RecsysEngine, data_version: int, n: int = 2000) -> pd.DataFrame:
    return _engine.users("", n)


@st.cache_data(show_spinner=False, max_entries=4)
def interest_map(_engine: RecsysEngine, model_version: str) -> InterestMap:
    """The build's item map (projected once per build and stored in DuckDB by the engine)."""
    return _engine.interest_map()


@st.cache_data(show_spinner=False, max_entries=64)
def user_timeline(_engine: RecsysEngine, model_version: str, user_id: str, include_simulated: bool,
                  events_key: int, as_of: str = "next-visit") -> pd.DataFrame:
    from recsys_core.moments import parse_as_of

    return _engine.user_timeline(user_id, include_simulated, parse_as_of(as_of))


@st.cache_data(show_spinner=False, max_entries=64)
def user_interests(_engine: RecsysEngine, model_version: str, user_id: str, include_simulated: bool,
                   events_key: int, as_of: str = "next-visit") -> pd.DataFrame:
    from recsys_core.moments import parse_as_of

    return _engine.user_interests(user_id, include_simulated, parse_as_of(as_of))


@st.cache_data(show_spinner=False, max_entries=16)
def evaluation_runs(_engine: RecsysEngine, build_key: int) -> pd.DataFrame:
    return _engine.evaluation_runs()


@st.cache_data(show_spinner=False, max_entries=16)
def evaluation_table(_engine: RecsysEngine, run_id: int) -> tuple[pd.DataFrame, dict[str, object]]:
    return _engine.evaluation_table(run_id)


@st.cache_data(show_spinner=False, max_entries=4)
def gate_verdict(_engine: RecsysEngine, newest_run: int) -> dict[str, object] | None:
    """The newest evaluation's word on the learned weight (keyed by that run's id)."""
    return _engine.gate_verdict()


@st.cache_data(show_spinner=False, max_entries=16)
def evaluation_comparison(_engine: RecsysEngine, run_id: int) -> pd.DataFrame:
    return _engine.evaluation_comparison(run_id)


def build_key() -> int:
    return int(st.session_state.get(BUILD_KEY, 0))


def bump_build_key() -> None:
    st.session_state[BUILD_KEY] = build_key() + 1
    pipeline_status.clear()
    interest_map.clear()
    evaluation_runs.clear()


def clear_data_caches() -> None:
    """Forget cached data after the database changed."""
    overview.clear()
    preview.clear()
    pipeline_status.clear()
    users.clear()
    interest_map.clear()


def events_key() -> int:
    """Bumped when the lab records or clears simulated events (user caches key on it)."""
    return int(st.session_state.get("events_key", 0))


def bump_events_key() -> None:
    st.session_state["events_key"] = events_key() + 1


def show_error(exc: RecsysError, what_to_do: str = "") -> None:
    """A readable error box instead of a traceback."""
    st.error(f"{exc}" + (f"\n\n{what_to_do}" if what_to_do else ""), icon=":material/error:")


def feeds(bar: DeltaGenerator) -> Callable[[str, float], None]:
    """The engine's progress callback (stage, fraction) drawn on a Streamlit progress bar."""

    def update(stage: str, fraction: float) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=stage)

    return update


def run_with_progress(step: Callable[[Callable[[str, float], None]], T], what_to_do: str = "") -> T | None:
    """Run a long engine step with a progress bar fed by its callback; a RecsysError becomes
    a readable message (and None), never a traceback."""
    bar = st.progress(0.0, text="starting")
    try:
        return step(feeds(bar))
    except RecsysError as exc:
        show_error(exc, what_to_do)
        return None


def require_model(eng: RecsysEngine) -> str | None:
    """The model version, or None after telling the analyst to build first (pages then stop)."""
    try:
        version = eng.model_version()
    except RecsysError as exc:
        show_error(exc, "Rebuild the model on the Overview page.")
        return None
    if not version:
        st.info("No model yet. Build it on the **Overview** page (about 4 minutes on the sample shop).",
                icon=":material/model_training:")
        st.page_link("views/01_home.py", label="Go to the Overview", icon=":material/dashboard:")
        return None
    return version


def selected_user() -> str | None:
    return st.session_state.get(SELECTED_USER)


# ---------------------------------------------------------------------- URL parameters
def param(name: str, cast: Callable[[str], T], default: T) -> T:
    """A value from the URL's query parameters (``?alpha=0.3``), or ``default`` if absent or bad."""
    raw = st.query_params.get(name)
    if raw is None:
        return default
    try:
        return cast(raw)
    except (TypeError, ValueError):
        return default


def seed_widget(key: str, name: str, cast: Callable[[str], T], default: T) -> None:
    """Give a widget its first value from the URL (once per session), so a shared link opens
    the same view."""
    if key not in st.session_state:
        st.session_state[key] = param(name, cast, default)


def set_params(**values: object) -> None:
    """Write the view's state into the URL (None removes a parameter)."""
    for name, value in values.items():
        if value is None or value == "":
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != str(value):
            st.query_params[name] = str(value)


def save_upload(upload: object) -> str:
    """Write an uploaded file to this session's temporary folder (keeping its name, whose
    extension tells the reader the format) and return the path."""
    import tempfile
    from pathlib import Path

    folder = st.session_state.get("upload_dir")
    if folder is None or not Path(folder).exists():
        folder = tempfile.mkdtemp(prefix="recsys_upload_")
        st.session_state["upload_dir"] = folder
    target = Path(folder) / Path(str(upload.name)).name  # type: ignore[attr-defined]
    target.write_bytes(upload.getvalue())  # type: ignore[attr-defined]
    return str(target)


# ---------------------------------------------------------------------- when a user is looked at
_AS_OF_CHOICES = {**AS_OF_WORDS, "date": "a date"}


def as_of_picker(key: str, linked: str) -> str:
    """"Look at the user as of": their next visit (default), the end of the data, or a date.
    ``linked`` is the link's ``asof`` value (seeds the widgets once); returns the choice as the
    engine reads it (``next-visit``, ``data-end`` or an ISO date) and keeps it in the URL."""
    import datetime as dt

    from recsys_core.moments import parse_as_of

    if f"{key}.kind" not in st.session_state:
        try:  # a hand-edited link with a bad moment opens at the next visit
            moment = parse_as_of(linked)
        except RecsysError:
            moment = "next-visit"
        st.session_state[f"{key}.kind"] = moment if isinstance(moment, str) else "date"
        st.session_state[f"{key}.date"] = moment.date() if isinstance(moment, dt.datetime) else dt.date.today()
    kind = st.selectbox("Look at the user as of", list(_AS_OF_CHOICES), key=f"{key}.kind",
                        format_func=_AS_OF_CHOICES.__getitem__,
                        help="Their next visit: the last event plus their usual gap between sessions. The end of "
                             "the data: the newest event in the store. A date: the history as it stood then.")
    value = kind
    if kind == "date":
        value = st.date_input("Date", key=f"{key}.date", min_value=dt.date(1970, 1, 1),
                              max_value=dt.date(2199, 12, 31)).isoformat()  # type: ignore[union-attr]
    set_params(asof=None if value == "next-visit" else value)
    return value
