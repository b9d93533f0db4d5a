"""What the analyst browses before any model: counts, activity, table previews and the user
list. Read-only queries over the imported data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from recsys_core.data.importers import CATEGORY_LABEL_SEPARATORS
from recsys_core.data.store import Store, StoreInfo

PreviewTable = Literal["items", "users", "interactions"]

_PREVIEWS: dict[str, str] = {
    "items": ("SELECT item_id, title, category, text, attributes::VARCHAR AS attributes FROM items "
              # numeric ids in numeric order (MovieLens' 1, 2, 3, not 1, 10, 100), then the others
              "WHERE ? = '' OR title ILIKE ? OR item_id = ? ORDER BY TRY_CAST(item_id AS BIGINT) NULLS LAST, "
              "item_id LIMIT ?"),
    "users": ("SELECT u.user_id, u.profile_text, count(e.item_id) AS n_events FROM users u "
              "LEFT JOIN interactions e USING (user_id) WHERE ? = '' OR u.profile_text ILIKE ? "
              "OR u.user_id = ? GROUP BY ALL ORDER BY n_events DESC, u.user_id LIMIT ?"),
    "interactions": ("SELECT e.occurred_at, e.user_id, e.item_id, i.title, e.event_type, e.value, e.text "
                     "FROM interactions e JOIN items i USING (item_id) WHERE ? = '' OR i.title ILIKE ? "
                     "OR e.user_id = ? ORDER BY e.occurred_at DESC LIMIT ?"),
}


@dataclass(frozen=True, slots=True)
class Overview:
    """What the home page shows about the loaded data."""

    info: StoreInfo
    events_by_type: pd.DataFrame  # event_type, n
    events_by_week: pd.DataFrame  # week (date), event_type, n
    top_categories: pd.DataFrame  # category (each label of a multi-label one on its own), n_items, n_events
    activity: pd.DataFrame  # events per user: quantiles for the skew


def overview(store: Store) -> Overview:
    with store.cursor() as cur:
        by_type = cur.execute(
            "SELECT event_type, count(*) AS n FROM interactions GROUP BY ALL ORDER BY n DESC"
        ).df()
        by_week = cur.execute(
            "SELECT date_trunc('week', occurred_at)::DATE AS week, event_type, count(*) AS n "
            "FROM interactions GROUP BY ALL ORDER BY week, event_type"
        ).df()
        # each label of a multi-label category on its own ("Action|Comedy" counts for both)
        top = cur.execute(
            "WITH labels AS (SELECT DISTINCT item_id, trim(label) AS category FROM (SELECT item_id, "
            "unnest(regexp_split_to_array(coalesce(category, '(none)'), ?)) AS label FROM items) WHERE trim(label) <> '') "
            "SELECT category, count(DISTINCT l.item_id) AS n_items, count(e.item_id) AS n_events "
            "FROM labels l LEFT JOIN interactions e USING (item_id) GROUP BY ALL ORDER BY n_events DESC, category LIMIT 15",
            [CATEGORY_LABEL_SEPARATORS],
        ).df()
        activity = cur.execute(
            "WITH per_user AS (SELECT user_id, count(*) AS n FROM interactions GROUP BY ALL) "
            "SELECT quantile_disc(n, 0.5) AS median, quantile_disc(n, 0.9) AS p90, "
            "quantile_disc(n, 0.99) AS p99, max(n) AS max FROM per_user"
        ).df()
    return Overview(store.info(), by_type, by_week, top, activity)


def preview(store: Store, table: PreviewTable, n: int = 200, search: str = "") -> pd.DataFrame:
    """First ``n`` rows of a data table, optionally filtered by a case-insensitive text search."""
    with store.cursor() as cur:
        return cur.execute(_PREVIEWS[table], [search, f"%{search}%", search, int(n)]).df()


def list_users(store: Store, search: str = "", n: int = 200) -> pd.DataFrame:
    """Users for a picker, most active first: user_id, n_events, last_event_at, profile_text.
    ``search`` matches the id exactly or as a prefix, or the profile text as a substring."""
    with store.cursor() as cur:
        return cur.execute(
            "SELECT u.user_id, count(e.item_id) AS n_events, max(e.occurred_at) AS last_event_at, u.profile_text "
            "FROM users u LEFT JOIN interactions e USING (user_id) "
            "WHERE ? = '' OR u.user_id = ? OR u.user_id ILIKE ? OR u.profile_text ILIKE ? "
            "GROUP BY ALL ORDER BY n_events DESC, u.user_id LIMIT ?",
            [search, search, f"{search}%", f"%{search}%", int(n)]).df()


def all_user_ids(store: Store) -> list[str]:
    with store.cursor() as cur:
        return [str(r[0]) for r in cur.execute("SELECT user_id FROM users ORDER BY user_id").fetchall()]
