"""Every app test gets its own copy of the built shop (pages write presets, names and
simulated events)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import APP_ENV


@pytest.fixture()
def built_app(tmp_path: Path, built_app_db: Path, tiny_sample_dir: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Environment for an AppTest on a copy of the built shop."""
    import streamlit as st

    db = tmp_path / "app.duckdb"
    shutil.copy(built_app_db, db)
    for key, value in {**APP_ENV, "RECSYS_DB": str(db), "RECSYS_SAMPLE_DIR": str(tiny_sample_dir)}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    st.cache_data.clear()
    st.cache_resource.clear()
    yield db
    st.cache_data.clear()
    st.cache_resource.clear()
