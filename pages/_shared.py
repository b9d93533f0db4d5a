"""The app's one place for caches, session-state keys and the engine accessor.

Pages import from here and stay thin. Cached functions take a cheap version key with the
engine, so they refresh when the data changes and never recompute on a plain rerun.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys_core.config import RecsysConfig
from recsys_core.engine import Overview, PipelineStatus, PreviewTable, RecsysEngine, open_engine
from recsys_core.errors import RecsysError

SELECTED_USER = "selected_user"
BUILD_KEY = "build_key"


@st.cache_resource(show_spinner=False)
def get_engine(config: RecsysConfig) -> RecsysEngine:
    """The process-wide engine (owns the database connection)."""
    return open_engine(config)


def engine() -> RecsysEngine:
    return get_engine(RecsysConfig.from_env())


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


def build_key() -> int:
    return int(st.session_state.get(BUILD_KEY, 0))


def bump_build_key() -> None:
    st.session_state[BUILD_KEY] = build_key() + 1
    pipeline_status.clear()


def clear_data_caches() -> None:
    """Forget cached data after the database changed."""
    overview.clear()
    preview.clear()
    pipeline_status.clear()


def show_error(exc: RecsysError, what_to_do: str = "") -> None:
    """A readable error box instead of a traceback."""
    st.error(f"{exc}" + (f"\n\n{what_to_do}" if what_to_do else ""), icon=":material/error:")
