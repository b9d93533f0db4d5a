"""Events recorded after the imports (the API, the ``event`` command, the lab's simulator).

Kept apart from imported data so they never change the data version; simulated ones can be
cleared.
"""

from __future__ import annotations

import datetime as dt

from recsys_core.data.store import Store


def item_exists(store: Store, item_id: str) -> bool:
    with store.cursor() as cur:
        return bool(cur.execute("SELECT 1 FROM items WHERE item_id = ?", [item_id]).fetchall())


def record_live_event(store: Store, user_id: str, item_id: str, at: dt.datetime, event_type: str,
                      simulated: bool) -> None:
    with store.transaction() as cur:
        cur.execute("INSERT INTO live_events (user_id, item_id, occurred_at, event_type, simulated) "
                    "VALUES (?, ?, ?, ?, ?)", [user_id, item_id, at, event_type, simulated])


def clear_simulated(store: Store, user_id: str | None = None) -> int:
    """Delete simulated events (of one user, or all); returns how many."""
    with store.transaction() as cur:
        rows = cur.execute("DELETE FROM live_events WHERE simulated AND (? IS NULL OR user_id = ?)",
                           [user_id, user_id]).fetchall()
    return int(rows[0][0]) if rows else 0
