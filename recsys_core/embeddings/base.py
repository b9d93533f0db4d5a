"""The Embedder protocol every text encoder follows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, so cosine similarity is a dot product."""

    @property
    def name(self) -> str:
        """Identifies the model; stored beside every vector."""
        ...

    @property
    def dim(self) -> int: ...

    def encode(
        self, texts: Sequence[str], on_progress: Callable[[int, int], None] | None = None
    ) -> npt.NDArray[np.float32]:
        """Embed ``texts``; returns shape ``(len(texts), dim)``, rows of unit length."""
        ...
