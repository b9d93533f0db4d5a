"""The embedding cache embeds each (model, text) once; the hashing embedder is well-formed."""

from __future__ import annotations

import numpy as np

from recsys_core.data.store import Store
from recsys_core.embeddings.cache import embed_cached
from recsys_core.embeddings.hashing import HashingEmbedder


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__(32)
        self.seen: list[str] = []

    def encode(self, texts, on_progress=None):  # type: ignore[no-untyped-def]
        self.seen.extend(texts)
        return super().encode(texts, on_progress)


def test_hashing_embedder_is_unit_length_and_deterministic() -> None:
    e = HashingEmbedder(64)
    a = e.encode(["red running shoes", "red running shoes", ""])
    assert a.shape == (3, 64) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(a[0], a[1])
    b = e.encode(["red running shoes", "espresso machine"])
    assert float(b[0] @ a[0]) > float(b[1] @ a[0])


def test_rebuild_embeds_only_new_or_changed_texts(store: Store) -> None:
    e = CountingEmbedder()
    first, n_new = embed_cached(store, e, ["tent", "stove", "tent"])
    assert n_new == 2 and sorted(e.seen) == ["stove", "tent"]
    e.seen.clear()
    again, n_new = embed_cached(store, e, ["stove", "tent", "lantern"])
    assert n_new == 1 and e.seen == ["lantern"]
    np.testing.assert_allclose(again[1], first[0], atol=1e-6)  # "tent" from the cache
    np.testing.assert_allclose(again[0], first[1], atol=1e-6)
    with store.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM text_embeddings").fetchall()[0][0] == 3


def test_cache_is_keyed_by_model(store: Store) -> None:
    embed_cached(store, HashingEmbedder(32), ["tent"])
    vecs, n_new = embed_cached(store, HashingEmbedder(16), ["tent"])
    assert n_new == 1 and vecs.shape == (1, 16)


def test_item_text_skips_missing_parts() -> None:
    from recsys_core.data.frames import item_text

    assert item_text("Heat (1995)", float("nan"), "Action|Crime") == "Heat (1995). Action, Crime"
    assert item_text("Tent", None, None) == "Tent"
    assert item_text("Tent", "Two person", "") == "Tent. Two person"
