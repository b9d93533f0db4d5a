"""Item text features for the interest model: the item's own text and what reviewers said.

Feature row = [text vector, review vector] (review part zero for items without reviews or
tags), so a new item with only a text is scored with the same projection as every other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.data.store import Store
from recsys_core.embeddings.base import Embedder
from recsys_core.embeddings.cache import embed_cached


@dataclass(frozen=True, slots=True)
class ItemFeatures:
    """``text`` (n, dim) unit text vectors; ``features`` (n, 2 * dim) model input; ``n_new``
    texts that had to be embedded (the rest came from the cache)."""

    text: npt.NDArray[np.float32]
    features: npt.NDArray[np.float32]
    n_new: int


def item_features(
    store: Store,
    embedder: Embedder,
    catalogue: pd.DataFrame,
    reviews: pd.DataFrame | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ItemFeatures:
    """Embed (through the cache) the catalogue's texts and, where present, review texts.

    Args:
        catalogue: item_id and embed_text, in model order.
        reviews: item_id and reviews (joined texts), any order; None = no review part.
    """
    text, n_new = embed_cached(store, embedder, catalogue["embed_text"].tolist(), on_progress)
    review_part = np.zeros_like(text)
    if reviews is not None and not reviews.empty:
        joined = catalogue[["item_id"]].merge(reviews, on="item_id", how="left")
        has = joined["reviews"].notna().to_numpy()
        if has.any():
            vecs, n_more = embed_cached(store, embedder, joined.loc[has, "reviews"].astype(str).tolist(), on_progress)
            review_part[has] = vecs
            n_new += n_more
    return ItemFeatures(text, np.concatenate([text, review_part], axis=1), n_new)


def text_only_features(text: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Model input for texts that have no review part (new items, profile texts)."""
    return np.concatenate([text, np.zeros_like(text)], axis=1)
