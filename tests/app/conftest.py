"""A small shop with a built model and an evaluation run, made once per test session and
copied for every app test (pages write presets, names and simulated events)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

APP_ENV = {"RECSYS_EMBEDDING_MODEL": "hashing-64", "RECSYS_EPOCHS": "1", "RECSYS_LLM_BACKEND": "template"}


@pytest.fixture(scope="session")
def built_app_db(tmp_path_factory: pytest.TempPathFactory, tiny_sample_dir: Path) -> Path:
    from recsys_core.config import RecsysConfig
    from recsys_core.engine import RecsysEngine

    db = tmp_path_factory.mktemp("app_base") / "built.duckdb"
    env = {**APP_ENV, "RECSYS_DB": str(db), "RECSYS_SAMPLE_DIR": str(tiny_sample_dir)}
    engine = RecsysEngine(RecsysConfig.from_env(env)).open()
    try:
        engine.load_sample()
        engine.build()
        engine.evaluate()
    finally:
        engine.close()
    return db


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
