"""Events recorded after the imports (the API, the ``event`` command, the lab's simulator).

Kept apart from imported data so they never change the data version; simulated ones can be
cleared, and any one removed by its id (a mistaken ``event`` command is undone without SQL).
"""

from __future__ import annotations

import datetime as dt

from recsys_core.data.frames import data_clock
from recsys_core.data.store import Store
from recsys_core.errors import InvalidArgumentError

EVENT_TYPE_MAX = 40  # characters of an event type ("view", "purchase", "add_to_cart", ...)

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


def check_event_type(event_type: str) -> str:
    """An event type is a short word: not empty, no control characters."""
    kind = event_type.strip()
    if not kind or len(kind) > EVENT_TYPE_MAX or not kind.isprintable():
        raise InvalidArgumentError(
            f"an event type is a word of 1 to {EVENT_TYPE_MAX} printable characters (view, click, rating, "
            f"purchase, ...), not {event_type!r}")
    return kind


def record_live_event(store: Store, user_id: str, item_id: str, at: dt.datetime, event_type: str,
                      simulated: bool) -> int:
    """Store one event (its time and type checked first); returns its id."""
    check_event_time(store, at)
    kind = check_event_type(event_type)
    if not user_id.strip():
        raise InvalidArgumentError("a live event needs a user id")
    with store.transaction() as cur:
        row = cur.execute("INSERT INTO live_events (user_id, item_id, occurred_at, event_type, simulated) "
                          "VALUES (?, ?, ?, ?, ?) RETURNING event_id", [user_id, item_id, at, kind, simulated]).fetchall()
    return int(row[0][0])


def list_live_events(store: Store, user_id: str | None = None) -> list[tuple[int, str, str, dt.datetime, str, bool]]:
    """(event_id, user, item, time, type, simulated) of the live events, newest first."""
    with store.cursor() as cur:
        rows = cur.execute("SELECT event_id, user_id, item_id, occurred_at, event_type, simulated FROM live_events "
                           "WHERE ? IS NULL OR user_id = ? ORDER BY occurred_at DESC, event_id DESC",
                           [user_id, user_id]).fetchall()
    return [(int(r[0]), str(r[1]), str(r[2]), r[3], str(r[4]), bool(r[5])) for r in rows]


def remove_live_event(store: Store, event_id: int) -> tuple[str, str, dt.datetime]:
    """Delete one live event; returns its (user, item, time). Imported events are not live events
    and are never touched."""
    with store.transaction() as cur:
        rows = cur.execute("DELETE FROM live_events WHERE event_id = ? RETURNING user_id, item_id, occurred_at",
                           [int(event_id)]).fetchall()
    if not rows:
        raise InvalidArgumentError(f"no live event with id {event_id} (`event --list` shows them)")
    return str(rows[0][0]), str(rows[0][1]), rows[0][2]


def clear_simulated(store: Store, user_id: str | None = None) -> int:
    """Delete simulated events (of one user, or all); returns how many."""
    with store.transaction() as cur:
        rows = cur.execute("DELETE FROM live_events WHERE simulated AND (? IS NULL OR user_id = ?)",
                           [user_id, user_id]).fetchall()
    return int(rows[0][0]) if rows else 0
