"""What a cluster job ships: the store's tables as Parquet and back, refused across schema
versions; the cluster settings from the environment and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recsys_core.cluster.snapshot import load_snapshot, write_snapshot
from recsys_core.config import RecsysConfig
from recsys_core.data.store import MEMORY, Store
from recsys_core.errors import StoreError


def test_a_snapshot_loads_back_into_an_empty_store_table_for_table(built_engine, tmp_path: Path) -> None:  # noqa: ANN001
    source = built_engine.store
    folder = write_snapshot(source, tmp_path / "snap", skip=("explanations",))
    assert not (folder / "explanations.parquet").exists()
    with Store(Path(MEMORY)) as copy:
        load_snapshot(copy, folder)
        for table in ("items", "interactions", "builds", "text_embeddings", "interest_nodes"):
            with source.cursor() as a, copy.cursor() as b:
                want = a.execute(f"SELECT count(*), hash(string_agg(CAST(t AS VARCHAR) ORDER BY CAST(t AS VARCHAR))) "
                                 f"FROM {table} t").fetchone()
                got = b.execute(f"SELECT count(*), hash(string_agg(CAST(t AS VARCHAR) ORDER BY CAST(t AS VARCHAR))) "
                                f"FROM {table} t").fetchone()
            assert got == want and want[0] > 0, table  # type: ignore[index]


def test_a_snapshot_from_another_schema_version_or_none_at_all_is_refused(built_engine, tmp_path: Path) -> None:  # noqa: ANN001
    with Store(Path(MEMORY)) as empty, pytest.raises(StoreError, match="no store snapshot"):
        load_snapshot(empty, tmp_path / "nothing")
    folder = write_snapshot(built_engine.store, tmp_path / "snap")
    meta = json.loads((folder / "snapshot.json").read_text())
    (folder / "snapshot.json").write_text(json.dumps({**meta, "schema_version": meta["schema_version"] + 1}))
    with Store(Path(MEMORY)) as empty:
        with pytest.raises(StoreError, match="schema version"):
            load_snapshot(empty, folder)
        with empty.cursor() as cur:
            assert cur.execute("SELECT count(*) FROM items").fetchone()[0] == 0  # type: ignore[index]


def test_cluster_settings_come_from_the_environment_and_the_command_line(tmp_path: Path) -> None:
    from recsys_core.cli import _with_cluster_args, build_parser

    cfg = RecsysConfig.from_env({"RECSYS_RAY_ADDRESS": "10.0.0.5:6379", "RECSYS_RAY_SHARED_DIR": str(tmp_path)})
    assert cfg.cluster.address == "10.0.0.5:6379" and cfg.cluster.shared_dir == tmp_path
    assert RecsysConfig.from_env({}).cluster.address is None  # in-process by default
    args = build_parser().parse_args(["build", "--ray", "127.0.0.1:7000", "--ray-shared-dir", "/srv/shared"])
    changed = _with_cluster_args(cfg, args)
    assert changed.cluster.address == "127.0.0.1:7000" and changed.cluster.shared_dir == Path("/srv/shared")
    assert _with_cluster_args(cfg, build_parser().parse_args(["build"])) == cfg  # no flag: the environment's


def test_an_unreachable_cluster_is_one_clear_error(built_app_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from recsys_core.cli import main
    from tests.conftest import APP_ENV

    for key, value in APP_ENV.items():  # the settings the database was built with
        monkeypatch.setenv(key, value)
    db = tmp_path / "copy.duckdb"
    shutil.copy(built_app_db, db)
    assert main(["--db", str(db), "recommend", "--all-users", "--ray", ""]) == 1
    assert "--ray is empty" in capsys.readouterr().err
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["--db", str(db), "recommend", "--all-users", "--ray", f"127.0.0.1:{port}"]) == 1
    assert f"no Ray cluster answers at 127.0.0.1:{port}" in capsys.readouterr().err
    assert main(["--db", str(db), "build", "--ray", "head-without-port:x"]) == 1
    assert "is not HOST:PORT" in capsys.readouterr().err
