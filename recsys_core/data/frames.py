"""Reads the engine needs from the store, as DataFrames: catalogue texts, events, profiles.

One place for these queries so the build, the recommender and the evaluation read the data
the same way. Live events (recorded after the imports) are included on request; simulated
ones only when asked for.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import pandas as pd

from recsys_core.data.store import Store

EVENTS_SQL = """
SELECT user_id, item_id, occurred_at, event_type, value, false AS simulated FROM interactions {where_i}
UNION ALL
SELECT user_id, item_id, occurred_at, event_type, NULL::DOUBLE AS value, simulated FROM live_events
WHERE ? AND (NOT simulated OR ?) {and_l}
"""


def item_text(title: object, text: object, category: object) -> str:
    """The text embedded for an item: title, description and category (missing parts skipped)."""
    parts = [str(title).strip()]
    if isinstance(text, str) and text.strip():
        parts.append(text.strip())
    if isinstance(category, str) and category.strip():
        parts.append(category.strip().replace("|", ", "))
    return ". ".join(parts)


def load_catalogue(store: Store) -> pd.DataFrame:
    """Items in id order with the text to embed: item_id, title, text, category, embed_text."""
    with store.cursor() as cur:
        frame = cur.execute("SELECT item_id, title, text, category FROM items ORDER BY item_id").df()
    frame["embed_text"] = [item_text(t, d, c) for t, d, c in
                           zip(frame["title"], frame["text"], frame["category"], strict=True)]
    return frame


def load_review_texts(store: Store, max_chars: int = 1000) -> pd.DataFrame:
    """Per item: its distinct review/tag texts joined (newest first, cut at ``max_chars``)."""
    with store.cursor() as cur:
        return cur.execute(
            # ordered (newest first, then by text): DuckDB aggregates in parallel, and an unordered
            # string_agg would join the same texts in another order on another run
            "SELECT item_id, left(string_agg(text, '. ' ORDER BY newest DESC, text), ?) AS reviews FROM ("
            "SELECT item_id, text, max(occurred_at) AS newest FROM interactions "
            "WHERE text IS NOT NULL AND trim(text) <> '' GROUP BY item_id, text) GROUP BY item_id",
            [max_chars],
        ).df()


def load_profiles(store: Store) -> pd.DataFrame:
    with store.cursor() as cur:
        return cur.execute(
            "SELECT user_id, profile_text FROM users WHERE profile_text IS NOT NULL AND trim(profile_text) <> ''"
        ).df()


def load_events(
    store: Store, include_live: bool = True, include_simulated: bool = False, user_ids: list[str] | None = None,
) -> pd.DataFrame:
    """All events (or those of ``user_ids``): user_id, item_id, occurred_at (UTC), event_type,
    value (a rating's stars, else NULL), simulated."""
    if user_ids is None:
        sql = EVENTS_SQL.format(where_i="", and_l="")
        with store.cursor() as cur:
            return cur.execute(sql, [include_live, include_simulated]).df()
    sql = EVENTS_SQL.format(where_i="WHERE list_contains(?, user_id)", and_l="AND list_contains(?, user_id)")
    with store.cursor() as cur:
        return cur.execute(sql, [user_ids, include_live, include_simulated, user_ids]).df()


def load_user_events(store: Store, user_id: str, include_simulated: bool = False) -> pd.DataFrame:
    """One user's events, live ones included."""
    sql = EVENTS_SQL.format(where_i="WHERE user_id = ?", and_l="AND user_id = ?")
    with store.cursor() as cur:
        return cur.execute(sql, [user_id, True, include_simulated, user_id]).df()


def data_clock(store: Store) -> dt.datetime | None:
    """The newest event time in the store: "now" for recommendations on historical data."""
    with store.cursor() as cur:
        row = cur.execute(
            "SELECT greatest((SELECT max(occurred_at) FROM interactions), (SELECT max(occurred_at) FROM live_events))"
        ).fetchall()
    return row[0][0] if row and row[0][0] is not None else None


def user_fingerprint(store: Store, user_id: str, include_simulated: bool = False) -> tuple[object, ...]:
    """(events, newest event, data clock) for one user in one query: changes whenever the
    user's state would, so a cached state can be reused while it stays the same."""
    with store.cursor() as cur:
        row = cur.execute(
            """
            WITH mine AS (
                SELECT occurred_at FROM interactions WHERE user_id = $user
                UNION ALL
                SELECT occurred_at FROM live_events WHERE user_id = $user AND (NOT simulated OR $sim)
            )
            SELECT count(*), max(occurred_at),
                   greatest((SELECT max(occurred_at) FROM interactions), (SELECT max(occurred_at) FROM live_events))
            FROM mine
            """,
            {"user": user_id, "sim": include_simulated},
        ).fetchall()[0]
    return tuple(row)


def load_profile_text(store: Store, user_id: str) -> str | None:
    """The user's self-description, or None when absent or blank."""
    with store.cursor() as cur:
        rows = cur.execute("SELECT profile_text FROM users WHERE user_id = ? AND trim(profile_text) <> ''",
                           [user_id]).fetchall()
    return str(rows[0][0]) if rows and rows[0][0] else None


class ItemAbout(NamedTuple):
    """What an item says of itself: its description and its category ("" where missing)."""

    text: str
    category: str


def load_item_about(store: Store, item_ids: list[str]) -> dict[str, ItemAbout]:
    """Item descriptions and categories by id."""
    with store.cursor() as cur:
        rows = cur.execute("SELECT item_id, text, category FROM items WHERE list_contains(?, item_id)",
                           [item_ids]).fetchall()
    return {str(i): ItemAbout(str(t or ""), str(c or "")) for i, t, c in rows}


def rating_scale(store: Store) -> float:
    """The top of the catalogue's rating scale (see :func:`interests.sequences.rating_scale_top`),
    read from all its ratings: what one user's ratings are judged on."""
    from recsys_core.interests.sequences import rating_scale_top

    with store.cursor() as cur:
        top = cur.execute("SELECT max(value) FROM interactions WHERE lower(event_type) = 'rating'").fetchone()
    return rating_scale_top([] if top is None or top[0] is None else [float(top[0])])
