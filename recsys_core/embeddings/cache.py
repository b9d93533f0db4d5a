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
import pandas as pd

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
    wanted = pd.DataFrame({"text_hash": list(unique)})
    with store.cursor() as cur:
        cur.register("wanted", wanted)
        try:
            rows = cur.execute(
                "SELECT e.text_hash, e.vector FROM text_embeddings e JOIN wanted w USING (text_hash) "
                "WHERE e.model = ?",
                [embedder.name],
            ).fetchall()
        finally:
            cur.unregister("wanted")
    found: dict[str, npt.NDArray[np.float32]] = {h: np.asarray(v, dtype=np.float32) for h, v in rows}
    missing = [h for h in unique if h not in found]
    if missing:
        _log.info("embedding %d new texts with %s (%d cached)", len(missing), embedder.name, len(found))
        vecs = embedder.encode([unique[h] for h in missing], on_progress=on_progress)
        for h, v in zip(missing, vecs, strict=True):
            found[h] = v
        if not store.read_only:
            frame = pd.DataFrame({"text_hash": missing, "vector": [v.tolist() for v in vecs]})
            with store.transaction() as cur:
                cur.register("fresh", frame)
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
    return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False), len(missing)
