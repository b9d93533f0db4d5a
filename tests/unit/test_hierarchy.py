"""The interest hierarchy: a proper tree with labels, sizes from the data or from config."""

from __future__ import annotations

import numpy as np
import pandas as pd
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


def _snapshot(titles: list[str], categories: list[str | None], events: pd.DataFrame):  # noqa: ANN202
    from recsys_core.embeddings.features import text_only_features
    from recsys_core.training import Snapshot

    e = HashingEmbedder(128)
    catalogue = pd.DataFrame({"item_id": [f"i{k:03d}" for k in range(len(titles))], "title": titles,
                              "text": [None] * len(titles), "category": categories})
    catalogue["embed_text"] = catalogue["title"]
    text = e.encode(titles)

    class Feats:
        pass

    feats = Feats()
    feats.text = text  # type: ignore[attr-defined]
    feats.features = text_only_features(text)  # type: ignore[attr-defined]
    return Snapshot(1, catalogue, feats, events, e.encode)  # type: ignore[arg-type]


def test_a_catalogue_without_events_or_text_beyond_titles_still_gets_a_hierarchy() -> None:
    from recsys_core.config import RecsysConfig
    from recsys_core.interests.sequences import build_sequences
    from recsys_core.training import build_hierarchy

    texts, _, _ = _items()
    no_events = pd.DataFrame(columns=["user_id", "item_id", "occurred_at", "event_type"])
    snap = _snapshot(texts, [None] * len(texts), no_events)
    h = build_hierarchy(RecsysConfig(), snap, build_sequences(no_events, snap.item_index()))
    assert h.space_info_["blocks"] == ["text"]
    assert 2 <= h.n_themes <= h.n_fine // 3 + 1 and h.fine_of_item_.shape == (len(texts),)
    assert all(isinstance(lbl, str) and lbl for lbl in h.nodes_["label"])
    h2 = build_hierarchy(RecsysConfig(), snap, None)
    np.testing.assert_array_equal(h.fine_of_item_, h2.fine_of_item_)


def test_behaviour_and_categories_enter_the_hierarchy_and_the_blend_repeats_for_a_seed() -> None:
    from recsys_core.config import RecsysConfig
    from recsys_core.interests.sequences import build_sequences
    from recsys_core.training import build_hierarchy

    texts, ids, truth = _items()
    rng = np.random.default_rng(0)
    topics = sorted(set(truth))
    rows = []
    for u in range(300):  # each user stays inside one topic
        topic = topics[u % len(topics)]
        members = [k for k, t in enumerate(truth) if t == topic]
        for step, k in enumerate(rng.choice(members, size=6, replace=False)):
            rows.append((f"u{u}", f"i{k:03d}", pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=step), "view"))
    events = pd.DataFrame(rows, columns=["user_id", "item_id", "occurred_at", "event_type"])
    snap = _snapshot(texts, [t.title() for t in truth], events)
    seqs = build_sequences(events, snap.item_index())
    a = build_hierarchy(RecsysConfig(seed=5), snap, seqs)
    b = build_hierarchy(RecsysConfig(seed=5), snap, seqs)
    assert set(a.space_info_["blocks"]) >= {"text", "collab"}
    np.testing.assert_array_equal(a.item_vectors_, b.item_vectors_)
    np.testing.assert_array_equal(a.fine_of_item_, b.fine_of_item_)
    assert list(a.nodes_["label"]) == list(b.nodes_["label"])
    assert a.score_against(truth, truth)["fine"].nmi > 0.8
    # labels come from the shared category, not from title words
    fine_labels = a.nodes_[a.nodes_["level"] == "fine"]["label"].tolist()
    assert all(lbl.split(" · ")[0] in {t.title() for t in topics} for lbl in fine_labels)
