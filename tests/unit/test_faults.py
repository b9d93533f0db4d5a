"""The fault catalogue as tests: bad arguments, bad settings, bad files and foreign or damaged
databases each get a one-line message and an exit code, and leave the database as it was.

Every case runs the real command line (``recsys_core.cli.main``) against a copy of a loaded
database and compares the file's bytes before and after.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from recsys_core.cli import main
from tests.conftest import ITEMS_CSV, write


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory: pytest.TempPathFactory, tiny_sample_dir: Path) -> Path:
    db = tmp_path_factory.mktemp("faults") / "loaded.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RECSYS_EMBEDDING_MODEL", "hashing-64")
        assert main(["--db", str(db), "sample", "--from", str(tiny_sample_dir)]) == 0
    return db


@pytest.fixture()
def db(loaded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RECSYS_EMBEDDING_MODEL", "hashing-64")
    monkeypatch.setenv("RECSYS_LLM_BACKEND", "template")
    for name in ("RECSYS_DB", "RECSYS_LLM_URL"):
        monkeypatch.delenv(name, raising=False)
    copy = tmp_path / "copy.duckdb"
    shutil.copy(loaded_db, copy)
    return copy


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def _first_item(db: Path) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        return str(con.execute("SELECT min(item_id) FROM items").fetchall()[0][0])


def _bad_files(tmp: Path) -> dict[str, Path]:
    """Input files that must be refused."""
    events_head = "user_id,item_id,timestamp\n"
    item = "A1"
    return {
        "nul-after-4k": write(tmp / "nul.csv", ("item_id,title\n" + "".join(f"X{i},Title {i}\n" for i in range(400))
                                                ).encode() + b"X9,bad\x00title\n"),
        "duplicate-header": write(tmp / "dup.csv", "item_id,title,title\nA1,One,Two\n"),
        "thousand-bad-times": write(tmp / "bad_times.csv", events_head + "".join(f"U{i},{item},yesterday-ish\n"
                                                                                  for i in range(1000))),
        "year-2999": write(tmp / "y2999.csv", events_head + f"U1,{item},2999-01-01T00:00:00Z\n"),
        "milliseconds": write(tmp / "ms.csv", events_head + f"U1,{item},1700000000000\n"),
        "items": write(tmp / "items.csv", ITEMS_CSV),
    }


# (case id, argv after --db DB, extra environment, expected exit code, expected text in stderr)
CLI_CASES: list[tuple[str, Callable[[Path, Path], list[str]], dict[str, str], int, str]] = [
    ("event-year-2999", lambda d, t: ["event", "--user", "U1", "--item", _first_item(d), "--at", "2999-01-01"], {}, 1,
     "an event time must be between 1900-01-01 and"),
    ("event-year-1800", lambda d, t: ["event", "--user", "U1", "--item", _first_item(d), "--at", "1800-01-01"], {}, 1,
     "an event time must be between"),
    ("event-bad-at", lambda d, t: ["event", "--user", "U1", "--item", _first_item(d), "--at", "soon"], {}, 1,
     "bad --at 'soon'"),
    ("event-empty-type", lambda d, t: ["event", "--user", "U1", "--item", _first_item(d), "--type", ""], {}, 1,
     "an event type is a word of 1 to 40 printable characters"),
    ("event-blank-user", lambda d, t: ["event", "--user", " ", "--item", _first_item(d)], {}, 1,
     "a live event needs a user id"),
    ("event-unknown-item", lambda d, t: ["event", "--user", "U1", "--item", "no-such-item"], {}, 1, "no item with id"),
    ("event-remove-unknown", lambda d, t: ["event", "--remove", "999"], {}, 1, "no live event with id 999"),
    ("event-nothing-asked", lambda d, t: ["event", "--user", "U1"], {}, 1, "event needs --user and --item"),
    ("explain-timeout-nan", lambda d, t: ["explain", "--user", "U1", "--timeout", "nan"], {}, 2,
     "argument --timeout: not a finite number: 'nan'"),
    ("recommend-threshold-nan", lambda d, t: ["recommend", "--user", "U1", "--threshold", "nan"], {}, 2,
     "argument --threshold: not a finite number"),
    ("recommend-alpha-inf", lambda d, t: ["recommend", "--user", "U1", "--alpha", "inf"], {}, 2,
     "argument --alpha: not a finite number"),
    ("recommend-diversity-text", lambda d, t: ["recommend", "--user", "U1", "--diversity", "lots"], {}, 2,
     "argument --diversity: not a number: 'lots'"),
    ("recommend-before-build", lambda d, t: ["recommend", "--user", "U1"], {}, 1, "no model has been built yet"),
    ("llm-url-not-a-url", lambda d, t: ["info"], {"RECSYS_LLM_URL": "not a url"}, 1,
     "RECSYS_LLM_URL: the LLM endpoint must be an http:// or https:// URL"),
    ("llm-url-file", lambda d, t: ["info"], {"RECSYS_LLM_URL": "file:///etc/passwd#"}, 1,
     "RECSYS_LLM_URL: the LLM endpoint must be an http:// or https:// URL"),
    ("llm-url-bad-port", lambda d, t: ["info"], {"RECSYS_LLM_URL": "http://localhost:99999/v1"}, 1, "has a bad port"),
    ("llm-backend-unknown", lambda d, t: ["info"], {"RECSYS_LLM_BACKEND": "gpt"}, 1, "is not a backend"),
    ("llm-timeout-nan", lambda d, t: ["info"], {"RECSYS_LLM_TIMEOUT": "nan"}, 1, "RECSYS_LLM_TIMEOUT"),
    ("import-folder-as-file", lambda d, t: ["import", "--items", str(t)], {}, 1, "is a folder, not a file"),
    ("import-missing-file", lambda d, t: ["import", "--items", str(t / "nope.csv")], {}, 1, "file not found"),
    ("import-nul-after-4k", lambda d, t: ["import", "--items", str(_bad_files(t)["nul-after-4k"])], {}, 1,
     "holds a NUL byte on line 402"),
    ("import-duplicate-header", lambda d, t: ["import", "--items", str(_bad_files(t)["duplicate-header"])], {}, 1,
     "the header names 'title' more than once"),
    ("import-1000-bad-times", lambda d, t: ["import", "--items", str(_bad_files(t)["items"]),
                                            "--interactions", str(_bad_files(t)["thousand-bad-times"])], {}, 1,
     "1000 problem(s)"),
    ("import-year-2999", lambda d, t: ["import", "--items", str(_bad_files(t)["items"]),
                                       "--interactions", str(_bad_files(t)["year-2999"])], {}, 1,
     "'2999-01-01T00:00:00Z' is a time outside 1970-2099"),
    ("import-milliseconds", lambda d, t: ["import", "--items", str(_bad_files(t)["items"]),
                                          "--interactions", str(_bad_files(t)["milliseconds"])], {}, 1,
     "milliseconds must be divided by 1000"),
    ("import-movielens-folder-missing", lambda d, t: ["import", "--movielens", str(t / "nowhere")], {}, 1,
     "nowhere: not a folder; give the folder that holds ratings.csv and movies.csv"),
]


@pytest.mark.parametrize(("argv", "env", "code", "message"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_a_fault_gets_its_message_and_exit_code_and_changes_nothing(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    argv: Callable[[Path, Path], list[str]], env: dict[str, str], code: int, message: str,
) -> None:
    args = argv(db, tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    before = _digest(db)
    try:
        got = main(["--db", str(db), *args])
    except SystemExit as exc:  # argparse refusals
        got = int(exc.code or 0)
    err = capsys.readouterr().err
    assert got == code, err
    assert message in err
    assert "Traceback" not in err
    assert _digest(db) == before, "the database changed"


def test_a_mistyped_database_path_creates_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no" / "such" / "shop.duckdb"
    assert main(["--db", str(missing), "recommend", "--user", "U1"]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
    assert main(["--db", "", "info"]) == 1
    assert "--db is empty" in capsys.readouterr().err
    assert main(["--db", str(tmp_path), "info"]) == 1
    assert "is a folder, not a database file" in capsys.readouterr().err


def test_a_database_from_another_tool_is_never_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE orders (id INTEGER)")
    before = _digest(other)
    for argv in (["info"], ["recommend", "--user", "U1"], ["import", "--items", str(write(tmp_path / "i.csv", ITEMS_CSV))],
                 ["sample"]):
        assert main(["--db", str(other), *argv]) == 1
        err = capsys.readouterr().err
        assert "is a DuckDB database from another tool (tables: orders)" in err, err
    assert _digest(other) == before
    with duckdb.connect(str(other), read_only=True) as con:
        assert [r[0] for r in con.execute("SHOW TABLES").fetchall()] == ["orders"]


def test_a_damaged_or_newer_database_is_a_clear_error(db: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    truncated = tmp_path / "truncated.duckdb"
    truncated.write_bytes(db.read_bytes()[:100_000])
    for argv in (["info"], ["recommend", "--user", "U1"]):
        assert main(["--db", str(truncated), *argv]) == 1
        err = capsys.readouterr().err
        assert "cannot open the database" in err and "Traceback" not in err
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO schema_version (version, name) VALUES (99, 'future')")
    before = _digest(db)
    assert main(["--db", str(db), "info"]) == 1
    assert "written by a newer version of this tool (schema 99" in capsys.readouterr().err
    assert _digest(db) == before


def test_a_copy_taken_while_the_database_was_open_is_a_clear_error(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The file alone of a database another process holds open: its tables are still in the
    .wal beside the original. Read commands say so in one line; nothing is written."""
    from recsys_core.data.store import Store

    original, copy = tmp_path / "open.duckdb", tmp_path / "copy.duckdb"
    with Store(original) as store:
        assert Path(f"{original}.wal").exists()  # the schema is not checkpointed into the file yet
        shutil.copy(original, copy)
    before = _digest(copy)
    assert main(["--db", str(copy), "info"]) == 1
    err = capsys.readouterr().err
    assert "holds none of this tool's tables" in err and "copy.duckdb.wal" in err and "Traceback" not in err
    assert _digest(copy) == before
    assert store.path == original and main(["--db", str(original), "info"]) == 0  # the original reads well


def test_a_database_missing_one_of_its_tables_is_a_clear_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Another program dropped a table: every command says which one in one line (no Catalog
    Error traceback halfway through a command), and the file is not touched, not even migrated."""
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE text_embeddings")
    before = _digest(db)
    for argv in (["info"], ["recommend", "--user", "U1"], ["trends"], ["build", "--epochs", "1"]):
        assert main(["--db", str(db), *argv]) == 1
        err = capsys.readouterr().err
        assert "lacks tables its schema (version" in err and "text_embeddings" in err and "Traceback" not in err
    assert _digest(db) == before


def test_a_database_failure_the_checks_could_not_foresee_is_one_line(
        db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from recsys_core.engine import RecsysEngine

    def full_disk(self: RecsysEngine) -> None:
        raise duckdb.IOException("IO Error: Could not write file: No space left on device")

    monkeypatch.setattr(RecsysEngine, "info", full_disk)
    assert main(["--db", str(db), "info"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the database failed during `info`: IO Error: Could not write file: No space")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_live_event_can_be_listed_and_removed(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    item = _first_item(db)
    assert main(["--db", str(db), "event", "--user", "U1", "--item", item, "--type", "purchase"]) == 0
    out = capsys.readouterr().out
    event_id = int(out.split("live event ")[1].split(";")[0])
    assert f"`event --remove {event_id}` undoes it" in out
    assert main(["--db", str(db), "event", "--list", "--user", "U1"]) == 0
    listed = capsys.readouterr().out
    assert f"purchase {item}" in listed and "1 live event(s) of U1" in listed
    assert main(["--db", str(db), "event", "--remove", str(event_id)]) == 0
    assert f"Removed live event {event_id}" in capsys.readouterr().out
    assert main(["--db", str(db), "event", "--list"]) == 0
    assert "0 live event(s)" in capsys.readouterr().out


def test_a_stale_write_ahead_log_beside_a_copied_database_is_named(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys

    db = tmp_path / "shop.duckdb"
    left = ("import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); c.execute('PRAGMA disable_checkpoint_on_shutdown');"
            "c.execute('CREATE TABLE t (a INTEGER)'); c.execute('CHECKPOINT'); c.execute('INSERT INTO t VALUES (1)');"
            "os._exit(0)")  # a process that died with its log unwritten
    subprocess.run([sys.executable, "-c", left, str(db)], check=True, timeout=60)
    assert (tmp_path / "shop.duckdb.wal").exists()
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE u (b INTEGER)")
    shutil.copy(other, db)  # a restored copy, with the old log still beside it
    assert main(["--db", str(db), "info"]) == 1
    err = capsys.readouterr().err
    assert "shop.duckdb.wal beside it belongs to another copy of the database" in err and "Traceback" not in err
