"""Every user's history read from the store as :class:`Sequences`, the model's input.

The same result as ``build_sequences(load_events(...), item_index)``, without the events ever
becoming a DataFrame: DuckDB maps item ids to rows, keeps each (user, item) once with its first
time and strongest event type, and orders the histories; only numbers come back, in Arrow
record batches. So a store with millions of events costs the build a few arrays of numbers
per distinct (user, item), not a Python object per id per event. Low ratings are judged by
:func:`interests.sequences.low_rating_mask`, the one home of that rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from recsys_core.data.frames import EVENTS_SQL
from recsys_core.data.store import Store
from recsys_core.interests.sequences import (
    EVENT_TYPE_CODES,
    LOW_RATING_CODE,
    OTHER_EVENT_CODE,
    Sequences,
    low_rating_mask,
)

BATCH_ROWS = 1 << 18  # rows per Arrow batch

_CODE_SQL = "CASE e.event_type {} ELSE {} END".format(
    " ".join(f"WHEN '{name}' THEN {code}" for name, code in EVENT_TYPE_CODES.items()), OTHER_EVENT_CODE)


def _read(store_cursor, sql: str, params: list[object], columns: int,  # type: ignore[no-untyped-def]
          batch_rows: int) -> list[npt.NDArray[Any]]:
    """The query's ``columns`` numeric columns, read batch by batch into NumPy arrays."""
    parts: list[list[npt.NDArray[Any]]] = [[] for _ in range(columns)]
    for batch in store_cursor.sql(sql, params=params).to_arrow_reader(batch_rows):
        for k in range(columns):
            parts[k].append(batch.column(k).to_numpy(zero_copy_only=False))
    return [np.concatenate(p) if p else np.zeros(0) for p in parts]


def load_sequences(
    store: Store, item_ids: Sequence[str] | npt.NDArray[np.object_], include_live: bool = True, include_simulated: bool = False,
    user_ids: list[str] | None = None, until: dt.datetime | None = None, scale_top: float | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Sequences:
    """Histories over ``item_ids`` (row ``k`` of the item matrix is ``item_ids[k]``).

    Args:
        include_live, include_simulated: Which recorded events to read besides the imports
            (as :func:`frames.load_events`).
        user_ids: Only these users (all when None).
        until: Only events at or before this moment (UTC; naive or aware).
        scale_top: The catalogue's rating scale; read from the selected ratings when None (see
            :func:`interests.sequences.low_ratings`: pass it whenever the selection is not the
            whole catalogue's).
    """
    params: list[object]
    if user_ids is None:
        events, params = EVENTS_SQL.format(where_i="", and_l=""), [include_live, include_simulated]
    else:
        events = EVENTS_SQL.format(where_i="WHERE list_contains(?, user_id)", and_l="AND list_contains(?, user_id)")
        params = [list(user_ids), include_live, include_simulated, list(user_ids)]
    when = ""
    if until is not None:
        when = "WHERE e.occurred_at <= ?"
        moment = until if until.tzinfo is None else until.astimezone(dt.UTC).replace(tzinfo=None)
        params = [*params, moment]
    # f: the selected events with their item's row (NULL: not an item of ``item_ids``; such
    # ratings still count in the user's own scale, as in build_sequences); j: those on items
    head = f"""
    WITH e AS ({events}),
    f AS (SELECT e.user_id, r.row_id AS item, e.occurred_at, e.event_type, e.value, {_CODE_SQL} AS code
          FROM e LEFT JOIN _item_rows r ON r.item_id = e.item_id {when}),
    j AS (SELECT * FROM f WHERE item IS NOT NULL),
    users AS (SELECT user_id, (row_number() OVER (ORDER BY user_id) - 1)::BIGINT AS u
              FROM (SELECT DISTINCT user_id FROM j))
    """
    rows = pa.table({"item_id": pa.array([str(i) for i in item_ids], pa.string()),
                     "row_id": pa.array(np.arange(len(item_ids), dtype=np.int64))})
    with store.cursor() as cur:
        cur.register("_item_rows", rows)
        try:
            cur.execute("BEGIN TRANSACTION")  # the three reads see the same data
            try:
                users = [str(u) for (u,) in cur.execute(head + "SELECT user_id FROM users ORDER BY u",
                                                        params).fetchall()]
                u, item, us, code = _read(cur, head + """
                    SELECT users.u, j.item, min(epoch_us(j.occurred_at)) AS us, max(j.code)::BIGINT AS code
                    FROM j JOIN users USING (user_id) GROUP BY users.u, j.item ORDER BY users.u, us, j.item
                    """, params, 4, batch_rows)
                ru, ritem, rvalue = _read(cur, head + """
                    SELECT users.u, coalesce(f.item, -1) AS item, f.value FROM f JOIN users USING (user_id)
                    WHERE lower(f.event_type) = 'rating' AND isfinite(f.value)
                    ORDER BY users.u, item, f.occurred_at
                    """, params, 3, batch_rows)
            finally:
                cur.execute("ROLLBACK")
        finally:
            cur.unregister("_item_rows")
    u, item = u.astype(np.int64), item.astype(np.int64)
    codes = code.astype(np.int64)
    if len(rvalue):  # a (user, item) with any low rating gets the low code, as in build_sequences
        n = max(len(item_ids), 1)
        low = low_rating_mask(ru.astype(np.int64), np.ones(len(rvalue), bool), rvalue.astype(np.float64), scale_top)
        low &= ritem >= 0  # a rating of an item outside ``item_ids`` counts only in the user's scale
        low_keys = np.unique(ru[low].astype(np.int64) * n + ritem[low].astype(np.int64))
        codes[np.isin(u * n + item, low_keys)] = LOW_RATING_CODE
    offsets = np.zeros(len(users) + 1, np.int64)
    np.cumsum(np.bincount(u, minlength=len(users)), out=offsets[1:])
    days = us.astype(np.int64).astype(np.float64) / 1e6 / 86400.0
    return Sequences(user_ids=users, offsets=offsets, items=item, days=days, codes=codes)
