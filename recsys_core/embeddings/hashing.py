"""A dependency-free embedder for fast tests and dry runs: hashed word and character n-grams.

Texts that share words get similar vectors, so clustering and nearest neighbours behave
sensibly on toy data. Deterministic; never used for the product's real figures.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"[a-z0-9]+")


class HashingEmbedder:
    """Feature-hashing bag of words and character trigrams, L2-normalised.

    Args:
        dim: Vector length.
    """

    def __init__(self, dim: int = 128) -> None:
        self._dim = dim

    @property
    def name(self) -> str:
        return f"hashing-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _features(self, text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        grams = [w[i : i + 3] for w in words if len(w) > 3 for i in range(len(w) - 2)]
        return words + words + grams  # words count double

    def encode(
        self, texts: Sequence[str], on_progress: Callable[[int, int], None] | None = None
    ) -> npt.NDArray[np.float32]:
        """Embed ``texts``; shape ``(len(texts), dim)``, rows of unit length (zero text -> e_0)."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self._features(text):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                h = int.from_bytes(digest, "little")
                out[row, h % self._dim] += 1.0 if (h >> 40) & 1 else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
            else:
                out[row, 0] = 1.0
        if on_progress is not None:
            on_progress(len(texts), len(texts))
        return out
