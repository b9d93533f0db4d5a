"""Saved segments and fusion policies, by name (rules stored as JSON)."""

from __future__ import annotations

import json

from recsys_core.data.store import Store


def save_segment(store: Store, name: str, rules_json: str) -> None:
    with store.transaction() as cur:
        cur.execute("INSERT OR REPLACE INTO segments (name, rules) VALUES (?, ?)", [name, rules_json])


def load_segments(store: Store) -> dict[str, dict[str, object]]:
    """Saved segments' rules by name, oldest first."""
    with store.cursor() as cur:
        rows = cur.execute("SELECT name, rules FROM segments ORDER BY created_at, name").fetchall()
    return {str(n): json.loads(r) for n, r in rows}


def delete_segment(store: Store, name: str) -> None:
    with store.transaction() as cur:
        cur.execute("DELETE FROM segments WHERE name = ?", [name])


def save_policy(store: Store, name: str, rules_json: str) -> None:
    with store.transaction() as cur:
        cur.execute("INSERT OR REPLACE INTO fusion_policies (name, rules) VALUES (?, ?)", [name, rules_json])


def load_policies(store: Store) -> dict[str, list[dict[str, object]]]:
    """Saved policies' rules by name, oldest first."""
    with store.cursor() as cur:
        rows = cur.execute("SELECT name, rules FROM fusion_policies ORDER BY created_at, name").fetchall()
    return {str(n): json.loads(r) for n, r in rows}


def delete_policy(store: Store, name: str) -> None:
    with store.transaction() as cur:
        cur.execute("DELETE FROM fusion_policies WHERE name = ?", [name])
