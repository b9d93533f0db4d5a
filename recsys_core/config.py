"""Typed configuration of the whole engine: one frozen dataclass tree.

Every knob lives here, nowhere else. Configs are hashable and picklable, so the Streamlit
side can pass them straight into cached functions. Build with :meth:`RecsysConfig.from_env`
and vary with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = Path("data") / "recsys.duckdb"
DEFAULT_SAMPLE_DIR = PROJECT_ROOT / "sample_data"


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """Where the database lives and how DuckDB may use the machine."""

    db_path: Path = DEFAULT_DB_PATH
    threads: int = 2
    memory_limit: str = "4GB"

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise ValueError(f"StoreConfig.threads must be >= 1, got {self.threads}")


@dataclass(frozen=True, slots=True)
class ImportConfig:
    """Limits applied to every imported file."""

    max_field_bytes: int = 1_000_000  # a single cell larger than this is refused
    max_problems: int = 200  # problems listed in a validation report

    def __post_init__(self) -> None:
        if self.max_field_bytes < 1_000:
            raise ValueError("ImportConfig.max_field_bytes must be at least 1000")


@dataclass(frozen=True, slots=True)
class RecsysConfig:
    """Root of the configuration tree."""

    store: StoreConfig = field(default_factory=StoreConfig)
    imports: ImportConfig = field(default_factory=ImportConfig)
    sample_dir: Path = DEFAULT_SAMPLE_DIR
    seed: int = 42
    torch_threads: int = 2

    @property
    def db_path(self) -> Path:
        return self.store.db_path

    def with_db(self, path: str | os.PathLike[str]) -> RecsysConfig:
        """Return a copy that points at another database file."""
        return replace(self, store=replace(self.store, db_path=Path(path)))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> RecsysConfig:
        """Build the default config, overridden by ``RECSYS_*`` environment variables.

        Recognised: ``RECSYS_DB`` (database file), ``RECSYS_SAMPLE_DIR``, ``RECSYS_SEED``,
        ``RECSYS_THREADS`` (DuckDB and torch threads).
        """
        env = os.environ if environ is None else environ
        cfg = cls()
        if env.get("RECSYS_DB"):
            cfg = cfg.with_db(env["RECSYS_DB"])
        if env.get("RECSYS_SAMPLE_DIR"):
            cfg = replace(cfg, sample_dir=Path(env["RECSYS_SAMPLE_DIR"]))
        if env.get("RECSYS_SEED"):
            cfg = replace(cfg, seed=int(env["RECSYS_SEED"]))
        if env.get("RECSYS_THREADS"):
            n = int(env["RECSYS_THREADS"])
            cfg = replace(cfg, torch_threads=n, store=replace(cfg.store, threads=n))
        return cfg
