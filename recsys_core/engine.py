"""RecsysEngine: the one object the app talks to.

It owns the store and answers the pages' questions with plain data (dataclasses and
DataFrames). It never imports Streamlit; progress flows out through callbacks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from recsys_core.config import RecsysConfig
from recsys_core.data.importers import ImportReport, Progress
from recsys_core.data.sample import load_sample
from recsys_core.data.store import Store, StoreInfo

_log = logging.getLogger(__name__)

PreviewTable = Literal["items", "users", "interactions"]


@dataclass(frozen=True, slots=True)
class Overview:
    """What the home page shows about the loaded data."""

    info: StoreInfo
    events_by_type: pd.DataFrame  # event_type, n
    events_by_week: pd.DataFrame  # week (date), event_type, n
    top_categories: pd.DataFrame  # category, n_items, n_events
    activity: pd.DataFrame  # events per user: quantiles for the skew


class RecsysEngine:
    """Facade over the store (and, as they land, the models) for the app and scripts.

    Args:
        config: The configuration tree; ``config.db_path`` names the database file.
    """

    def __init__(self, config: RecsysConfig) -> None:
        self.config = config
        self.store = Store(config.db_path, config=config.store)

    def open(self) -> RecsysEngine:
        """Open (and migrate) the database. Raises StoreLockedError if another process holds it."""
        self.store.connect()
        return self

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------------ data
    def info(self) -> StoreInfo:
        return self.store.info()

    def data_version(self) -> int:
        return self.store.data_version()

    def has_data(self) -> bool:
        return not self.store.is_empty()

    def load_sample(self, on_progress: Progress | None = None) -> ImportReport:
        """Replace the database contents with the shipped sample, in one transaction."""
        return load_sample(self.store, self.config.sample_dir, replace=True, on_progress=on_progress)

    def ensure_data(self, on_progress: Progress | None = None) -> ImportReport | None:
        """Load the sample when the database is empty; returns the report, or None if data was there."""
        if self.has_data():
            return None
        _log.info("empty database at %s: loading the sample", self.config.db_path)
        return self.load_sample(on_progress)

    def overview(self) -> Overview:
        with self.store.cursor() as cur:
            by_type = cur.execute(
                "SELECT event_type, count(*) AS n FROM interactions GROUP BY ALL ORDER BY n DESC"
            ).df()
            by_week = cur.execute(
                "SELECT date_trunc('week', occurred_at)::DATE AS week, event_type, count(*) AS n "
                "FROM interactions GROUP BY ALL ORDER BY week, event_type"
            ).df()
            top = cur.execute(
                "SELECT coalesce(i.category, '(none)') AS category, count(DISTINCT i.item_id) AS n_items, "
                "count(e.item_id) AS n_events FROM items i LEFT JOIN interactions e USING (item_id) "
                "GROUP BY ALL ORDER BY n_events DESC LIMIT 15"
            ).df()
            activity = cur.execute(
                "WITH per_user AS (SELECT user_id, count(*) AS n FROM interactions GROUP BY ALL) "
                "SELECT quantile_disc(n, 0.5) AS median, quantile_disc(n, 0.9) AS p90, "
                "quantile_disc(n, 0.99) AS p99, max(n) AS max FROM per_user"
            ).df()
        return Overview(self.store.info(), by_type, by_week, top, activity)

    def preview(self, table: PreviewTable, n: int = 200, search: str = "") -> pd.DataFrame:
        """First ``n`` rows of a data table, optionally filtered by a case-insensitive text search."""
        queries = {
            "items": ("SELECT item_id, title, category, text, attributes::VARCHAR AS attributes FROM items "
                      "WHERE ? = '' OR title ILIKE ? OR item_id = ? ORDER BY item_id LIMIT ?"),
            "users": ("SELECT u.user_id, u.profile_text, count(e.item_id) AS n_events FROM users u "
                      "LEFT JOIN interactions e USING (user_id) WHERE ? = '' OR u.profile_text ILIKE ? "
                      "OR u.user_id = ? GROUP BY ALL ORDER BY n_events DESC, u.user_id LIMIT ?"),
            "interactions": ("SELECT e.occurred_at, e.user_id, e.item_id, i.title, e.event_type, e.value, e.text "
                             "FROM interactions e JOIN items i USING (item_id) WHERE ? = '' OR i.title ILIKE ? "
                             "OR e.user_id = ? ORDER BY e.occurred_at DESC LIMIT ?"),
        }
        with self.store.cursor() as cur:
            return cur.execute(queries[table], [search, f"%{search}%", search, int(n)]).df()


def open_engine(config: RecsysConfig | None = None) -> RecsysEngine:
    """Build and open an engine from ``config`` (default: :meth:`RecsysConfig.from_env`)."""
    return RecsysEngine(config or RecsysConfig.from_env()).open()
