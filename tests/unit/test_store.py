"""Store: migrations, versions, read-only mode and the lock message."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from recsys_core.data.store import Store, load_migrations
from recsys_core.errors import StoreError, StoreLockedError


def test_migrations_apply_once_and_are_recorded(db_path: Path) -> None:
    with Store(db_path) as store:
        assert store.schema_version() == len(load_migrations())
        assert store.migrate() == []  # second run: nothing to do
        with store.cursor() as cur:
            rows = cur.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()
        assert [r[0] for r in rows] == list(range(1, len(load_migrations()) + 1))
    with Store(db_path) as again:  # reopening applies nothing new either
        assert again.migrate() == []
        with again.cursor() as cur:
            assert cur.execute("SELECT count(*) FROM schema_version").fetchall()[0][0] == len(load_migrations())


def test_new_store_is_empty_with_data_version_zero(store: Store) -> None:
    info = store.info()
    assert (info.n_items, info.n_users, info.n_interactions) == (0, 0, 0)
    assert store.data_version() == 0
    assert store.is_empty()


def test_read_only_store_refuses_writes(db_path: Path) -> None:
    Store(db_path).connect().close()
    with Store(db_path, read_only=True) as ro:
        with pytest.raises(StoreError, match="read-only"):
            with ro.transaction():
                pass
        assert ro.info().n_items == 0


def test_read_only_on_missing_file_says_how_to_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist.*sample"):
        Store(tmp_path / "nope.duckdb", read_only=True).connect()


def test_not_a_database_file_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("hello, I am not a database\n" * 100)
    with pytest.raises(StoreError, match="bogus.duckdb"):
        Store(bogus).connect()


def test_second_process_gets_a_clear_lock_message(db_path: Path) -> None:
    with Store(db_path):
        code = textwrap.dedent(
            f"""
            from recsys_core.data.store import Store
            from recsys_core.errors import StoreLockedError
            try:
                Store({str(db_path)!r}).connect()
            except StoreLockedError as exc:
                print("LOCKED:", exc)
            """
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                             cwd=Path(__file__).resolve().parents[2])
    assert "LOCKED: the database is in use by another process" in out.stdout, out.stderr
    assert "Traceback" not in out.stderr
    assert issubclass(StoreLockedError, StoreError)


def test_the_items_preview_lists_numeric_ids_in_numeric_order(store: Store) -> None:
    from recsys_core.data.browse import preview

    with store.transaction() as cur:
        for item_id in ("10", "2", "b-7", "1", "100", "a-3"):
            cur.execute("INSERT INTO items (item_id, title, import_id) VALUES (?, ?, 0)", [item_id, f"t{item_id}"])
    assert preview(store, "items")["item_id"].tolist() == ["1", "2", "10", "100", "a-3", "b-7"]
    assert preview(store, "items", search="t10")["item_id"].tolist() == ["10", "100"]  # titles holding "t10"


def test_the_overview_counts_each_label_of_a_multi_label_category(store: Store) -> None:
    """MovieLens' "Action|Comedy" is two genres, not a third category; a path stays whole."""
    from recsys_core.data.browse import overview

    with store.transaction() as cur:
        for item_id, category in (("1", "Action|Comedy"), ("2", "Comedy"), ("3", None), ("4", "Home > Kitchen; Garden")):
            cur.execute("INSERT INTO items (item_id, title, category, import_id) VALUES (?, ?, ?, 0)",
                        [item_id, f"t{item_id}", category])
        for n, (user, item) in enumerate((("u", "1"), ("v", "1"), ("u", "2"), ("u", "3"), ("w", "4"))):
            cur.execute("INSERT INTO interactions (user_id, item_id, occurred_at, event_type, import_id) "
                        "VALUES (?, ?, TIMESTAMP '2026-01-01' + to_minutes(?), 'view', 0)", [user, item, n])
    top = overview(store).top_categories.set_index("category")
    assert top.loc["Comedy", "n_events"] == 3 and top.loc["Comedy", "n_items"] == 2
    assert top.loc["Action", "n_events"] == 2 and top.loc["(none)", "n_events"] == 1
    assert top.loc["Home > Kitchen", "n_events"] == 1 and top.loc["Garden", "n_items"] == 1
    assert "Action|Comedy" not in top.index
