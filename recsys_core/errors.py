"""Errors the engine raises on purpose, each with a message a person can act on.

The command line and the app show ``str(error)`` as it is, so messages name the file, row
and column, and say what to do.
"""

from __future__ import annotations

from dataclasses import dataclass


class RecsysError(Exception):
    """Base class of every error the engine raises deliberately."""


class StoreError(RecsysError):
    """The database could not be opened or used."""


class StoreLockedError(StoreError):
    """Another process holds the database file open for writing."""


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One problem found in an input file. ``row`` is 1-based (data rows, header excluded);
    ``more`` counts further rows with the same problem that are not listed one by one."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    more: int = 0

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        tail = f" (and the same in {self.more:,} more rows)" if self.more else ""
        return f"{where}: {self.message}{tail}"


def count_problems(problems: list[ImportProblem]) -> int:
    """Rows with a problem, the ones summed up in ``more`` included."""
    return sum(1 + p.more for p in problems)


class ImportValidationError(RecsysError):
    """Input files failed validation; nothing was written."""

    def __init__(self, problems: list[ImportProblem], total: int | None = None) -> None:
        self.problems = problems
        self.total = count_problems(problems) if total is None else total
        shown = "\n".join(f"  - {p}" for p in problems[:10])
        more = self.total - count_problems(problems[:10])
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"Import refused, the database was not changed. {self.total} problem(s):\n{shown}{tail}"
        )


class NotFittedError(RecsysError):
    """A model or hierarchy was used before it was built."""


class NotBuiltError(RecsysError):
    """The engine has no trained model yet; run the build first."""


class ModelFitError(RecsysError):
    """Training failed (for example the loss became NaN) or the data cannot train a model."""


class UnknownItemError(RecsysError):
    """An item id that is not in the catalogue."""


class InvalidArgumentError(RecsysError, ValueError):
    """A call's argument is out of range (alpha, list length, diversity)."""


class ConfigError(RecsysError, ValueError):
    """A setting (usually a ``RECSYS_*`` environment variable) has a value the engine cannot use."""
