"""Rows of JSON kept under a name (the lab's presets, segments, fusion policies): one set of
queries for the three tables."""

from __future__ import annotations

import json
from typing import Any

from recsys_core.data.store import Store

# table -> its JSON column; the only tables these queries touch
TABLES = {"presets": "settings", "segments": "rules", "fusion_policies": "rules"}


def _column(table: str) -> str:
    if table not in TABLES:
        raise ValueError(f"no named table {table!r}")
    return TABLES[table]


def save_named(store: Store, table: str, name: str, value: Any) -> None:
    """Store ``value`` (JSON-able, or a JSON string) under ``name``, replacing one of the same name."""
    text = value if isinstance(value, str) else json.dumps(value)
    with store.transaction() as cur:
        cur.execute(f"INSERT OR REPLACE INTO {table} (name, {_column(table)}) VALUES (?, ?)", [name, text])


def load_named(store: Store, table: str) -> dict[str, Any]:
    """Every stored value by name, oldest first."""
    with store.cursor() as cur:
        rows = cur.execute(f"SELECT name, {_column(table)} FROM {table} ORDER BY created_at, name").fetchall()
    return {str(n): json.loads(v) for n, v in rows}


def delete_named(store: Store, table: str, name: str) -> bool:
    """Delete the row named ``name``; False when there was none."""
    _column(table)
    with store.transaction() as cur:
        found = cur.execute(f"SELECT count(*) FROM {table} WHERE name = ?", [name]).fetchone()
        cur.execute(f"DELETE FROM {table} WHERE name = ?", [name])
    return bool(found and found[0])
