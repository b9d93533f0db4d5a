"""The shipped sample model: written from a build, installed on a fresh database only while it
matches the sample, the code and the settings, and then served exactly as the build it came from."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from recsys_core.config import PROJECT_ROOT, RecsysConfig
from recsys_core.data import sample_model
from recsys_core.data.sample_model import SAMPLE_FILES, bundle_problem

Engine = Any


@dataclass(frozen=True)
class Made:
    """A sample folder with a bundle beside it, the settings it was built with, and what the
    build served right after it was made: (item ids, learned weight) per user."""

    sample: Path
    config: RecsysConfig
    embedder: Any
    served: dict[str, tuple[list[str], float]]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, tiny_sample_dir: Path) -> Made:
    """The tiny sample built once (one epoch, hashing vectors) and written as its bundle."""
    from recsys_core.embeddings.hashing import HashingEmbedder
    from recsys_core.engine import RecsysEngine
    from tests.conftest import tiny_config

    root = tmp_path_factory.mktemp("sample_model")
    sample = root / "sample"
    sample.mkdir()
    for name in SAMPLE_FILES:
        shutil.copy(tiny_sample_dir / name, sample / name)
    config = tiny_config(root / "built.duckdb", sample).with_epochs(1)
    embedder = HashingEmbedder(64)
    engine = RecsysEngine(config, embedder=embedder).open()
    try:
        manifest = engine.make_sample_model(sample / "model")
        served = {}
        for user in engine.user_ids()[:6]:
            recs = engine.recommend(user, n=10)
            served[user] = ([r.item_id for r in recs.items], recs.learned_alpha)
    finally:
        engine.close()
    assert set(manifest["files"]) == {f"{t}.parquet" for t in (*sample_model.BUILD_TABLES, "text_embeddings")}  # type: ignore[call-overload]
    return Made(sample, config, embedder, served)


@pytest.fixture()
def bundle(made: Made, tmp_path: Path) -> Made:
    """A copy of the made sample and bundle each test may damage."""
    copy = tmp_path / "sample"
    shutil.copytree(made.sample, copy)
    return replace(made, sample=copy)


def _fresh_engine(made: Made, db: Path, config: RecsysConfig | None = None) -> Engine:
    from recsys_core.engine import RecsysEngine

    cfg = replace(config or made.config, sample_dir=made.sample).with_db(db)
    return RecsysEngine(cfg, embedder=made.embedder).open()


def test_a_fresh_database_gets_the_built_sample_and_serves_what_the_build_served(
    bundle: Made, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _fresh_engine(bundle, tmp_path / "fresh.duckdb")
    try:
        engine.ensure_data()

        def no_encoder(*args: object, **kwargs: object) -> None:
            raise AssertionError("the installed sample embedded a text: a vector serving reads was not shipped")

        monkeypatch.setattr(bundle.embedder, "encode", no_encoder)
        build = engine.latest_build()
        assert build is not None and build.build_id == 1
        assert not engine.pipeline_status().is_stale  # the build is of the data now in the database
        for user, (items, learned) in bundle.served.items():
            recs = engine.recommend(user, n=10)
            assert [r.item_id for r in recs.items] == items
            assert recs.learned_alpha == pytest.approx(learned, abs=1e-6)
        with engine.store.cursor() as cur:  # the map came with it, not projected again
            assert cur.execute("SELECT count(*) FROM item_map").fetchall()[0][0] == len(engine.interest_map().items)
        monkeypatch.undo()
    finally:
        engine.close()


@pytest.mark.parametrize("damage", ["file", "code", "sample", "more data"])
def test_a_bundle_that_no_longer_matches_is_not_installed(bundle: Made, tmp_path: Path, damage: str) -> None:
    config = bundle.config
    if damage == "file":
        path = bundle.sample / "model" / "item_interests.parquet"
        path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    elif damage == "code":
        config = config.with_epochs(config.model.epochs + 1)
    elif damage == "sample":
        with (bundle.sample / "users.csv").open("a") as f:
            f.write("newcomer,I like tea\n")
    engine = _fresh_engine(bundle, tmp_path / "fresh.duckdb", config)
    try:
        if damage == "more data":
            engine.load_sample()
            engine.store.connection.execute("UPDATE imports SET kind = 'generic'")
            assert engine.install_sample_model() is None
        else:
            assert bundle_problem(bundle.sample / "model", bundle.sample, config, bundle.embedder.name) is not None
            engine.ensure_data()
        assert engine.latest_build() is None
        with engine.store.cursor() as cur:
            assert cur.execute("SELECT count(*) FROM item_interests").fetchall()[0][0] == 0
    finally:
        engine.close()


def test_the_shipped_sample_model_matches_the_code() -> None:
    """Fails after a change to the model code or the build settings: run
    ``python -m recsys_core make-sample-model`` and commit sample_data/model."""
    sample = PROJECT_ROOT / "sample_data"
    problem = bundle_problem(sample / "model", sample, RecsysConfig(), "all-MiniLM-L6-v2")
    assert problem is None, f"{problem}: run `python -m recsys_core make-sample-model` and commit sample_data/model"


def test_making_a_sample_model_never_deletes_a_folder_that_is_not_one(
    made: Made, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from recsys_core.cli import main

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    assert main(["make-sample-model", "--out", str(precious)]) == 1
    assert "not a sample model folder" in capsys.readouterr().err
    assert (precious / "notes.txt").read_text() == "keep me"
