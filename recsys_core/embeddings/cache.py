"""Embeddings cached in DuckDB, keyed by (model, SHA-1 of the text).

A rebuild asks for all texts again; only the ones never embedded with this model go to the
encoder. Vectors are stored L2-normalised as float32 lists.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from recsys_core.data.store import Store
from recsys_core.embeddings.base import Embedder

_log = logging.getLogger(__name__)


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def embed_cached(
    store: Store,
    embedder: Embedder,
    texts: Sequence[str],
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[npt.NDArray[np.float32], int]:
    """Vectors for ``texts`` (duplicates allowed), embedding only those not cached yet.

    Args:
        store: Where vectors are cached; written to unless it is read-only.
        embedder: The encoder; its ``name`` is part of the cache key.
        texts: Texts to embed.
        on_progress: Called with (done, total) over the texts that need the encoder.

    Returns:
        ``(vectors, n_new)``: shape ``(len(texts), dim)`` rows of unit length, and how many
        distinct texts went to the encoder.
    """
    hashes = [text_hash(t) for t in texts]
    unique = dict(zip(hashes, texts, strict=True))
    wanted = pa.table({"text_hash": pa.array(list(unique), pa.string())})
    with store.cursor() as cur:
        cur.register("wanted", wanted)
        try:
            table = cur.sql(
                "SELECT e.text_hash, e.vector FROM text_embeddings e JOIN wanted w USING (text_hash) "
                "WHERE e.model = ?",
                params=[embedder.name],
            ).to_arrow_table()
        finally:
            cur.unregister("wanted")
    found: dict[str, int] = {h: k for k, h in enumerate(table.column("text_hash").to_pylist())}
    cached = _vectors(table.column("vector"))
    missing = [h for h in unique if h not in found]
    fresh = np.zeros((0, cached.shape[1] if len(found) else 0), np.float32)
    if missing:
        _log.info("embedding %d new texts with %s (%d cached)", len(missing), embedder.name, len(found))
        fresh = embedder.encode([unique[h] for h in missing], on_progress=on_progress).astype(np.float32)
        if not store.read_only:
            dim = fresh.shape[1]
            rows = pa.table({"text_hash": pa.array(missing, pa.string()),
                             "vector": pa.FixedSizeListArray.from_arrays(pa.array(fresh.ravel()), dim)})
            with store.transaction() as cur:
                cur.register("fresh", rows)
                try:
                    cur.execute(
                        "INSERT OR REPLACE INTO text_embeddings (model, text_hash, vector) "
                        "SELECT ?, text_hash, vector::FLOAT[] FROM fresh",
                        [embedder.name],
                    )
                finally:
                    cur.unregister("fresh")
    elif on_progress is not None:
        on_progress(0, 0)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32), 0
    dim = fresh.shape[1] if missing else cached.shape[1]
    pool = np.concatenate([cached.reshape(-1, dim), fresh.reshape(-1, dim)]) if missing else cached
    offset = len(found)
    row_of = {**found, **{h: offset + k for k, h in enumerate(missing)}}
    return pool[np.fromiter((row_of[h] for h in hashes), dtype=np.int64, count=len(hashes))], len(missing)


def _vectors(column: pa.ChunkedArray) -> npt.NDArray[np.float32]:
    """A list<float> Arrow column as a (rows, dim) array, without Python floats in between."""
    if len(column) == 0:
        return np.zeros((0, 0), np.float32)
    flat = column.combine_chunks().flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return flat.reshape(len(column), -1)
