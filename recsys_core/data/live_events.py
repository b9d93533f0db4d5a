"""Events recorded after the imports (the API, the ``event`` command, the lab's simulator).

Kept apart from imported data so they never change the data version; simulated ones can be
cleared.
"""

from __future__ import annotations

import datetime as dt

from recsys_core.data.frames import data_clock
from recsys_core.data.store import Store
from recsys_core.errors import InvalidArgumentError

EARLIEST = dt.datetime(1900, 1, 1)
LATEST_AHEAD = dt.timedelta(days=1)  # an event may be at most this far past today or the data's newest event


def item_exists(store: Store, item_id: str) -> bool:
    with store.cursor() as cur:
        return bool(cur.execute("SELECT 1 FROM items WHERE item_id = ?", [item_id]).fetchall())


def check_event_time(store: Store, at: dt.datetime) -> None:
    """Refuse a time no event can have: before 1900, or more than a day past both today and the
    store's newest event. A year-2999 event would otherwise become "now" for its user (and
    make every later default time 2999), and dates past 2262 do not fit pandas' timestamps."""
    naive = at.astimezone(dt.UTC).replace(tzinfo=None) if at.tzinfo is not None else at
    newest = data_clock(store)
    today = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    latest = max(today, newest or today) + LATEST_AHEAD
    if not EARLIEST <= naive <= latest:
        raise InvalidArgumentError(
            f"an event time must be between {EARLIEST:%Y-%m-%d} and {latest:%Y-%m-%d %H:%M} UTC (a day past today "
            f"or the data's newest event), not {naive:%Y-%m-%d %H:%M}")


def record_live_event(store: Store, user_id: str, item_id: str, at: dt.datetime, event_type: str,
                      simulated: bool) -> None:
    """Store one event (its time checked by :func:`check_event_time`)."""
    check_event_time(store, at)
    with store.transaction() as cur:
        cur.execute("INSERT INTO live_events (user_id, item_id, occurred_at, event_type, simulated) "
                    "VALUES (?, ?, ?, ?, ?)", [user_id, item_id, at, event_type, simulated])


def clear_simulated(store: Store, user_id: str | None = None) -> int:
    """Delete simulated events (of one user, or all); returns how many."""
    with store.transaction() as cur:
        rows = cur.execute("DELETE FROM live_events WHERE simulated AND (? IS NULL OR user_id = ?)",
                           [user_id, user_id]).fetchall()
    return int(rows[0][0]) if rows else 0
