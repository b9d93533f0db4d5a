"""The DuckDB store: owns the connection, applies migrations, hands out cursors.

One read-write process per database file (DuckDB's rule). A second process that finds the
file locked gets :class:`StoreLockedError` with a message that says what to do; other
processes read with ``read_only=True``. Every statement binds its values as parameters.
Nothing here knows about importing or modelling; it only stores.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType

import duckdb

from recsys_core.config import StoreConfig
from recsys_core.errors import StoreError, StoreLockedError

_log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_TABLE_DDL = re.compile(r"\b(CREATE|DROP)\s+TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(\w+)", re.IGNORECASE)
MEMORY = ":memory:"


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL file from ``recsys_core/data/migrations``."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """Read the migration files in version order."""
    out = []
    for entry in resources.files("recsys_core.data").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            out.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if versions != list(range(1, len(out) + 1)):
        raise StoreError(f"migrations must be numbered 001, 002, ... without gaps; found {versions}")
    return out


def schema_tables(version: int) -> set[str]:
    """The tables the migrations up to ``version`` leave behind (besides ``schema_version``):
    what a database at that version must hold for any command to work."""
    tables: set[str] = set()
    for migration in load_migrations()[:version]:
        for verb, name in _TABLE_DDL.findall(migration.sql):
            (tables.add if verb.upper() == "CREATE" else tables.discard)(name.lower())
    return tables


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """What is in the database, for ``info`` and the home page."""

    path: str
    schema_version: int
    data_version: int
    n_items: int
    n_users: int
    n_interactions: int
    n_tags: int
    first_event_at: str | None
    last_event_at: str | None


def _explain_lock(path: Path, exc: Exception) -> StoreLockedError:
    text = str(exc)
    pid = re.search(r"PID (\d+)", text)
    holder = f" (held by process {pid.group(1)})" if pid else ""
    return StoreLockedError(
        f"the database is in use by another process: {path}{holder}. Stop that process "
        "(for example the running app or an import) and try again, or use another database file "
        "(--db PATH or RECSYS_DB). DuckDB lets several read-only processes share a file, but none "
        "while one process has it open for writing."
    )


def _check_ours(conn: duckdb.DuckDBPyConnection, path: Path, read_only: bool = False) -> None:
    """Refuse, before anything is written, a database that another tool made (tables but no
    ``schema_version``), a newer version of this one (a schema past the known migrations) or one
    missing tables its schema version has (dropped by another program: every command touching
    them would fail halfway); and, to read, one with no tables at all (nothing to read)."""
    try:
        tables = {str(r[0]) for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()").fetchall()}
        version = (conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]
                   if "schema_version" in tables else 0)
    except duckdb.Error as exc:
        raise StoreError(f"the database {path} is damaged and cannot be read: {exc}") from None
    if tables and "schema_version" not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(f"{path} is a DuckDB database from another tool (tables: {shown}); this tool does not "
                         "write into it. Use a new file (--db PATH or RECSYS_DB) and import the data into that.")
    if read_only and not tables and str(path) != MEMORY:
        size = path.stat().st_size if path.exists() else 0
        shown = f"{size / 1024**2:.1f} MB" if size >= 1024**2 else f"{size / 1024:.0f} KB"
        raise StoreError(
            f"the database {path} holds none of this tool's tables ({shown} on disk). A copy taken while "
            f"another process had the database open leaves its newest changes behind in {path.name}.wal: copy "
            "the file again after closing the app (or with its .wal beside it), or make it anew with "
            "`python -m recsys_core sample` or an import")
    known = len(load_migrations())
    if int(version) > known:
        raise StoreError(f"{path} was written by a newer version of this tool (schema {version}, this one knows "
                         f"up to {known}); update the tool or use another database file")
    missing = schema_tables(int(version)) - {t.lower() for t in tables}
    if missing:
        raise StoreError(
            f"the database {path} lacks tables its schema (version {version}) has: {', '.join(sorted(missing))}. "
            "Another program dropped or renamed them, or the file is damaged; this tool does not touch it. "
            "Restore a backup, or make the database anew with `python -m recsys_core sample` or an import")


class Store:
    """A DuckDB database file with the project's schema.

    Args:
        path: Database file, or ``":memory:"``. Parent folders are created on connect.
        read_only: Open without write access; several processes may do so at once.
        config: Threads and memory limit for DuckDB.
    """

    def __init__(
        self, path: str | Path, read_only: bool = False, config: StoreConfig | None = None
    ) -> None:
        self.path = Path(path) if str(path) != MEMORY else Path(MEMORY)
        self.read_only = read_only
        self.config = config or StoreConfig(db_path=self.path)
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        # one writer at a time within the process: DuckDB aborts the second of two concurrent
        # transactions that touch the same row ("Conflict on update"), e.g. two app sessions
        # caching the same explanation
        self._write_lock = threading.RLock()

    # ------------------------------------------------------------------ lifecycle
    @property
    def is_memory(self) -> bool:
        return str(self.path) == MEMORY

    def connect(self) -> Store:
        """Open the file (creating it and applying migrations when writable). Idempotent."""
        with self._lock:
            if self._conn is not None:
                return self
            if not self.is_memory:
                if self.read_only and not self.path.exists():
                    raise StoreError(
                        f"database file does not exist: {self.path}. "
                        "Create it with `python -m recsys_core sample` or an import."
                    )
                self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                conn = duckdb.connect(
                    str(self.path),
                    read_only=self.read_only,
                    config={"threads": self.config.threads, "memory_limit": self.config.memory_limit},
                )
            except duckdb.IOException as exc:
                if "lock" in str(exc).lower():
                    raise _explain_lock(self.path, exc) from None
                hint = (f" The file {self.path}.wal beside it belongs to another copy of the database (a copied or "
                        "restored file keeps the old one's log): move that .wal file away and try again."
                        if "wal" in str(exc).lower() and Path(f"{self.path}.wal").exists() else "")
                raise StoreError(f"cannot open the database {self.path}: {exc}.{hint}") from None
            except duckdb.Error as exc:
                raise StoreError(
                    f"cannot open {self.path} as a DuckDB database: {exc}. "
                    "Is it a database file written by this tool?"
                ) from None
            try:
                _check_ours(conn, self.path, self.read_only)
            except StoreError:
                conn.close()
                raise
            self._conn = conn
        if not self.read_only:
            self.migrate()
        return self

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Store:
        return self.connect()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ cursors
    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._conn is None:
            self.connect()
        assert self._conn is not None
        return self._conn

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh cursor for one unit of work; safe to use from one thread."""
        cur = self.connection.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside BEGIN ... COMMIT; any exception rolls everything back. Transactions of
        one process run one after another."""
        if self.read_only:
            raise StoreError(f"the database {self.path} is open read-only; writing is not allowed")
        with self._write_lock, self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    # ------------------------------------------------------------------ schema
    def schema_version(self) -> int:
        with self.cursor() as cur:
            exists = cur.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
            ).fetchall()
            if not exists or not exists[0][0]:
                return 0
            row = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()
        return int(row[0][0]) if row else 0

    def migrate(self) -> list[int]:
        """Apply migrations newer than the recorded version, each in its own transaction.

        Returns:
            The versions applied now (empty when the schema was already current).
        """
        applied: list[int] = []
        with self.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
            )
        current = self.schema_version()
        for migration in load_migrations():
            if migration.version <= current:
                continue
            with self.transaction() as cur:
                cur.execute(migration.sql)
                cur.execute(
                    "INSERT INTO schema_version (version, name) VALUES (?, ?)",
                    [migration.version, migration.name],
                )
            _log.info("applied migration %03d_%s", migration.version, migration.name)
            applied.append(migration.version)
        return applied

    # ------------------------------------------------------------------ reads
    def data_version(self) -> int:
        """Id of the latest import; changes whenever the data changes."""
        with self.cursor() as cur:
            row = cur.execute("SELECT coalesce(max(import_id), 0) FROM imports").fetchall()
        return int(row[0][0]) if row else 0

    def info(self) -> StoreInfo:
        with self.cursor() as cur:
            row = cur.execute(
                "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM users),"
                " (SELECT count(*) FROM interactions), (SELECT count(*) FROM tags),"
                " (SELECT min(occurred_at) FROM interactions), (SELECT max(occurred_at) FROM interactions)"
            ).fetchall()[0]
        return StoreInfo(
            path=str(self.path),
            schema_version=self.schema_version(),
            data_version=self.data_version(),
            n_items=int(row[0]),
            n_users=int(row[1]),
            n_interactions=int(row[2]),
            n_tags=int(row[3]),
            first_event_at=row[4].isoformat() if row[4] is not None else None,
            last_event_at=row[5].isoformat() if row[5] is not None else None,
        )

    def is_empty(self) -> bool:
        """True when the database holds no items and no interactions (one cheap query)."""
        with self.cursor() as cur:
            row = cur.execute(
                "SELECT NOT EXISTS (SELECT 1 FROM items) AND NOT EXISTS (SELECT 1 FROM interactions)"
            ).fetchall()
        return bool(row[0][0])
