"""The one way a model is trained: (store snapshot, config, seed, hold-out) -> a fitted model.

The build (what the app serves) and the evaluation (what is measured) both call
:func:`fit_model`, so they read the same features, build the same hierarchy and train the
same way; they differ only in what they hold out:

- the build holds out each user's newest item to choose the epoch count (early stopping)
  and serves states read from the whole history;
- the evaluation first holds out each user's newest item as the test, then the one before
  it for early stopping, and never trains on either.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.config import RecsysConfig
from recsys_core.data.frames import load_catalogue, load_review_texts
from recsys_core.data.histories import load_sequences
from recsys_core.data.store import Store
from recsys_core.embeddings.base import Embedder
from recsys_core.embeddings.cache import embed_cached
from recsys_core.embeddings.features import ItemFeatures, item_features
from recsys_core.errors import ModelFitError
from recsys_core.fusion import fuse
from recsys_core.interests.hierarchy import InterestHierarchy
from recsys_core.interests.item_space import build_item_vectors
from recsys_core.interests.labels import item_descriptors
from recsys_core.interests.links import Links, batch_link_scores, fit_link_parts, item_links
from recsys_core.interests.model import text_basis
from recsys_core.interests.sequences import HeldOut, Sequences, drop_last
from recsys_core.interests.train import EpochStats, train_interest_model
from recsys_core.metrics import ndcg_per_user, rank_of_targets

MIN_ITEMS = 4
MIN_VALIDATION_USERS = 10  # fewer held-out users give no usable early-stopping signal
MIN_TEST_USERS = 10


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a training run reads from the store, taken once: the catalogue in model order,
    its text features and every user's history over it."""

    data_version: int
    catalogue: pd.DataFrame  # item_id, title, text, category, embed_text
    features: ItemFeatures
    sequences: Sequences  # every user's distinct items, oldest first (rows of ``catalogue``)
    embed: Callable[[list[str]], np.ndarray]  # the sentence encoder, through the store's cache

    def item_index(self) -> dict[str, int]:
        return {str(i): k for k, i in enumerate(self.catalogue["item_id"])}


def take_snapshot(
    store: Store, embedder: Embedder, include_live: bool, what: str = "build",
    on_progress: Callable[[int, int], None] | None = None,
) -> Snapshot:
    """Read the catalogue and the histories and embed the texts (through the cache).

    Raises:
        ModelFitError: Fewer than 4 items (``what`` names the step in the message).
    """
    data_version = store.data_version()
    catalogue = load_catalogue(store)
    if len(catalogue) < MIN_ITEMS:
        raise ModelFitError(f"the catalogue has {len(catalogue)} items; at least {MIN_ITEMS} are needed to {what}")
    feats = item_features(store, embedder, catalogue, load_review_texts(store), on_progress=on_progress)
    sequences = load_sequences(store, catalogue["item_id"].astype(str).tolist(), include_live=include_live)
    return Snapshot(data_version, catalogue, feats, sequences,
                    lambda texts: embed_cached(store, embedder, texts)[0])


def build_hierarchy(config: RecsysConfig, snapshot: Snapshot, seqs: Sequences | None) -> InterestHierarchy:
    """The interest hierarchy of ``snapshot``'s items, from their text blended with the behaviour
    in ``seqs`` (what the model may read: never the items an evaluation tests on) and their
    categories, labelled by what members share. ``hierarchy.space_info_`` says how the blocks
    were weighted and why; ``hierarchy.item_vectors_`` holds the clustered vectors."""
    cfg = config.hierarchy
    cat = snapshot.catalogue
    text = snapshot.features.text
    categories = cat["category"].tolist()
    if cfg.blend_behaviour:
        vectors, info = build_item_vectors(text, categories, seqs, len(cat), dim=cfg.collab_dim, seed=config.seed)
    else:
        vectors, info = text, {"blocks": ["text"], "shares_from": "text only (blend_behaviour is off)"}
    descriptors = item_descriptors(cat["title"].tolist(), cat["text"].tolist(), categories)
    hierarchy = InterestHierarchy(cfg, seed=config.seed).fit(
        vectors, cat["embed_text"].tolist(), cat["item_id"].tolist(), text_vectors=text, descriptors=descriptors,
        embed=snapshot.embed, titles=cat["title"].astype(str).tolist(),
        popularity=None if seqs is None else seqs.item_counts(len(cat)))
    hierarchy.item_vectors_ = vectors
    hierarchy.space_info_ = info
    return hierarchy


@dataclass(frozen=True, slots=True)
class FittedModel:
    """A trained model with what it was trained from.

    ``sequences``: every user's whole history; ``history``: what the model may read at test
    time (``sequences`` less the test items, or all of it without a test); ``test``: the
    held-out newest items, or None; ``epochs``: per-epoch statistics.
    """

    hierarchy: InterestHierarchy
    sequences: Sequences
    history: Sequences
    test: HeldOut | None
    train: Sequences
    validation: HeldOut | None
    model: object  # InterestModel (torch is imported lazily)
    epochs: list[EpochStats]
    seconds: dict[str, float]  # "hierarchy", "training", "fusion"
    links: Links | None = None  # items chosen together, scaled by the weight validation chose (None: off)
    fusion: dict[str, float] | None = None  # what the second stage chose, and its validation figures


def fit_model(
    snapshot: Snapshot, config: RecsysConfig, hold_out_test: bool,
    on_epoch: Callable[[EpochStats], None] | None = None,
) -> FittedModel:
    """Build the interest hierarchy and train the model on ``snapshot`` with ``config.seed``.

    Args:
        hold_out_test: Keep each user's newest item out of training as a test item (the
            evaluation); otherwise it is only held out for early stopping (the build).
        on_epoch: Progress callback after every epoch.

    Raises:
        ModelFitError: Too few users to test on, or nothing to learn from.
    """
    import torch

    torch.set_num_threads(config.torch_threads)
    seqs = snapshot.sequences
    test: HeldOut | None = None
    history = seqs
    if hold_out_test:
        history, test = drop_last(seqs)
        if len(test.users) < MIN_TEST_USERS:
            raise ModelFitError(f"only {len(test.users)} users have 3+ items; the evaluation needs at least "
                                f"{MIN_TEST_USERS}")
    started = time.perf_counter()
    hierarchy = build_hierarchy(config, snapshot, history)
    seconds = {"hierarchy": time.perf_counter() - started}
    train, held = drop_last(history)
    validation = held if hold_out_test or len(held.users) >= MIN_VALIDATION_USERS else None
    started = time.perf_counter()
    inputs = {"config": config.model, "text_features": snapshot.features.features,
              "fine_of_item": hierarchy.fine_of_item_, "theme_of_fine": hierarchy.theme_of_fine_, "seqs": train,
              "seed": config.seed, "validation": validation,
              "basis": text_basis(snapshot.features.features, config.model.text_components)}
    if config.cluster.address:  # data-parallel on the named Ray cluster, the same loop in each worker
        from recsys_core.cluster.ray_jobs import train_on_cluster

        model, epochs = train_on_cluster(config.cluster, **inputs)
        if on_epoch is not None:  # the workers' epochs, reported when they are back
            for stats in epochs:
                on_epoch(stats)
    else:
        model, epochs = train_interest_model(**inputs, on_epoch=on_epoch)
    seconds["training"] = time.perf_counter() - started
    links, figures = None, None
    if validation is not None:
        started = time.perf_counter()
        links, figures = fit_fusion(model, config, train, validation, len(snapshot.catalogue))
        if links is not None:  # weight and share chosen; the links themselves read all the model may read
            links = item_links(history, len(snapshot.catalogue), config.links, figures["link_weight"],
                               figures["transition_share"])
        seconds["fusion"] = time.perf_counter() - started
    return FittedModel(hierarchy, seqs, history, test, train, validation, model, epochs, seconds, links, figures)


def fit_fusion(
    model: object, config: RecsysConfig, train: Sequences, validation: HeldOut, n_items: int,
) -> tuple[Links | None, dict[str, float]]:
    """The second stage, on the validation items with the branches frozen: the weight of the
    items-chosen-together links (one of ``config.links.weights``) and the share of their "next"
    part (one of ``config.links.shares``) that rank those items best at the learned gate, by
    NDCG@10, on at most ``config.links.choice_users`` validation users (a seeded sample). Returns
    the mixed links (None at weight 0 or with links off) and the figures: validation NDCG@10
    without links and with the chosen pair, the weight and the share.

    The links returned are fitted on ``train``, as the pair was chosen; :func:`fit_model` then
    refits them on the whole history the model may read (the validation items are history when
    the test item or a live user is scored, as they are for every baseline)."""
    import torch

    from recsys_core.serving import encode_states

    cfg = config.links
    pick = np.arange(len(validation.users))
    if len(pick) > cfg.choice_users:
        pick = np.sort(np.random.default_rng(config.seed).choice(len(pick), cfg.choice_users, replace=False))
    users, targets, days = validation.users[pick], validation.items[pick], validation.days[pick]
    with torch.inference_mode():
        item_vecs = model.item_vectors().numpy()  # type: ignore[attr-defined]
    parts = fit_link_parts(train, n_items, cfg) if cfg.enabled else None
    shares = sorted({0.0, *(float(s) for s in cfg.shares)}) if parts is not None and parts.next is not None else [0.0]
    pairs = [(0.0, 0.0)] + [(float(w), s) for w in sorted(set(cfg.weights)) if w > 0 and parts is not None
                            for s in shares]
    totals = np.zeros(len(pairs))
    rows = max(1, config.recommend.score_batch_cells // max(n_items, 1))  # users x items scored at once
    for start in range(0, len(users), rows):  # a chunk of users at a time: memory stays flat at any size
        part = users[start:start + rows]
        states = encode_states(model, config.model, train, part, train.lengths()[part], days[start:start + rows])
        gate = np.array([s.gate for s in states], np.float64)
        long_s = np.stack([s.u_long for s in states]) @ item_vecs.T
        vector_short = np.stack([s.u_short for s in states]) @ item_vecs.T
        histories = [train.user(int(u))[0] for u in part]
        together = next_s = None
        if parts is not None:
            together = batch_link_scores(parts.together, histories, cfg, config.model.max_history)
            if parts.next is not None:
                next_s = batch_link_scores(parts.next, histories, cfg, config.model.max_history)
        for k, (weight, share) in enumerate(pairs):
            short = vector_short
            if weight > 0 and together is not None:
                short = short + weight * (together if next_s is None or share == 0 else together + share * next_s)
            scores = fuse(long_s, short, gate).astype(np.float64)
            for row, items in enumerate(histories):
                scores[row, items] = -np.inf
            totals[k] += ndcg_per_user(rank_of_targets(scores, targets[start:start + rows]), 10).sum()
    figure = totals / max(len(users), 1)
    best, at = float(figure[0]), 0
    for k in range(1, len(pairs)):  # the smallest weight and share among equals
        if figure[k] > best + 1e-9:
            best, at = float(figure[k]), k
    weight, share = pairs[at]
    figures = {"val_ndcg_10_without_links": float(figure[0]), "val_ndcg_10": best, "link_weight": weight,
               "transition_share": share, "choice_users": float(len(users))}
    return (parts.mixed(weight, share) if parts is not None else None), figures
