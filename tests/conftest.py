"""Shared fixtures: temporary databases, small input files, the sample and MovieLens folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from recsys_core.config import DEFAULT_SAMPLE_DIR
from recsys_core.data.store import Store

ROOT = Path(__file__).resolve().parent.parent
MOVIELENS_DIR = ROOT.parent / "shared" / "datasets" / "ml-latest-small"

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture()
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture()
def store(db_path: Path) -> Iterator[Store]:
    with Store(db_path) as s:
        yield s


@pytest.fixture()
def sample_dir() -> Path:
    return DEFAULT_SAMPLE_DIR


@pytest.fixture()
def movielens_dir() -> Path:
    if not (MOVIELENS_DIR / "ratings.csv").exists():
        pytest.skip("MovieLens ml-latest-small is not beside the project (../shared/datasets)")
    return MOVIELENS_DIR


def write(path: Path, text: str | bytes) -> Path:
    """Write a small input file for a test."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


ITEMS_CSV = "item_id,title,description,category,price\nA1,Trail shoes,Grippy shoes,Footwear,99\nA2,Espresso machine,Makes espresso,Kitchen,450\n042,Tent,Two person tent,Camping,200\n"
EVENTS_CSV = (
    "user_id,item_id,timestamp,event_type,rating,review\n"
    "7,A1,2026-01-01T10:00:00Z,view,,\n"
    "7,A2,2026-01-02T10:00:00+02:00,rating,5,Great coffee\n"
    "0042,042,1767261600,purchase,,\n"
)


# ---------------------------------------------------------------------- engine fixtures
def tiny_config(db: Path, folder: Path):  # noqa: ANN201 - RecsysConfig
    """A small, fast model configuration for engine tests."""
    from dataclasses import replace

    from recsys_core.config import ExplainConfig, InterestModelConfig, RecsysConfig

    cfg = RecsysConfig().with_db(db)
    model = InterestModelConfig(dim=16, max_history=20, short_window=3, epochs=2, batch_size=128)
    # explanations by the template unless a test switches the backend (configure_explanations)
    sasrec = replace(cfg.evaluation.sasrec, max_epochs=4, patience=2)
    return replace(cfg, sample_dir=folder, model=model, torch_threads=2, explain=ExplainConfig(backend="template"),
                   evaluation=replace(cfg.evaluation, sasrec=sasrec))


@pytest.fixture(scope="session")
def tiny_sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated shop: 800 items, 160 users."""
    from recsys_core.synthetic.sample_files import write_sample

    folder = tmp_path_factory.mktemp("tiny_sample")
    write_sample(folder, n_items=800, n_users=160, seed=3)
    return folder


@pytest.fixture(scope="session")
def built_engine(tmp_path_factory: pytest.TempPathFactory, tiny_sample_dir: Path) -> Iterator[object]:
    """An engine on the tiny shop with a trained model (hashing embedder; built once per session)."""
    from recsys_core.embeddings.hashing import HashingEmbedder
    from recsys_core.engine import RecsysEngine

    db = tmp_path_factory.mktemp("built") / "engine.duckdb"
    engine = RecsysEngine(tiny_config(db, tiny_sample_dir), embedder=HashingEmbedder(64)).open()
    engine.load_sample()
    engine.build()
    yield engine
    engine.close()


# ---------------------------------------------------------------------- app fixtures
APP_ENV = {"RECSYS_EMBEDDING_MODEL": "hashing-64", "RECSYS_EPOCHS": "1", "RECSYS_LLM_BACKEND": "template"}


@pytest.fixture(scope="session")
def built_app_db(tmp_path_factory: pytest.TempPathFactory, tiny_sample_dir: Path) -> Path:
    """The tiny shop with a built model and an evaluation run, as the app would make them
    (hashing embedder, one epoch, template explanations), once per session."""
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


