"""Load the shipped sample dataset (``sample_data/``) into a store."""

from __future__ import annotations

from pathlib import Path

from recsys_core.data.importers import ImportReport, Progress, import_files
from recsys_core.data.store import Store
from recsys_core.errors import RecsysError


def load_sample(
    store: Store, folder: str | Path, replace: bool = True, on_progress: Progress | None = None
) -> ImportReport:
    """Import ``items.csv``, ``interactions.csv`` and ``users.csv`` from ``folder``.

    Args:
        store: A writable store.
        folder: The sample folder (``RecsysConfig.sample_dir``).
        replace: Replace whatever the database holds, in the same transaction.
        on_progress: Progress callback (stage, fraction).
    """
    folder = Path(folder)
    if not (folder / "items.csv").exists():
        raise RecsysError(
            f"no sample data in {folder}; regenerate it with `python -m recsys_core generate-sample`"
        )
    return import_files(
        store,
        items=folder / "items.csv",
        interactions=folder / "interactions.csv",
        users=folder / "users.csv",
        kind="sample",
        replace=replace,
        on_progress=on_progress,
    )
