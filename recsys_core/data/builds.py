"""Stored builds and what hangs off them: checkpoints, hierarchy nodes, item placement,
interest names and the item map.

The queries the build writes and serving, naming and the map read, in one place.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.data.store import Store


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """The identity of a build: enough to key caches and show where a model came from."""

    build_id: int
    data_version: int
    embedding_model: str
    created_at: str
    stats: dict[str, object]


@dataclass(frozen=True, slots=True)
class StoredBuild:
    """A build's bulky parts, as serving loads them."""

    checkpoint: bytes
    placed: pd.DataFrame  # item_id, position, fine_id, theme_id (by position)
    nodes: pd.DataFrame  # level, node_id, parent_id, label, keywords, size, representatives
    popularity: pd.DataFrame  # item_id, n (events per item), n_users (users who had it)
    n_users: int  # users with at least one event


def _jsonable(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else value


def save_build(
    store: Store, data_version: int, embedding_model: str, config: dict[str, Any], stats: dict[str, Any],
    checkpoint: bytes, nodes: pd.DataFrame, placed: pd.DataFrame,
) -> int:
    """Write a new build in one transaction and return its id; older builds keep only their
    summary row (their checkpoints are emptied)."""
    with store.transaction() as cur:
        build_id = int(cur.execute("SELECT coalesce(max(build_id), 0) + 1 FROM builds").fetchall()[0][0])
        cur.execute(
            "INSERT INTO builds (build_id, data_version, embedding_model, config, stats, checkpoint) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [build_id, data_version, embedding_model, json.dumps({k: _jsonable(v) for k, v in config.items()}),
             json.dumps(stats), checkpoint],
        )
        for name, frame, sql in (
            ("nodes", nodes, "INSERT INTO interest_nodes SELECT ?, level, node_id, parent_id, label, "
                             "keywords::VARCHAR[], size, representatives::VARCHAR[] FROM nodes"),
            ("placed", placed, "INSERT INTO item_interests SELECT ?, item_id, position, fine_id, theme_id FROM placed"),
        ):
            cur.register(name, frame)
            try:
                cur.execute(sql, [build_id])
            finally:
                cur.unregister(name)
        cur.execute("UPDATE builds SET checkpoint = ''::BLOB WHERE build_id < ?", [build_id])
    return build_id


def latest_build(store: Store) -> BuildInfo | None:
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT build_id, data_version, embedding_model, created_at, stats FROM builds "
            "ORDER BY build_id DESC LIMIT 1"
        ).fetchall()
    if not rows:
        return None
    b = rows[0]
    return BuildInfo(int(b[0]), int(b[1]), str(b[2]), b[3].isoformat(), json.loads(b[4]))


def load_build(store: Store, build_id: int) -> StoredBuild:
    with store.cursor() as cur:
        blob = cur.execute("SELECT checkpoint FROM builds WHERE build_id = ?", [build_id]).fetchall()[0][0]
        placed = cur.execute(
            "SELECT item_id, position, fine_id, theme_id FROM item_interests WHERE build_id = ? ORDER BY position",
            [build_id],
        ).df()
        nodes = cur.execute(
            "SELECT level, node_id, parent_id, label, keywords, size, representatives FROM interest_nodes "
            "WHERE build_id = ? ORDER BY level, node_id", [build_id],
        ).df()
        popularity = cur.execute("SELECT item_id, count(*) AS n, count(DISTINCT user_id) AS n_users "
                                 "FROM interactions GROUP BY item_id").df()
        n_users = int(cur.execute("SELECT count(DISTINCT user_id) FROM interactions").fetchall()[0][0])
    return StoredBuild(bytes(blob), placed, nodes, popularity, n_users)


def serving_versions(store: Store) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """((newest build, data version), (names stamp)): what a loaded model must be refreshed
    for. A new build or new data reloads it; new names only relabel it."""
    with store.cursor() as cur:
        versions = tuple(cur.execute(
            "SELECT (SELECT max(build_id) FROM builds), (SELECT coalesce(max(import_id), 0) FROM imports)"
        ).fetchall()[0])
        names_stamp = tuple(cur.execute("SELECT count(*), max(created_at) FROM interest_names").fetchall()[0])
    return versions, names_stamp


# ---------------------------------------------------------------------- interest names
def load_interest_names(store: Store, build_id: int) -> dict[tuple[str, int], str]:
    """Names given to a build's nodes: an analyst's rename wins over the LLM's name."""
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT level, node_id, name FROM interest_names WHERE build_id = ? "
            "QUALIFY row_number() OVER (PARTITION BY level, node_id ORDER BY source = 'analyst' DESC) = 1",
            [build_id]).fetchall()
    return {(str(level), int(node)): str(name) for level, node, name in rows}


def save_analyst_name(store: Store, build_id: int, level: str, node_id: int, name: str) -> None:
    with store.transaction() as cur:
        cur.execute("INSERT OR REPLACE INTO interest_names (build_id, level, node_id, source, name) "
                    "VALUES (?, ?, ?, 'analyst', ?)", [build_id, level, node_id, name])


# ---------------------------------------------------------------------- the item map
def load_item_map(store: Store, build_id: int) -> pd.DataFrame:
    """Stored map positions of a build: item_id, x, y."""
    with store.cursor() as cur:
        return cur.execute("SELECT item_id, x, y FROM item_map WHERE build_id = ?", [build_id]).df()


def save_item_map(store: Store, build_id: int, item_ids: npt.NDArray[np.object_],
                  coords: npt.NDArray[np.float32]) -> None:
    frame = pd.DataFrame({"item_id": item_ids.astype(str), "x": coords[:, 0], "y": coords[:, 1]})
    with store.transaction() as cur:
        cur.register("coords", frame)
        try:
            cur.execute("INSERT OR REPLACE INTO item_map SELECT ?, item_id, x, y FROM coords", [build_id])
        finally:
            cur.unregister("coords")
