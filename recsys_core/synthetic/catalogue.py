"""Generate a synthetic shop catalogue with a planted theme -> fine interest -> item taxonomy.

The generator writes varied, natural-sounding product titles and one-to-three-sentence
descriptions from the phrase banks in :mod:`recsys_core.synthetic.vocabulary`. Words of
each fine interest dominate its items' texts, theme-level phrases tie fine interests of one
theme together, and a share of descriptions borrow a use phrase from a related interest so
neighbouring interests overlap as they do in a real shop. Deterministic given the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.errors import InvalidArgumentError
from recsys_core.synthetic import vocabulary as vocab


@dataclass(frozen=True, slots=True)
class Product:
    """One product type of a fine interest, with words that are true of it."""

    noun: str
    department: str
    adjectives: tuple[str, ...]
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FineInterest:
    """One planted fine interest with its parsed phrase banks."""

    key: str
    theme: str
    label: str
    products: tuple[Product, ...]
    uses: tuple[str, ...]
    profile_phrases: tuple[str, ...]
    related: tuple[str, ...]


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|") if part.strip())


def load_taxonomy() -> list[FineInterest]:
    """Parse the phrase banks into :class:`FineInterest` records, in a stable order."""
    out = []
    for key, (theme, label, products, uses, profile, related) in vocab.FINE_INTERESTS.items():
        parsed = []
        for line in products.strip().splitlines():
            noun, dept, adjs, feats = (part.strip() for part in line.split("|"))
            parsed.append(
                Product(
                    noun=noun,
                    department=dept,
                    adjectives=tuple(a.strip() for a in adjs.split(",")),
                    features=tuple(f.strip() for f in feats.split(";")),
                )
            )
        out.append(
            FineInterest(
                key=key,
                theme=theme,
                label=label,
                products=tuple(parsed),
                uses=_split(uses),
                profile_phrases=_split(profile),
                related=_split(related),
            )
        )
    return out


def _article(word: str) -> str:
    return "An" if word[:1].lower() in "aeiou" else "A"


def _is_plural(noun: str) -> bool:
    return noun.endswith("s") and not noun.endswith("ss")


def _noun_phrase(adjs: str, noun: str) -> str:
    """'A sturdy kettlebell' / 'Sturdy hiking boots': English articles for the opening sentence."""
    if _is_plural(noun):
        return f"{adjs[:1].upper()}{adjs[1:]} {noun}"
    return f"{_article(adjs)} {adjs} {noun}"


def _title_case(text: str) -> str:
    small = {"and", "of", "for", "with", "the", "a", "an", "to", "in", "on"}
    words = text.split(" ")
    return " ".join(w if (i and w in small) or w[:1].isupper() else w[:1].upper() + w[1:] for i, w in enumerate(words))


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


_USE_LEADS = ("Made", "Ideal", "Designed", "Perfect", "Great", "Built", "Chosen by our team")


def _book_item(rng: np.random.Generator, fi: FineInterest) -> tuple[str, str, str, str, str]:
    first, second = (_split(s) for s in vocab.BOOK_TITLE_WORDS[fi.key])
    a, b = _pick(rng, first), _pick(rng, second)
    pattern = int(rng.integers(4))
    if pattern == 0:
        title = f"The {a} {b}"
    elif pattern == 1:
        title = f"{b} of the {a}"
    elif pattern == 2:
        title = f"The {a} {b}: A Novel" if fi.key in ("crime", "scifi", "fantasy") else f"The {b} Book"
    else:
        title = f"{a} {b}"
    product = fi.products[int(rng.integers(len(fi.products)))]
    author = f"{_pick(rng, vocab.FIRST_NAMES)} {_pick(rng, vocab.AUTHOR_SURNAMES)}"
    adj = _pick(rng, product.adjectives)
    sentences = [f"{_noun_phrase(adj, product.noun)} {_pick(rng, product.features)}."]
    if rng.random() < 0.7:
        sentences.append(f"By {author}, {_pick(rng, fi.uses)}.")
    return title, product.department, " ".join(sentences), product.noun, ""


def _product_item(rng: np.random.Generator, fi: FineInterest) -> tuple[str, str, str, str, str]:
    product = fi.products[int(rng.integers(len(fi.products)))]
    noun = product.noun
    brand = _pick(rng, vocab.BRANDS)
    model = _pick(rng, vocab.MODEL_WORDS)
    adj = _pick(rng, product.adjectives)
    pattern = int(rng.integers(5))
    if pattern == 0:
        title = f"{brand} {model} {_title_case(noun)}"
    elif pattern == 1:
        title = f"{_title_case(adj)} {_title_case(noun)} by {brand}"
    elif pattern == 2:
        variants = {"Food & Drink": vocab.PACK_SIZES, "Books": vocab.BOOK_EDITIONS}.get(product.department, vocab.FINISHES)
        title = f"{brand} {_title_case(noun)} ({_pick(rng, variants)})"
    elif pattern == 3:
        title = f"{_title_case(noun)} - {model} {int(rng.integers(2, 9))}"
    else:
        title = f"{brand} {_title_case(adj)} {_title_case(noun)}"
    adj2 = _pick(rng, product.adjectives)
    adjs = adj if adj2 == adj or rng.random() < 0.5 else f"{adj}, {adj2}"
    sentences = [f"{_noun_phrase(adjs, noun)} {_pick(rng, product.features)}."]
    n_more = int(rng.choice([0, 1, 2], p=[0.2, 0.45, 0.35]))
    if n_more >= 1:
        use = _pick(rng, fi.uses)
        sentences.append(f"{_pick(rng, _USE_LEADS)} {use}.")
    if n_more >= 2:
        if rng.random() < 0.6:
            phrase = _pick(rng, _split(vocab.THEME_PHRASES[fi.theme]))
            sentences.append(phrase[:1].upper() + phrase[1:] + ".")
        else:
            sentences.append(_pick(rng, vocab.GENERIC_SENTENCES))
    return title, product.department, " ".join(sentences), noun, brand


def _leak_related(
    rng: np.random.Generator, text: str, fi: FineInterest, by_key: dict[str, FineInterest]
) -> str:
    """Add a use phrase from a related interest: the realistic overlap between neighbours."""
    other = by_key[_pick(rng, fi.related)]
    return f"{text} Also good {_pick(rng, other.uses)}."


def generate_catalogue(n_items: int = 2400, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate items and their planted truth.

    Args:
        n_items: Number of items; fine interests get uneven shares (at least 15 each).
        seed: Seed; the output is a pure function of ``(n_items, seed)``.

    Returns:
        ``(items, truth)``. ``items`` has columns item_id, title, description, category,
        brand, price. ``truth`` has item_id, fine_interest, fine_interest_label, theme,
        theme_label, product_type, popularity (the relative weight users pick the item with).
    """
    rng = np.random.default_rng(seed)
    taxonomy = load_taxonomy()
    if n_items < 15 * len(taxonomy):
        raise InvalidArgumentError(f"the sample catalogue needs at least {15 * len(taxonomy)} items "
                         f"(15 per fine interest), got {n_items}")
    by_key = {fi.key: fi for fi in taxonomy}
    shares = rng.lognormal(0.0, 0.45, size=len(taxonomy))
    sizes = np.maximum(15, np.floor(shares / shares.sum() * n_items)).astype(int)
    while sizes.sum() > n_items and sizes.max() > 15:
        sizes[int(np.argmax(sizes))] -= 1
    sizes[int(rng.integers(len(sizes)))] += n_items - int(sizes.sum())

    rows: list[dict[str, object]] = []
    truth: list[dict[str, object]] = []
    for fi, size in zip(taxonomy, sizes, strict=True):
        # Popularity within an interest follows a Zipf-like law over a shuffled order.
        ranks = rng.permutation(size) + 1
        popularity = 1.0 / ranks**1.1
        for j in range(size):
            if fi.theme == "reading":
                title, dept, text, noun, brand = _book_item(rng, fi)
            else:
                title, dept, text, noun, brand = _product_item(rng, fi)
            if fi.related and rng.random() < 0.18:
                text = _leak_related(rng, text, fi, by_key)
            price = float(np.round(np.exp(rng.normal(3.4, 0.8)), 2))
            item_id = ""  # numbered after shuffling
            rows.append(
                {
                    "item_id": item_id,
                    "title": title,
                    "description": text,
                    "category": dept,
                    "brand": brand,
                    "price": price,
                }
            )
            truth.append(
                {
                    "item_id": item_id,
                    "fine_interest": fi.key,
                    "fine_interest_label": fi.label,
                    "theme": fi.theme,
                    "theme_label": vocab.THEMES[fi.theme],
                    "product_type": noun,
                    "popularity": float(popularity[j]),
                }
            )
    items = pd.DataFrame(rows)
    truth_df = pd.DataFrame(truth)
    # Shuffle, then number: ids and file order say nothing about the planted interest.
    order = rng.permutation(len(items))
    items = items.iloc[order].reset_index(drop=True)
    truth_df = truth_df.iloc[order].reset_index(drop=True)
    ids = [f"P{n:05d}" for n in range(1, len(items) + 1)]
    items["item_id"] = ids
    truth_df["item_id"] = ids
    return items, truth_df
