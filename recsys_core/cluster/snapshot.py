"""The store's tables as Parquet files, and a store filled from them.

A cluster's workers cannot open the DuckDB file (one process owns it, and it may not be on
their disk), so a job ships a snapshot: every table written by DuckDB's own ``COPY ... TO``
inside one transaction, so the files agree with each other. A worker makes an in-memory store
with the same migrations and loads the files back: it then runs the engine as on the app's
machine.
"""

from __future__ import annotations

import json
from pathlib import Path

from recsys_core.data.store import Store
from recsys_core.errors import StoreError

_MANIFEST = "snapshot.json"


def _tables(store: Store) -> list[str]:
    with store.cursor() as cur:
        rows = cur.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                           "AND table_name <> 'schema_version' ORDER BY table_name").fetchall()
    return [str(r[0]) for r in rows]


def write_snapshot(store: Store, folder: Path, skip: tuple[str, ...] = ()) -> Path:
    """Write every table of ``store`` (but ``skip``) to ``folder/<table>.parquet``, all read in
    one transaction, and a manifest with the schema version. Returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = [t for t in _tables(store) if t not in skip]
    with store.cursor() as cur:
        cur.execute("BEGIN TRANSACTION")
        try:
            for table in tables:
                target = str(folder / f"{table}.parquet").replace("'", "''")
                cur.execute(f"COPY (SELECT * FROM \"{table}\") TO '{target}' (FORMAT parquet)")
        finally:
            cur.execute("ROLLBACK")  # read only: nothing to keep
    (folder / _MANIFEST).write_text(json.dumps({"schema_version": store.schema_version(), "tables": tables}))
    return folder


def load_snapshot(store: Store, folder: Path) -> None:
    """Fill an empty, migrated ``store`` from a snapshot folder, in one transaction.

    Raises:
        StoreError: The snapshot is missing, or was written by another schema version.
    """
    manifest = folder / _MANIFEST
    if not manifest.is_file():
        raise StoreError(f"no store snapshot in {folder} (the cluster's workers must see the shared folder)")
    meta = json.loads(manifest.read_text())
    if int(meta["schema_version"]) != store.schema_version():
        raise StoreError(f"the snapshot in {folder} has schema version {meta['schema_version']}, this code "
                         f"{store.schema_version()}: install the same version of the project on every node")
    with store.transaction() as cur:
        for table in meta["tables"]:
            source = str(folder / f"{table}.parquet").replace("'", "''")
            cur.execute(f"INSERT INTO \"{table}\" SELECT * FROM read_parquet('{source}')")
