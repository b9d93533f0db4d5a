"""The engine commands: build, recommend (json/csv), event, evaluate, with readable errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest

from recsys_core.cli import main


@pytest.fixture()
def cli_db(tmp_path: Path, tiny_sample_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "cli.duckdb"
    monkeypatch.setenv("RECSYS_EMBEDDING_MODEL", "hashing-64")
    assert main(["--db", str(db), "sample", "--from", str(tiny_sample_dir)]) == 0
    return db


def test_recommend_before_build_says_what_to_do(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(cli_db), "recommend", "--user", "U0001"]) == 1
    assert "build" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["build", "evaluate"])
@pytest.mark.parametrize("epochs", ["0", "-2", "three"])
def test_epochs_below_one_is_one_line_and_builds_nothing(cli_db: Path, capsys: pytest.CaptureFixture[str],
                                                         command: str, epochs: str) -> None:
    with duckdb.connect(str(cli_db), read_only=True) as con:
        before = con.execute("SELECT count(*) FROM builds").fetchall()
    with pytest.raises(SystemExit) as stop:
        main(["--db", str(cli_db), command, "--epochs", epochs])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "argument --epochs" in err and "Traceback" not in err
    with duckdb.connect(str(cli_db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM builds").fetchall() == before


def test_build_recommend_event_evaluate(cli_db: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECSYS_THREADS", "2")
    assert main(["--db", str(cli_db), "build", "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "Build 1 done" in out and "fine interests" in out

    assert main(["--db", str(cli_db), "recommend", "--user", "U0001", "--user", "U0002", "--n", "4"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["user_id"], r["rank"]) for r in rows] == [("U0001", k) for k in range(1, 5)] + [
        ("U0002", k) for k in range(1, 5)]
    assert all({"item_id", "score", "evidence", "long_part", "short_part", "theme"} <= set(r) for r in rows)

    # --all-users: every user once, in the list the one-user command gives
    assert main(["--db", str(cli_db), "recommend", "--all-users", "--n", "4", "--format", "csv"]) == 0
    everyone = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    with duckdb.connect(str(cli_db), read_only=True) as con:
        n_users = con.execute("SELECT count(*) FROM users").fetchall()[0][0]
    assert len({r["user_id"] for r in everyone}) == n_users and len(everyone) == 4 * n_users
    assert [r["item_id"] for r in everyone if r["user_id"] == "U0002"] == [r["item_id"] for r in rows[4:]]

    assert main(["--db", str(cli_db), "recommend", "--user", "U0001", "--n", "3", "--alpha", "0.3",
                 "--format", "csv"]) == 0
    parsed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(parsed) == 3 and all(float(r["alpha"]) == 0.3 for r in parsed)
    json.loads(parsed[0]["evidence"])

    first = rows[0]["item_id"]
    assert main(["--db", str(cli_db), "event", "--user", "U0001", "--item", first, "--type", "purchase"]) == 0
    assert "Recorded purchase" in capsys.readouterr().out
    assert main(["--db", str(cli_db), "recommend", "--user", "U0001", "--n", "4"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert first not in [r["item_id"] for r in after]

    assert main(["--db", str(cli_db), "event", "--user", "U0001", "--item", "nope"]) == 1
    assert "no item" in capsys.readouterr().err
    assert main(["--db", str(cli_db), "recommend", "--user", "U0001", "--alpha", "2"]) == 1
    assert "between 0 and 1" in capsys.readouterr().err
    assert main(["--db", str(cli_db), "recommend", "--user", "U0001", "--n", "-3"]) == 1
    assert "at least 1" in capsys.readouterr().err

    # --as-of: the learned weight is read at that moment, the same twice; a bad moment is one line
    learned = {}
    for when in ("next-visit", "data-end", "next-visit"):
        assert main(["--db", str(cli_db), "recommend", "--user", "U0002", "--n", "2", "--as-of", when]) == 0
        got = json.loads(capsys.readouterr().out)
        assert got[0]["as_of"] == when and got[0]["moment"]
        assert learned.setdefault(when, (got[0]["learned_alpha"], got[0]["moment"])) == (
            got[0]["learned_alpha"], got[0]["moment"])
    assert learned["next-visit"][1] != learned["data-end"][1]
    assert main(["--db", str(cli_db), "recommend", "--user", "U0002", "--as-of", "someday"]) == 1
    assert "not a moment" in capsys.readouterr().err

    # the reader closes the pipe (`| head`): the command stops quietly, with success
    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("sys.stdout", ClosedPipe())
    assert main(["--db", str(cli_db), "recommend", "--all-users", "--n", "2", "--format", "csv"]) == 0
    monkeypatch.undo()
    assert capsys.readouterr().err == ""

    assert main(["--db", str(cli_db), "evaluate", "--epochs", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {m["model"] for m in result["models"]} >= {"popular", "item_knn_recent", "learned_gate", "alpha=0.5"}
    assert {v["model"] for v in result["learned_gate_versus"]} == {m["model"] for m in result["models"]} - {"learned_gate"}
    assert {v["verdict"] for v in result["learned_gate_versus"]} <= {"better", "worse", "tie"}
    sweep = [m["ndcg@10"] for m in result["models"] if m["kind"] == "sweep"]
    assert max(sweep) <= result["oracle_alpha_ndcg_10"] <= 1.0


def test_serving_with_another_encoder_is_a_clear_error(cli_db: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["--db", str(cli_db), "build", "--epochs", "1"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("RECSYS_EMBEDDING_MODEL", "hashing-32")
    assert main(["--db", str(cli_db), "recommend", "--user", "U0001"]) == 1
    assert "RECSYS_EMBEDDING_MODEL" in capsys.readouterr().err


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("RECSYS_THREADS", "two", "RECSYS_THREADS='two' is not a whole number"),
    ("RECSYS_EPOCHS", "0", "RECSYS_EPOCHS='0' must be at least 1"),
    ("RECSYS_LLM_TIMEOUT", "4s", "RECSYS_LLM_TIMEOUT='4s' is not a number"),
    ("RECSYS_LLM_TIMEOUT", "nan", "RECSYS_LLM_TIMEOUT='nan' must be at least 0.1"),
    ("RECSYS_LLM_BUDGET", "ten", "RECSYS_LLM_BUDGET='ten' is not a number"),
    ("RECSYS_LLM_BUDGET", "0", "RECSYS_LLM_BUDGET='0' must be at least 0.1"),
    ("RECSYS_LLM_BACKEND", "gpt", "is not a backend"),
    ("RECSYS_TEXT_COMPONENTS", "many", "RECSYS_TEXT_COMPONENTS='many' is not a whole number"),
    ("RECSYS_EXAMPLES_PER_USER", "-5", "RECSYS_EXAMPLES_PER_USER='-5' must be at least 0"),
    ("RECSYS_LLM_BACKEND", "openai", "needs RECSYS_LLM_URL"),
])
def test_a_bad_environment_variable_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                                    expected: str) -> None:
    monkeypatch.delenv("RECSYS_LLM_URL", raising=False)
    monkeypatch.setenv(name, value)
    assert main(["--db", str(tmp_path / "x.duckdb"), "info"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err and "Traceback" not in err


def test_evaluate_on_an_empty_database_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from recsys_core.data.store import Store

    monkeypatch.setenv("RECSYS_EMBEDDING_MODEL", "hashing-64")
    with Store(tmp_path / "empty.duckdb"):  # a database of this tool with nothing in it
        pass
    assert main(["--db", str(tmp_path / "empty.duckdb"), "evaluate"]) == 1
    assert "at least 4" in capsys.readouterr().err
    assert main(["--db", str(tmp_path / "empty.duckdb"), "build"]) == 1
    assert "at least 4" in capsys.readouterr().err


def test_recommend_rows_are_written_as_they_come(capsys: pytest.CaptureFixture[str]) -> None:
    """The command streams its rows: JSON one object per line inside one array (still one
    JSON document), CSV with the evidence as a JSON cell; no rows is still a document."""
    from recsys_core.cli import RowWriter

    rows = [{"user_id": "U1", "rank": k, "item_id": f"I{k}", "score": 0.5, "evidence": [{"item_id": "I9", "weight": 1.0}],
             "interest_reading": None} for k in (1, 2)]
    for fmt in ("json", "csv"):
        writer = RowWriter(fmt)
        writer.write(rows[:1])
        writer.write(rows[1:])
        writer.close()
        out = capsys.readouterr().out
        if fmt == "json":
            assert json.loads(out) == rows and len(out.strip().splitlines()) == 4
        else:
            parsed = list(csv.DictReader(io.StringIO(out)))
            assert [r["item_id"] for r in parsed] == ["I1", "I2"]
            assert json.loads(parsed[0]["evidence"]) == rows[0]["evidence"]
            assert parsed[0]["interest_reading"] == "null"
        empty = RowWriter(fmt)
        empty.close()
        out = capsys.readouterr().out
        assert (json.loads(out) == []) if fmt == "json" else out.strip() == "user_id,rank,item_id,score"
