"""Descriptor labels: what an interest's members share, never a name or code from one or two titles."""

from __future__ import annotations

import numpy as np

from recsys_core.interests.labels import descriptor_labels, item_descriptors, most_distinct, short_title, year_of


def _catalogue() -> tuple[list[str], list[str | None], list[str | None], np.ndarray]:
    titles, texts, cats, node = [], [], [], []
    for k in range(6):  # node 0: 1980s horror films, one with a unique proper name in its title
        titles.append(f"Night of the Dead {k} (198{k})" if k else "Zorblax Returns (1984)")
        texts.append(None)
        cats.append("Horror|Thriller")
        node.append(0)
    for k in range(6):  # node 1: kitchen knives with product codes
        titles.append(f"Chef Knife DCL-00{k}5")
        texts.append("A sharp steel chef knife for the kitchen.")
        cats.append("Home > Kitchen > Knives")
        node.append(1)
    for k in range(6):  # node 2: romantic comedies of the 1990s
        titles.append(f"Love in Paris {k} (199{k})")
        texts.append(None)
        cats.append("Comedy|Romance")
        node.append(2)
    return titles, texts, cats, np.array(node, dtype=np.int64)


def test_labels_name_shared_categories_and_decades_in_the_catalogues_spelling() -> None:
    titles, texts, cats, node = _catalogue()
    labels = descriptor_labels(item_descriptors(titles, texts, cats), node, 3)
    assert labels[0].label is not None and labels[0].label.startswith("Horror · Thriller · 1980s")
    assert labels[1].label is not None and labels[1].label.startswith("Knives")  # the deepest shared path segment
    assert "Kitchen" not in labels[1].label.split(" · ")[:1]  # never a path and its own prefix first
    assert labels[2].label is not None and "1990s" in labels[2].label and "Comedy" in labels[2].label


def test_a_name_or_code_from_one_or_two_titles_is_never_a_descriptor() -> None:
    titles, texts, cats, node = _catalogue()
    desc = item_descriptors(titles, texts, cats)
    assert "zorblax" not in desc.names  # one title
    assert not any(any(ch.isdigit() for ch in name) and not name.endswith("0s") for name in desc.names)
    for lab in descriptor_labels(desc, node, 3):
        assert lab.label is not None and "zorblax" not in lab.label.lower() and "dcl" not in lab.label.lower()
        for cand in lab.candidates:
            assert "zorblax" not in cand.lower()


def test_a_label_never_says_a_word_twice() -> None:
    titles = [f"Book {k}" for k in range(8)] + [f"Tent {k}" for k in range(8)]
    texts = ["A children's book."] * 8 + ["A camping tent."] * 8
    labels = descriptor_labels(item_descriptors(titles, texts, ["Books"] * 8 + ["Outdoors"] * 8),
                               np.repeat(np.arange(2), 8), 2)
    assert labels[0].label is not None and labels[0].label.startswith("Books")
    words = [w.lower().rstrip("s") for w in labels[0].label.replace("·", " ").split()]  # type: ignore[union-attr]
    assert len(words) == len(set(words))


def test_years_come_from_an_attribute_or_the_end_of_the_title() -> None:
    assert year_of("Heat (1995)") == 1995
    assert year_of("1984 (1956)") == 1956
    assert year_of("Blade Runner 2049") is None
    assert year_of("Anything", {"year": 2012}) == 2012


def test_the_most_distinct_candidate_wins_and_the_rule_label_wins_ties() -> None:
    vocab = {"A": [1.0, 0.0, 0.0], "A · x": [0.6, 0.8, 0.0], "A · y": [0.6, 0.0, 0.8], "B": [0.0, 0.0, 1.0]}

    def embed(texts: list[str]) -> np.ndarray:
        return np.array([vocab[t] for t in texts], dtype=np.float32)

    # both nodes are "A" by the rule; their members differ along x and y
    centroids = np.array([[0.6, 0.8, 0.0], [0.6, 0.0, 0.8]], dtype=np.float32)
    chosen = most_distinct([["A", "A · x", "A · y"], ["A", "A · x", "A · y"]], centroids, embed)
    assert chosen == ["A · x", "A · y"]
    # a candidate that does not tell the nodes apart better leaves the rule's label
    assert most_distinct([["B", "B"], []], np.array([[0, 0, 1], [1, 0, 0]], np.float32), embed) == ["B", None]


def test_two_interests_never_share_a_label() -> None:
    def embed(texts: list[str]) -> np.ndarray:
        return np.array([[1.0, 0.0] if t == "A" else [0.7, 0.7] for t in texts], dtype=np.float32)

    centroids = np.array([[1.0, 0.0], [0.9, 0.1]], dtype=np.float32)
    chosen = most_distinct([["A", "A · x"], ["A", "A · x"]], centroids, embed)
    assert chosen[0] != chosen[1] and set(chosen) == {"A", "A · x"}
    alone = most_distinct([["A"], ["A"]], centroids, embed)
    assert alone[0] == "A" and alone[1] == "A (1)"
    # with a member to point at, the second says which one it is like instead of its number
    like = most_distinct([["A"], ["A"]], centroids, embed, exemplars=["Heat (1995)", "Fargo (1996)"])
    assert like == ["A", "A · like Fargo (1996)"]
    assert short_title("Bicycle Thieves (a.k.a. The Bicycle Thief) (Ladri di biciclette) (1948)") == "Bicycle Thieves (1948)"
    assert short_title("Heat (1995)") == "Heat (1995)" and len(short_title("x" * 200)) == 60


def test_candidates_combine_a_nodes_descriptors_and_the_simplest_distinct_one_wins() -> None:
    titles, texts, cats, node = _catalogue()
    described = descriptor_labels(item_descriptors(titles, texts, cats), node, 3)
    horror = described[0].candidates
    assert horror[0] == described[0].label  # the rule's label first, simpler candidates before longer ones
    assert any(c.count(" · ") == 2 for c in horror)  # combinations of three descriptors
    for cands in (d.candidates for d in described):
        for c in cands:  # never two decades, never a path with its own prefix, never a word twice
            parts = c.split(" · ")
            assert sum(p.endswith("0s") and p[:-2].isdigit() for p in parts) <= 1, c
            assert not {"Home", "Kitchen"} <= set(parts) and len(parts) == len(set(parts)), c
    vocab = {"A": [1.0, 0.0, 0.0], "A · x": [0.6, 0.8, 0.0], "A · x · z": [0.5, 0.86, 0.0]}

    def embed(texts: list[str]) -> np.ndarray:
        return np.array([vocab[t] for t in texts], dtype=np.float32)

    centroids = np.array([[0.6, 0.8, 0.0], [0.9, 0.0, 0.43]], dtype=np.float32)
    # "A" sits nearer the other node; "A · x" is already nearer its own: the longer one is not needed
    assert most_distinct([["A", "A · x", "A · x · z"], []], centroids, embed)[0] == "A · x"


def test_no_candidate_names_what_few_members_have() -> None:
    """A title word of 3 dramas in 40 tells the node apart (it is nowhere else) but is not what
    its members share: no candidate label may carry it, however distinct it would make the node."""
    titles = [f"Harbour Tale {k} (199{k % 10})" if k < 3 else f"Quiet Story {k} (199{k % 10})" for k in range(40)]
    titles += [f"Loud Farce {k} (198{k % 10})" for k in range(40)]
    cats = ["Drama"] * 40 + ["Comedy"] * 40
    node = np.array([0] * 40 + [1] * 40, dtype=np.int64)
    described = descriptor_labels(item_descriptors(titles, [None] * 80, cats), node, 2)
    assert described[0].candidates and not any("harbour" in c for c in described[0].candidates)
    assert any("quiet" in c for c in described[0].candidates)  # 37 of 40 members: it may name them
