"""The interest hierarchy: a proper tree with labels, sizes from the data or from config."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_core.config import HierarchyConfig
from recsys_core.embeddings.hashing import HashingEmbedder
from recsys_core.interests.hierarchy import InterestHierarchy, choose_n_fine, keyword_labels

TOPICS = {
    "coffee": "espresso grinder beans roast",
    "tea": "green tea matcha kettle leaves",
    "hiking": "trail boots backpack hiking poles",
    "camping": "tent sleeping bag stove camping",
    "yoga": "yoga mat blocks stretching",
    "running": "running shoes marathon socks",
}


def _items(per_topic: int = 12) -> tuple[list[str], list[str], list[str]]:
    rng = np.random.default_rng(0)
    texts, ids, truth = [], [], []
    for topic, words in TOPICS.items():
        vocab = words.split()
        for j in range(per_topic):
            picked = rng.choice(vocab, size=4)
            texts.append(f"{topic} " + " ".join(picked))
            ids.append(f"{topic}-{j}")
            truth.append(topic)
    return texts, ids, truth


def test_hierarchy_is_a_tree_with_labels_and_representatives() -> None:
    texts, ids, truth = _items()
    emb = HashingEmbedder(128).encode(texts)
    h = InterestHierarchy(HierarchyConfig(n_fine=6, n_themes=3), seed=1).fit(emb, texts, ids)
    assert h.n_fine == 6 and h.n_themes == 3
    assert h.fine_of_item_.shape == (len(texts),)
    assert set(np.unique(h.theme_of_fine_)) == {0, 1, 2}
    # every item's theme is the theme of its fine interest
    np.testing.assert_array_equal(h.theme_of_item_, h.theme_of_fine_[h.fine_of_item_])
    nodes = h.nodes_
    assert (nodes["level"] == "fine").sum() == 6 and (nodes["level"] == "theme").sum() == 3
    assert nodes.loc[nodes["level"] == "fine", "size"].sum() == len(texts)
    assert all(lbl for lbl in nodes["label"])
    for reps in nodes["representatives"]:
        assert 1 <= len(reps) <= 5 and set(reps) <= set(ids)
    scores = h.score_against(truth, truth)
    assert scores["fine"].nmi > 0.8, scores  # the six topics are found


def test_fit_is_deterministic_for_a_seed() -> None:
    texts, ids, _ = _items()
    emb = HashingEmbedder(128).encode(texts)
    a = InterestHierarchy(seed=3).fit(emb, texts, ids)
    b = InterestHierarchy(seed=3).fit(emb, texts, ids)
    np.testing.assert_array_equal(a.fine_of_item_, b.fine_of_item_)
    np.testing.assert_array_equal(a.theme_of_fine_, b.theme_of_fine_)


def test_sizes_come_from_the_data_when_not_set() -> None:
    assert choose_n_fine(2400) == 49
    assert choose_n_fine(100_000) == 316
    assert choose_n_fine(10) == 4
    assert choose_n_fine(6) == 3  # never more than half the items
    texts, ids, _ = _items()
    h = InterestHierarchy(seed=0).fit(HashingEmbedder(128).encode(texts), texts, ids)
    assert 2 <= h.n_themes <= h.n_fine


def test_new_items_are_placed_under_the_nearest_fine_interest() -> None:
    texts, ids, _ = _items()
    e = HashingEmbedder(128)
    h = InterestHierarchy(HierarchyConfig(n_fine=6, n_themes=3), seed=1).fit(e.encode(texts), texts, ids)
    fine, theme = h.assign(e.encode([texts[0], texts[-1]]))
    assert fine[0] == h.fine_of_item_[0] and fine[1] == h.fine_of_item_[-1]
    assert theme[0] == h.theme_of_fine_[fine[0]]


def test_keyword_labels_prefer_words_specific_to_a_cluster() -> None:
    labels = keyword_labels(["espresso espresso grinder shop", "tent tent stove shop"], 2)
    assert labels[0][0] == "espresso" and labels[1][0] == "tent"
    assert "shop" not in labels[0][:1]


def test_config_rejects_impossible_sizes() -> None:
    with pytest.raises(ValueError):
        HierarchyConfig(n_fine=3, n_themes=5)
