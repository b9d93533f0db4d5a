"""The lab's saved settings, by name (stored as JSON)."""

from __future__ import annotations

import json

from recsys_core.data.store import Store


def save_preset(store: Store, name: str, settings: dict[str, object]) -> None:
    with store.transaction() as cur:
        cur.execute("INSERT OR REPLACE INTO presets (name, settings) VALUES (?, ?)", [name, json.dumps(settings)])


def load_presets(store: Store) -> dict[str, dict[str, object]]:
    """Saved settings by name, oldest first."""
    with store.cursor() as cur:
        rows = cur.execute("SELECT name, settings FROM presets ORDER BY created_at, name").fetchall()
    return {str(n): json.loads(s) for n, s in rows}


def delete_preset(store: Store, name: str) -> None:
    with store.transaction() as cur:
        cur.execute("DELETE FROM presets WHERE name = ?", [name])
