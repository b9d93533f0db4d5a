"""Importers: every bad input gets a message naming file/row/column and leaves the database as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from recsys_core.config import ImportConfig
from recsys_core.data.importers import import_files, plan_files
from recsys_core.data.store import Store
from recsys_core.errors import ImportValidationError
from tests.conftest import EVENTS_CSV, ITEMS_CSV, write

TABLES = ("items", "users", "interactions", "tags", "imports")


def snapshot(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every data table, in a stable order."""
    out = {}
    with store.cursor() as cur:
        for table in TABLES:
            out[table] = cur.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
    return out


@pytest.fixture()
def loaded(store: Store, tmp_path: Path) -> Store:
    """A store holding a small valid import, so 'unchanged' means something."""
    import_files(store, items=write(tmp_path / "ok" / "items.csv", ITEMS_CSV),
                 interactions=write(tmp_path / "ok" / "events.csv", EVENTS_CSV))
    return store


def refused(store: Store, **files: Path) -> ImportValidationError:
    before = snapshot(store)
    with pytest.raises(ImportValidationError) as info:
        import_files(store, **files)  # type: ignore[arg-type]
    assert snapshot(store) == before, "a refused import changed the database"
    assert "Import refused, the database was not changed" in str(info.value)
    return info.value


# ------------------------------------------------------------------ good input


def test_ids_are_kept_exactly_as_strings(loaded: Store) -> None:
    with loaded.cursor() as cur:
        items = {r[0] for r in cur.execute("SELECT item_id FROM items").fetchall()}
        users = {r[0] for r in cur.execute("SELECT user_id FROM users").fetchall()}
    assert items == {"A1", "A2", "042"}
    assert users == {"7", "0042"}  # "0042" is not user 42 and not user "7"


def test_timestamps_iso_with_offset_and_unix_seconds_become_utc(loaded: Store) -> None:
    with loaded.cursor() as cur:
        rows = dict(cur.execute("SELECT item_id, occurred_at FROM interactions").fetchall())
    assert rows["A1"] == pd.Timestamp("2026-01-01 10:00:00")
    assert rows["A2"] == pd.Timestamp("2026-01-02 08:00:00")  # +02:00 converted to UTC
    assert rows["042"] == pd.Timestamp("2026-01-01 10:00:00")  # 1767261600 s


def test_extra_columns_are_kept_as_attributes_and_values_typed(loaded: Store) -> None:
    with loaded.cursor() as cur:
        attrs = cur.execute("SELECT attributes FROM items WHERE item_id = 'A2'").fetchall()[0][0]
        value, text = cur.execute("SELECT value, text FROM interactions WHERE item_id = 'A2'").fetchall()[0]
    assert json.loads(attrs) == {"price": "450"}
    assert value == 5.0 and text == "Great coffee"


def test_reimport_is_idempotent(loaded: Store, tmp_path: Path) -> None:
    before = snapshot(loaded)
    report = import_files(loaded, items=tmp_path / "ok" / "items.csv", interactions=tmp_path / "ok" / "events.csv")
    assert not report.changed_anything and report.import_id is None
    assert snapshot(loaded) == before


def test_changed_item_is_updated_not_duplicated(loaded: Store, tmp_path: Path) -> None:
    changed = ITEMS_CSV.replace("Trail shoes", "Trail running shoes")
    report = import_files(loaded, items=write(tmp_path / "v2" / "items.csv", changed))
    assert report.changed["items"] == 1
    assert loaded.data_version() == 2
    with loaded.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM items").fetchall()[0][0] == 3
        assert cur.execute("SELECT title FROM items WHERE item_id = 'A1'").fetchall()[0][0] == "Trail running shoes"


def test_parquet_and_jsonl_import_like_csv(tmp_path: Path) -> None:
    items = pd.read_csv(pd.io.common.StringIO(ITEMS_CSV), dtype=str)
    events = pd.read_csv(pd.io.common.StringIO(EVENTS_CSV), dtype=str, keep_default_na=False)
    items.to_parquet(tmp_path / "items.parquet")
    events.to_json(tmp_path / "events.jsonl", orient="records", lines=True)
    with Store(tmp_path / "a.duckdb") as a:
        import_files(a, items=tmp_path / "items.parquet", interactions=tmp_path / "events.jsonl")
        got = snapshot(a)
    with Store(tmp_path / "b.duckdb") as b:
        import_files(b, items=write(tmp_path / "items.csv", ITEMS_CSV), interactions=write(tmp_path / "e.csv", EVENTS_CSV))
        want = snapshot(b)
    for table in ("items", "users", "interactions"):
        assert [r[:-2] if table != "interactions" else r[:-1] for r in got[table]] == [
            r[:-2] if table != "interactions" else r[:-1] for r in want[table]
        ]


def test_column_mapping_for_other_names(store: Store, tmp_path: Path) -> None:
    items = write(tmp_path / "catalogue.csv", "sku,label,blurb\nX9,Kettle,Boils water\n")
    events = write(tmp_path / "log.tsv", "who\tsku\twhen\nann\tX9\t2026-02-03 04:05:06\n")
    report = import_files(
        store, items=items, interactions=events,
        columns={"items": {"item_id": "sku", "title": "label", "text": "blurb"},
                 "interactions": {"user_id": "who", "item_id": "sku", "timestamp": "when"}},
    )
    assert report.changed["interactions"] == 1
    with store.cursor() as cur:
        assert cur.execute("SELECT item_id, title, text FROM items").fetchall() == [("X9", "Kettle", "Boils water")]
        assert cur.execute("SELECT user_id, event_type FROM interactions").fetchall() == [("ann", "interaction")]


def test_interactions_may_name_items_already_in_the_database(loaded: Store, tmp_path: Path) -> None:
    more = write(tmp_path / "more.csv", "user_id,item_id,timestamp\n99,A1,2026-03-01T00:00:00Z\n")
    assert import_files(loaded, interactions=more).changed["interactions"] == 1


def test_check_only_plan_writes_nothing(loaded: Store, tmp_path: Path) -> None:
    before = snapshot(loaded)
    plan = plan_files(loaded, items=write(tmp_path / "n.csv", "item_id,title\nZ,Zed\n"))
    assert plan.ok and plan.row_counts()["items"] == 1
    assert snapshot(loaded) == before


# ------------------------------------------------------------------ bad input


def test_missing_required_column(loaded: Store, tmp_path: Path) -> None:
    err = refused(loaded, items=write(tmp_path / "items.csv", "item_id,description\nB1,No title here\n"))
    assert "items.csv" in str(err) and "missing required column 'title'" in str(err)
    assert err.problems[0].column == "title"


@pytest.mark.parametrize("content", ["", "   \n", "item_id,title\n"])
def test_empty_file(loaded: Store, tmp_path: Path, content: str) -> None:
    err = refused(loaded, items=write(tmp_path / "items.csv", content))
    assert "items.csv" in str(err)
    assert "empty" in str(err) or "no data rows" in str(err)


def test_unparseable_timestamp_names_row_and_column(loaded: Store, tmp_path: Path) -> None:
    bad = EVENTS_CSV + "8,A1,yesterday at noon,view,,\n"
    err = refused(loaded, interactions=write(tmp_path / "events.csv", bad))
    problem = err.problems[0]
    assert (problem.file, problem.row, problem.column) == ("events.csv", 4, "timestamp")
    assert "cannot parse 'yesterday at noon' as a timestamp" in str(err)
    assert "events.csv, row 4, column 'timestamp'" in str(err)


def test_an_event_dated_in_the_future_is_refused_with_its_row(loaded: Store, tmp_path: Path) -> None:
    before = snapshot(loaded)
    bad = EVENTS_CSV + "8,A1,2090-01-01T00:00:00Z,view,,\n"
    err = refused(loaded, interactions=write(tmp_path / "events.csv", bad))
    assert "events.csv, row 4, column 'timestamp': '2090-01-01T00:00:00Z' is in the future" in str(err)
    assert snapshot(loaded) == before


def test_interaction_naming_an_unknown_item(loaded: Store, tmp_path: Path) -> None:
    bad = EVENTS_CSV + "8,NOPE,2026-01-05T00:00:00Z,view,,\n"
    err = refused(loaded, interactions=write(tmp_path / "events.csv", bad))
    assert "events.csv, row 4, column 'item_id': unknown item 'NOPE'" in str(err)


def test_duplicate_item_ids_with_different_content(loaded: Store, tmp_path: Path) -> None:
    bad = ITEMS_CSV + "A1,Road shoes,Different,Footwear,80\n"
    err = refused(loaded, items=write(tmp_path / "items.csv", bad))
    assert "items.csv, row 4, column 'item_id': duplicate item id 'A1' with different content (first seen in row 1)" in str(err)


def test_duplicate_item_ids_with_identical_content_are_merged(store: Store, tmp_path: Path) -> None:
    dup = ITEMS_CSV + "A1,Trail shoes,Grippy shoes,Footwear,99\n"
    report = import_files(store, items=write(tmp_path / "items.csv", dup))
    assert report.changed["items"] == 3


def test_non_utf8_bytes_name_the_row(loaded: Store, tmp_path: Path) -> None:
    data = ITEMS_CSV.encode() + "B7,Caf\u00e9 cups,Cups,Kitchen,9\n".encode("latin-1")
    err = refused(loaded, items=write(tmp_path / "items.csv", data))
    assert "items.csv, row 4: the file is not valid UTF-8 (byte 0xe9 on line 5)" in str(err)


def test_field_of_several_megabytes(loaded: Store, tmp_path: Path) -> None:
    huge = "x" * 3_000_000
    err = refused(loaded, items=write(tmp_path / "items.csv", ITEMS_CSV + f"B8,Huge,{huge},Misc,1\n"))
    assert "items.csv, row 4, column 'description': field is 3,000,000 characters, over the limit of 1,000,000" in str(err)


def test_field_limit_is_configurable(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "items.csv", "item_id,title,text\nA,T," + "y" * 5000 + "\n")
    with pytest.raises(ImportValidationError):
        import_files(store, items=path, config=ImportConfig(max_field_bytes=1000))
    assert import_files(store, items=path).changed["items"] == 1


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("items.parquet", ITEMS_CSV.encode(), "ends in .parquet but is a text file, not Parquet"),
        ("items.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "ends in .csv but is an image"),
        ("items.csv", b"PAR1" + bytes(100), "ends in .csv but is a Parquet file"),
        ("items.jsonl", ITEMS_CSV.encode(), "ends in .jsonl but does not hold JSON"),
        ("items.csv", b'{"item_id": "A", "title": "T"}\n', "holds JSON; rename it to .jsonl"),
        ("items.xlsx", b"PK\x03\x04" + bytes(50), "unknown file type '.xlsx'"),
    ],
)
def test_file_that_is_not_what_its_extension_says(
    loaded: Store, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    err = refused(loaded, items=write(tmp_path / name, content))
    assert name in str(err) and expected in str(err)


def test_broken_jsonl_line(loaded: Store, tmp_path: Path) -> None:
    content = '{"item_id": "C1", "title": "One"}\n{"item_id": "C2", "title": \n'
    err = refused(loaded, items=write(tmp_path / "items.jsonl", content))
    assert "items.jsonl, row 2: line 2 is not valid JSON Lines" in str(err)


def test_bad_rating_value(loaded: Store, tmp_path: Path) -> None:
    bad = EVENTS_CSV + "8,A1,2026-01-05T00:00:00Z,rating,five,\n"
    err = refused(loaded, interactions=write(tmp_path / "events.csv", bad))
    assert "events.csv, row 4, column 'rating': cannot parse 'five' as a number" in str(err)


def test_all_problems_are_listed_not_just_the_first(loaded: Store, tmp_path: Path) -> None:
    bad = EVENTS_CSV + "8,A1,never,view,,\n9,GHOST,2026-01-05T00:00:00Z,view,,\n"
    err = refused(loaded, interactions=write(tmp_path / "events.csv", bad))
    assert {(p.row, p.column) for p in err.problems} == {(4, "timestamp"), (5, "item_id")}


def test_a_bad_second_file_keeps_the_good_first_file_out(loaded: Store, tmp_path: Path) -> None:
    good_items = write(tmp_path / "items.csv", "item_id,title\nNEW1,Brand new item\n")
    bad_events = write(tmp_path / "events.csv", "user_id,item_id,timestamp\n1,NEW1,not a time\n")
    refused(loaded, items=good_items, interactions=bad_events)
