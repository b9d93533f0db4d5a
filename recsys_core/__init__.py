"""recsys_core: the engine of the interest explorer.

Importable without Streamlit and without torch: heavy libraries load lazily inside the
functions that need them. Public entry points are re-exported here.
"""

from __future__ import annotations

from recsys_core.config import RecsysConfig
from recsys_core.errors import (
    ImportProblem,
    ImportValidationError,
    RecsysError,
    StoreError,
    StoreLockedError,
)

__all__ = [
    "ImportProblem",
    "ImportValidationError",
    "RecsysConfig",
    "RecsysError",
    "StoreError",
    "StoreLockedError",
]
__version__ = "0.1.0"
