"""Which text encoder a configuration names: the packaged MiniLM, any sentence-transformers
folder or name, or ``hashing-N`` (deterministic, dependency-free, for dry runs and tests), run
by PyTorch or, with ``backend`` onnx / onnx-int8, by ONNX Runtime."""

from __future__ import annotations

from recsys_core.config import EmbeddingConfig
from recsys_core.embeddings.base import Embedder

_PACKAGED_ALIASES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")


def make_embedder(config: EmbeddingConfig, torch_threads: int) -> Embedder:
    """The configured encoder, created now and loaded on its first encode."""
    from recsys_core.embeddings.hashing import HashingEmbedder
    from recsys_core.embeddings.sentence import DEFAULT_MODEL, SentenceTransformerEmbedder

    if config.model.startswith("hashing-") and config.model[8:].isdigit():
        return HashingEmbedder(int(config.model[8:]))
    name = DEFAULT_MODEL if config.model in _PACKAGED_ALIASES else config.model  # the verified packaged copy
    if config.backend != "torch":
        from recsys_core.embeddings.onnx_backend import OnnxEmbedder

        return OnnxEmbedder(name, backend=config.backend, batch_size=config.onnx_batch_size, chunk_size=config.chunk_size,
                            threads=torch_threads)
    return SentenceTransformerEmbedder(name, batch_size=config.batch_size, chunk_size=config.chunk_size,
                                       torch_threads=torch_threads)
