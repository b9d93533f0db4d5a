"""Import generic files and MovieLens folders into the store, all or nothing.

An import first builds an :class:`ImportPlan`: every file read, typed and checked, with all
problems listed. Only a plan without problems is written, in one transaction, so a failed
import leaves the database exactly as it was. Writing is an upsert: importing the same files
again changes nothing and adds no rows.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd

from recsys_core.config import ImportConfig
from recsys_core.data.readers import RawTable, read_table
from recsys_core.data.store import Store
from recsys_core.data.validate import (
    INTERACTION_FIELDS,
    prepare_interactions,
    prepare_items,
    prepare_users,
    resolve_columns,
    timestamp_problems,
)
from recsys_core.errors import ImportProblem, ImportValidationError

_log = logging.getLogger(__name__)

ImportKind = Literal["generic", "movielens", "sample"]
Progress = Callable[[str, float], None]  # (stage description, fraction done in [0, 1])
ColumnMappings = Mapping[str, Mapping[str, str]]  # {"items": {"item_id": "sku"}, ...}

_YEAR = re.compile(r"\((\d{4})\)\s*$")
# An item's category is one label, a path ("Home > Kitchen"), or several of either joined by these
# ("Action|Comedy", MovieLens' genres): the one rule every reader of categories splits by.
CATEGORY_LABEL_SEPARATORS = r"[|;]"


@dataclass(slots=True)
class ImportPlan:
    """Checked frames ready to write, or the problems that stop them."""

    kind: ImportKind
    source: str
    items: pd.DataFrame | None = None
    interactions: pd.DataFrame | None = None
    users: pd.DataFrame | None = None
    tags: pd.DataFrame | None = None
    problems: list[ImportProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_problems(self) -> None:
        if self.problems:
            raise ImportValidationError(self.problems)

    def row_counts(self) -> dict[str, int]:
        return {
            name: 0 if frame is None else len(frame)
            for name, frame in (
                ("items", self.items),
                ("users", self.users),
                ("interactions", self.interactions),
                ("tags", self.tags),
            )
        }


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import wrote. ``changed`` counts new or modified rows per table."""

    import_id: int | None
    kind: ImportKind
    source: str
    rows_read: dict[str, int]
    changed: dict[str, int]
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def changed_anything(self) -> bool:
        return any(self.changed.values())


def _noop(stage: str, fraction: float) -> None:
    return None


def _existing_item_ids(store: Store, ids: pd.Series) -> set[str]:
    """Which of ``ids`` the database already holds."""
    frame = pd.DataFrame({"item_id": ids.drop_duplicates()})
    with store.cursor() as cur:
        cur.register("wanted_ids", frame)
        rows = cur.execute("SELECT i.item_id FROM items i JOIN wanted_ids w USING (item_id)").fetchall()
        cur.unregister("wanted_ids")
    return {r[0] for r in rows}


def plan_files(
    store: Store,
    items: str | Path | None = None,
    interactions: str | Path | None = None,
    users: str | Path | None = None,
    columns: ColumnMappings | None = None,
    config: ImportConfig | None = None,
    kind: ImportKind = "generic",
    replace: bool = False,
) -> ImportPlan:
    """Read and check generic files without writing anything.

    Args:
        store: The target store; used to accept interactions on items it already holds.
        items: Items file (id, title, optional text, category, anything else).
        interactions: Interactions file (user, item, timestamp, optional event type, value, text).
        users: Optional profiles file (user, free text).
        columns: Explicit column choices per file: ``{"items": {"item_id": "sku"}}``.
        config: Import limits.
        kind: Recorded in the imports table.
        replace: The import will replace all data, so items already in the database do
            not count as known.

    Returns:
        The plan; ``plan.problems`` lists every problem found (empty when it can be written).
    """
    config = config or ImportConfig()
    columns = columns or {}
    sources = [str(p) for p in (items, interactions, users) if p is not None]
    plan = ImportPlan(kind=kind, source=", ".join(sources))
    if not sources:
        plan.problems.append(ImportProblem("(no files)", "give at least an items or an interactions file"))
        return plan
    limit = config.max_problems

    def read(path: str | Path) -> RawTable | None:
        try:
            return read_table(path, max_field_bytes=config.max_field_bytes)
        except ImportValidationError as exc:
            plan.problems.extend(exc.problems)
            return None

    if items is not None and (table := read(items)) is not None:
        plan.items, found = prepare_items(table, columns.get("items"), limit)
        plan.problems += found
    if users is not None and (table := read(users)) is not None:
        plan.users, found = prepare_users(table, columns.get("users"), limit)
        plan.problems += found
    if interactions is not None and (table := read(interactions)) is not None:
        known: set[str] = set() if plan.items is None or plan.items.empty else set(plan.items["item_id"])
        cols, _ = resolve_columns(table, INTERACTION_FIELDS, columns.get("interactions"))
        if "item_id" in cols and not replace:
            referenced = table.frame[cols["item_id"]].astype(str)
            known |= _existing_item_ids(store, referenced[~referenced.isin(known)])
        plan.interactions, found = prepare_interactions(table, known, columns.get("interactions"), limit)
        plan.problems += found
    return plan


# Upserts: a row is written only when it is new or its content changed, so re-importing the
# same files changes nothing. Each statement reads the frame registered as ``incoming``.
_UPSERT_SQL = {
    "items": """
        INSERT INTO items (item_id, title, text, category, attributes, import_id)
        SELECT item_id, title, text, nullif(category, ''), attributes::JSON, $import_id FROM incoming
        ON CONFLICT (item_id) DO UPDATE SET
            title = excluded.title, text = excluded.text, category = excluded.category,
            attributes = excluded.attributes, import_id = excluded.import_id
        WHERE items.title IS DISTINCT FROM excluded.title
           OR items.text IS DISTINCT FROM excluded.text
           OR items.category IS DISTINCT FROM excluded.category
           OR items.attributes::VARCHAR IS DISTINCT FROM excluded.attributes::VARCHAR
    """,
    "users": """
        INSERT INTO users (user_id, profile_text, import_id)
        SELECT user_id, profile_text, $import_id FROM incoming
        ON CONFLICT (user_id) DO UPDATE SET profile_text = excluded.profile_text, import_id = excluded.import_id
        WHERE excluded.profile_text IS NOT NULL AND users.profile_text IS DISTINCT FROM excluded.profile_text
    """,
    "interactions": """
        INSERT INTO interactions (user_id, item_id, occurred_at, event_type, value, text, import_id)
        SELECT user_id, item_id, occurred_at, event_type, value, text, $import_id FROM incoming
        ON CONFLICT (user_id, item_id, occurred_at, event_type) DO UPDATE SET
            value = excluded.value, text = excluded.text, import_id = excluded.import_id
        WHERE interactions.value IS DISTINCT FROM excluded.value
           OR interactions.text IS DISTINCT FROM excluded.text
    """,
    "tags": """
        INSERT OR IGNORE INTO tags (user_id, item_id, tag, tagged_at, import_id)
        SELECT user_id, item_id, tag, tagged_at, $import_id FROM incoming
    """,
}


def _upsert(cur: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, import_id: int) -> int:
    """Write ``frame`` into ``table``; returns the number of rows inserted or changed."""
    cur.register("incoming", frame)
    try:
        rows = cur.execute(_UPSERT_SQL[table], {"import_id": import_id}).fetchall()
    finally:
        cur.unregister("incoming")
    return int(rows[0][0]) if rows else 0


def commit_plan(
    store: Store, plan: ImportPlan, replace: bool = False, on_progress: Progress | None = None
) -> ImportReport:
    """Write a checked plan in one transaction.

    Args:
        store: A writable store.
        plan: A plan without problems.
        replace: Delete all existing data first, in the same transaction.
        on_progress: Called with (stage, fraction) as tables are written.

    Raises:
        ImportValidationError: The plan has problems; nothing was written.
    """
    plan.raise_if_problems()
    progress = on_progress or _noop
    started = time.perf_counter()
    changed = {"items": 0, "users": 0, "interactions": 0, "tags": 0}
    with store.transaction() as cur:
        row = cur.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchall()
        import_id = int(row[0][0]) if row else 1
        if replace:
            for table in ("interactions", "tags", "users", "items"):
                cur.execute(f"DELETE FROM {table}").fetchall()  # table names are constants, not input
        steps = [("items", plan.items), ("users", plan.users), ("interactions", plan.interactions),
                 ("tags", plan.tags)]
        for i, (name, frame) in enumerate(steps):
            progress(f"writing {name}", i / (len(steps) + 1))
            if frame is not None and not frame.empty:
                changed[name] = _upsert(cur, name, frame, import_id)
        progress("adding users seen in interactions", len(steps) / (len(steps) + 1))
        row = cur.execute(
            """
            INSERT INTO users (user_id, profile_text, import_id)
            SELECT DISTINCT i.user_id, NULL, ? FROM interactions i
            WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = i.user_id)
            """,
            [import_id],
        ).fetchall()
        changed["users"] += int(row[0][0]) if row else 0
        if replace or any(changed.values()):
            counts = plan.row_counts()
            cur.execute(
                "INSERT INTO imports (import_id, kind, source, n_items, n_users, n_interactions)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [import_id, plan.kind, plan.source, counts["items"], counts["users"], counts["interactions"]],
            )
            recorded: int | None = import_id
        else:
            recorded = None
    progress("done", 1.0)
    report = ImportReport(
        import_id=recorded,
        kind=plan.kind,
        source=plan.source,
        rows_read=plan.row_counts(),
        changed=changed,
        seconds=time.perf_counter() - started,
        notes=tuple(plan.notes),
    )
    _log.info("import %s: %s", recorded, changed)
    return report


def import_files(
    store: Store,
    items: str | Path | None = None,
    interactions: str | Path | None = None,
    users: str | Path | None = None,
    columns: ColumnMappings | None = None,
    config: ImportConfig | None = None,
    kind: ImportKind = "generic",
    replace: bool = False,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Check and write generic files; see :func:`plan_files` for the arguments.

    Raises:
        ImportValidationError: Any problem in any file; the database is unchanged.
    """
    progress = on_progress or _noop
    progress("reading and checking files", 0.0)
    plan = plan_files(store, items, interactions, users, columns, config, kind, replace)
    return commit_plan(store, plan, replace=replace, on_progress=progress)


# ---------------------------------------------------------------------- MovieLens

_ML_COLUMNS = {
    "movies.csv": ("movieId", "title", "genres"),
    "ratings.csv": ("userId", "movieId", "rating", "timestamp"),
    "tags.csv": ("userId", "movieId", "tag", "timestamp"),
}


def _require(table: RawTable, names: tuple[str, ...]) -> list[ImportProblem]:
    missing = [n for n in names if n not in table.frame.columns]
    return [
        ImportProblem(table.name, f"missing required column '{n}' for the MovieLens layout "
                                  f"(found: {', '.join(table.frame.columns)})", column=n)
        for n in missing
    ]


def plan_movielens(store: Store, folder: str | Path, config: ImportConfig | None = None) -> ImportPlan:
    """Read and check a MovieLens folder (movies.csv, ratings.csv, optional tags.csv).

    Movies become items (title as given, genres as category, year in the attributes),
    ratings become ``rating`` interactions, and tags are kept whole in the tags table and
    attached as text to the rating of the same user and movie.
    """
    config = config or ImportConfig()
    folder = Path(folder)
    plan = ImportPlan(kind="movielens", source=str(folder))
    if not folder.is_dir():
        plan.problems.append(ImportProblem(str(folder), "not a folder; give the folder that holds ratings.csv and movies.csv"))
        return plan
    tables: dict[str, RawTable] = {}
    for name in _ML_COLUMNS:
        path = folder / name
        if not path.exists():
            if name != "tags.csv":
                plan.problems.append(ImportProblem(name, f"missing from {folder}; the MovieLens layout needs it"))
            continue
        try:
            tables[name] = read_table(path, max_field_bytes=config.max_field_bytes)
        except ImportValidationError as exc:
            plan.problems.extend(exc.problems)
            continue
        plan.problems += _require(tables[name], _ML_COLUMNS[name])
    if plan.problems:
        return plan
    limit = config.max_problems
    movies = tables["movies.csv"].frame
    genres = movies["genres"].where(movies["genres"] != "(no genres listed)", "")
    years = movies["title"].str.extract(_YEAR, expand=False)
    year_by_id = {i: int(y) for i, y in zip(movies["movieId"], years, strict=True) if isinstance(y, str)}
    items_raw = RawTable(
        "movies.csv",
        pd.DataFrame({"movieId": movies["movieId"], "title": movies["title"], "genres": genres}),
    )
    plan.items, found = prepare_items(items_raw, {"item_id": "movieId", "title": "title", "category": "genres"}, limit)
    plan.problems += found
    if plan.items is not None and not plan.items.empty:
        plan.items["attributes"] = [
            json.dumps({"year": year_by_id[i]} if i in year_by_id else {}) for i in plan.items["item_id"]
        ]
        plan.items["text"] = ""
    ratings = tables["ratings.csv"]
    known = set(plan.items["item_id"]) if plan.items is not None and not plan.items.empty else set()
    frame, found = prepare_interactions(
        ratings, known, {"user_id": "userId", "item_id": "movieId", "timestamp": "timestamp", "value": "rating"}, limit
    )
    plan.problems += found
    if not frame.empty:
        frame["event_type"] = "rating"
    if "tags.csv" in tables:
        tags = tables["tags.csv"]
        tagged_at, found = timestamp_problems(tags.name, tags.frame["timestamp"], "timestamp", limit)
        plan.problems += found
        empty = tags.frame["tag"].str.strip() == ""
        for i in empty[empty].index[:limit]:
            plan.problems.append(ImportProblem(tags.name, "empty tag", row=int(i) + 1, column="tag"))
        unknown = ~tags.frame["movieId"].isin(known)
        for i in unknown[unknown].index[:limit]:
            plan.problems.append(
                ImportProblem(tags.name, f"unknown item {tags.frame['movieId'].iloc[i]!r} (not in movies.csv)",
                              row=int(i) + 1, column="movieId")
            )
        tag_frame = pd.DataFrame(
            {
                "user_id": tags.frame["userId"],
                "item_id": tags.frame["movieId"],
                "tag": tags.frame["tag"].str.strip(),
                "tagged_at": tagged_at,
            }
        ).drop_duplicates(subset=["user_id", "item_id", "tag", "tagged_at"])
        plan.tags = tag_frame
        if not frame.empty:
            joined = (
                tag_frame.sort_values("tagged_at")
                .groupby(["user_id", "item_id"], sort=False)["tag"]
                .agg("; ".join)
                .rename("tag_text")
                .reset_index()
            )
            frame = frame.merge(joined, on=["user_id", "item_id"], how="left")
            frame["text"] = frame["tag_text"].where(frame["tag_text"].notna(), None)
            frame = frame.drop(columns="tag_text")
            n_loose = len(joined) - int(joined.merge(frame[["user_id", "item_id"]], on=["user_id", "item_id"]).shape[0])
            if n_loose:
                plan.notes.append(
                    f"{n_loose} user-movie tag groups have no rating; they are kept in the tags table only"
                )
    plan.interactions = frame
    return plan


def import_movielens(
    store: Store,
    folder: str | Path,
    config: ImportConfig | None = None,
    replace: bool = False,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Check and write a MovieLens folder, all or nothing.

    Raises:
        ImportValidationError: Any problem in any file; the database is unchanged.
    """
    progress = on_progress or _noop
    progress("reading and checking MovieLens files", 0.0)
    plan = plan_movielens(store, folder, config)
    return commit_plan(store, plan, replace=replace, on_progress=progress)


def file_columns(path: str, kind: str, config: ImportConfig) -> tuple[list[str], dict[str, str], list[str]]:
    """A file's columns and which field each would fill, for a column-mapping form.

    Args:
        path: The file (CSV, TSV, Parquet or JSON Lines).
        kind: "items", "interactions" or "users".

    Returns:
        (the file's columns, {field: guessed column}, the fields of this kind, required first).

    Raises:
        ImportValidationError: The file cannot be read.
    """
    from recsys_core.data.readers import read_table
    from recsys_core.data.validate import INTERACTION_FIELDS, ITEM_FIELDS, USER_FIELDS, resolve_columns

    fields = {"items": ITEM_FIELDS, "interactions": INTERACTION_FIELDS, "users": USER_FIELDS}[kind]
    table = read_table(path, max_field_bytes=config.max_field_bytes)
    guessed, _ = resolve_columns(table, fields)
    return list(table.frame.columns), guessed, [f.name for f in fields]
