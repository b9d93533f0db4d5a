"""The trained model ready to serve: item vectors, hierarchy labels and per-user states.

Loaded once per process from the newest build in the store. Items imported after the build
are scored from their text alone (no id part) and placed under the nearest fine interest.
Nothing here retrains: a new event changes the user's history, and the next state computed
from it moves the short-term vector and the gate.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core import moments
from recsys_core.config import InterestModelConfig, LinksConfig
from recsys_core.data.builds import BuildInfo, latest_build, load_build, load_interest_names
from recsys_core.data.frames import load_catalogue, load_review_texts, rating_scale
from recsys_core.data.store import Store
from recsys_core.embeddings.base import Embedder
from recsys_core.embeddings.cache import embed_cached
from recsys_core.embeddings.features import item_features, text_only_features
from recsys_core.errors import NotBuiltError, RecsysError
from recsys_core.interests.descriptions import DescriptionReading, InterestMatch, read_description
from recsys_core.interests.hierarchy import member_centroids
from recsys_core.interests.links import Links, links_from_checkpoint, slot_weights
from recsys_core.interests.sequences import N_EVENT_CODES, Sequences, build_sequences, is_liked, make_batch
from recsys_core.moments import NEXT_VISIT, AsOf
from recsys_core.recommend import (
    Evidence,
    Recommendation,
    RecommendationList,
    UserState,
    fused_scores_many,
    list_parts,
    rerank_mmr,
    slot_link_parts_many,
    top_n_many,
)

if TYPE_CHECKING:
    from recsys_core.interests.model import InterestModel

_log = logging.getLogger(__name__)

class ServingModel:
    """A build loaded for scoring. Construct with :meth:`load`.

    Attributes:
        item_ids: ``(n_items,)`` ids in matrix order; ``item_vecs`` ``(n_items, d)`` unit rows;
        text_vecs ``(n_items, text_dim)`` unit text vectors; ``fine_of_item``/``theme_of_item``;
        ``nodes`` the hierarchy's nodes (labels); ``popularity`` events per item; ``item_users``
        users who had each item, of ``n_users`` (for novelty).
    """

    build: BuildInfo
    model: InterestModel
    config: InterestModelConfig
    item_ids: npt.NDArray[np.object_]
    titles: npt.NDArray[np.object_]
    item_index: dict[str, int]
    removed: npt.NDArray[np.bool_]
    n_new_items: int
    item_vecs: npt.NDArray[np.float32]
    text_vecs: npt.NDArray[np.float32]
    space_vecs: npt.NDArray[np.float32]  # the hierarchy's vectors of the build's items (the map's space)
    fine_of_item: npt.NDArray[np.int64]
    theme_of_fine: npt.NDArray[np.int64]
    theme_of_item: npt.NDArray[np.int64]
    nodes: pd.DataFrame
    fine_labels: dict[int, str]
    theme_labels: dict[int, str]
    keyword_labels: dict[tuple[str, int], str]
    popularity: npt.NDArray[np.float64]
    item_users: npt.NDArray[np.float64]
    n_users: int
    next_visit_gap_days: float
    links: Links | None  # items chosen together, scaled by their weight (None: a build without them)
    links_config: LinksConfig
    rating_scale_top: float = 5.0
    _fine_text_centroids: npt.NDArray[np.float32] | None = None

    @classmethod
    def load(cls, store: Store, embedder: Embedder, build: BuildInfo | None = None) -> ServingModel:
        import torch

        from recsys_core.interests.model import config_from_checkpoint, model_from_state

        build = build or latest_build(store)
        if build is None:
            raise NotBuiltError("no model has been built yet: run `python -m recsys_core build` first")
        if build.embedding_model != embedder.name:
            raise RecsysError(
                f"build {build.build_id} was made with the text encoder {build.embedding_model!r}, but the engine "
                f"is set up with {embedder.name!r}. Rebuild, or set RECSYS_EMBEDDING_MODEL (and RECSYS_EMBEDDING_BACKEND, "
                f"the part after '@', torch when there is none) to the build's encoder.")
        stored = load_build(store, build.build_id)
        placed, nodes, popularity = stored.placed, stored.nodes, stored.popularity
        ckpt = torch.load(io.BytesIO(stored.checkpoint), weights_only=False)
        catalogue = load_catalogue(store)
        known = set(placed["item_id"])
        # a set lookup per id: pandas' isin on Arrow strings took 0.65 s for 100,000 ids
        new = catalogue[[item not in known for item in catalogue["item_id"].tolist()]]
        built = catalogue.set_index("item_id").reindex(placed["item_id"])
        missing = built["title"].isna()
        if missing.any():  # items deleted since the build keep their place but are never shown
            built.loc[missing, ["title", "embed_text"]] = ["(removed item)", "(removed item)"]
        built = built.reset_index()
        ordered = pd.concat([built, new], ignore_index=True)
        feats = item_features(store, embedder, ordered, load_review_texts(store))
        n_build = len(placed)
        if len(new):
            feats_new = text_only_features(feats.text[n_build:])
            full = np.concatenate([feats.features[:n_build], feats_new])
        else:
            full = feats.features
        centroids = np.asarray(ckpt["fine_centroids"], dtype=np.float32)
        theme_of_fine = np.asarray(ckpt["theme_of_fine"], dtype=np.int64)
        fine = np.concatenate([placed["fine_id"].to_numpy(np.int64),
                               np.argmax(feats.text[n_build:] @ centroids.T, axis=1).astype(np.int64)])
        state = dict(ckpt["state_dict"])
        for key in [k for k in state if k.endswith("type_bias")]:  # builds from before the low-rating code
            if state[key].shape[0] < N_EVENT_CODES:
                state[key] = torch.cat([state[key], torch.zeros(N_EVENT_CODES - state[key].shape[0])])
        if "item_ids.weight" in state and len(new):
            w = state["item_ids.weight"]
            state["item_ids.weight"] = torch.cat([w, torch.zeros(len(new), w.shape[1])])
        config = config_from_checkpoint(ckpt)
        model = model_from_state(config, state, full, fine, theme_of_fine)
        self = cls()
        self.build = build
        self.model = model
        self.config = config
        self.item_ids = ordered["item_id"].to_numpy(dtype=object)
        self.titles = ordered["title"].to_numpy(dtype=object)
        self.item_index = {str(i): k for k, i in enumerate(self.item_ids)}
        self.removed = np.concatenate([missing.to_numpy(), np.zeros(len(new), bool)])
        self.n_new_items = len(new)
        with torch.inference_mode():
            self.item_vecs = model.item_vectors().numpy().astype(np.float32)
        self.text_vecs = feats.text
        # builds before the blended item space stored none: their hierarchy was the text space
        space = ckpt.get("interest_space")
        self.space_vecs = feats.text[:n_build] if space is None else np.asarray(space, dtype=np.float32)
        self.fine_of_item = fine
        self.theme_of_fine = theme_of_fine
        self.theme_of_item = theme_of_fine[fine]
        self.nodes = nodes
        self.keyword_labels = {(str(r.level), int(r.node_id)): str(r.label) for r in nodes.itertuples(index=False)}
        self.apply_names(load_interest_names(store, build.build_id))
        pop = popularity.set_index("item_id").reindex(self.item_ids).fillna(0)
        self.popularity = pop["n"].to_numpy(np.float64)
        self.item_users = pop["n_users"].to_numpy(np.float64)
        self.n_users = stored.n_users
        # a user with no session break yet is expected back after the typical user's gap
        self.next_visit_gap_days = float(build.stats.get("next_visit_gap_days") or 1.0)  # type: ignore[arg-type]
        self.links, self.links_config = links_from_checkpoint(ckpt, len(ordered))
        self.rating_scale_top = rating_scale(store)  # one user's ratings are read on the catalogue's scale
        _log.info("serving build %d: %d items (%d new since the build)", build.build_id, len(ordered), len(new))
        return self

    def id_and_title_lists(self) -> tuple[list[str], list[str]]:
        """Item ids and titles as Python strings, made once (a list's items read them)."""
        if getattr(self, "_id_title_lists", None) is None:
            self._id_title_lists = ([str(i) for i in self.item_ids], [str(t) for t in self.titles])
        return self._id_title_lists

    def apply_names(self, names: dict[tuple[str, int], str]) -> None:
        """Show these node names instead of the keyword labels (others keep their keywords)."""
        labels = {**self.keyword_labels, **names}
        self.fine_labels = {node: label for (level, node), label in labels.items() if level == "fine"}
        self.theme_labels = {node: label for (level, node), label in labels.items() if level == "theme"}

    # ------------------------------------------------------------------ states
    def encode_batch(
        self, seqs: Sequences, users: npt.NDArray[np.int64], ends: npt.NDArray[np.int64],
        at_days: npt.NDArray[np.float64],
    ) -> list[UserState]:
        """States of several users from their first ``ends`` items, as seen at ``at_days``."""
        return encode_states(self.model, self.config, seqs, users, ends, at_days,
                             link_config=None if self.links is None else self.links_config, item_vecs=self.item_vecs)

    def profile_vector(self, store: Store, embedder: Embedder, text: str) -> npt.NDArray[np.float32]:
        """A profile or interest text mapped into the item space (unit vector)."""
        import torch

        vec, _ = embed_cached(store, embedder, [text])
        with torch.inference_mode():
            out = self.model.text_vectors(torch.as_tensor(text_only_features(vec)))
        return out.numpy()[0].astype(np.float32)

    def text_similarities(self, store: Store, embedder: Embedder, text: str) -> npt.NDArray[np.float32]:
        """Cosine of every served item's text to ``text`` (an interest description)."""
        vec, _ = embed_cached(store, embedder, [text])
        return (self.text_vecs @ vec[0]).astype(np.float32)

    def interest_match(self, store: Store, embedder: Embedder, text: str, n_nearest: int = 2) -> InterestMatch:
        """An interest description read into liked and disliked concepts (see
        :mod:`recsys_core.interests.descriptions`), each embedded through the cache and compared
        with every item's text, with the ``n_nearest`` fine interests nearest each concept."""
        reading = read_description(text.strip())
        vecs, _ = embed_cached(store, embedder, list(reading.concepts))
        # one product per concept, so a plain description gets exactly the cosines it always had
        sims = np.stack([self.text_vecs @ v for v in vecs]).astype(np.float32)
        near = np.argsort(-(vecs @ self.fine_text_centroids().T), axis=1, kind="stable")[:, :n_nearest]
        k = len(reading.liked)
        kinship = (vecs[k:] @ vecs[:k].T).max(axis=1) if k else np.zeros(0, np.float32)
        return InterestMatch(reading, sims[:k], sims[k:], tuple(tuple(int(f) for f in row) for row in near),
                             kinship.astype(np.float32))

    def fine_text_centroids(self) -> npt.NDArray[np.float32]:
        """``(n_fine, text_dim)`` unit mean text vector of each fine interest's served items
        (removed items left out), computed once: where a description's concepts are placed."""
        if self._fine_text_centroids is None:
            n_fine = max(int(self.fine_of_item.max(initial=-1)) + 1, max(self.fine_labels, default=-1) + 1)
            live = ~self.removed
            self._fine_text_centroids = member_centroids(self.text_vecs[live], self.fine_of_item[live], n_fine)
        return self._fine_text_centroids

    def user_state(
        self, events: pd.DataFrame, as_of: AsOf = NEXT_VISIT, data_end: dt.datetime | None = None,
        profile: npt.NDArray[np.float32] | None = None,
    ) -> UserState:
        """State of one user from their events (any order) as of a moment (see :mod:`moments`;
        ``data_end`` is the store's newest event); ``profile`` helps thin histories."""
        if as_of == NEXT_VISIT and len(events) and "simulated" in events:
            # simulated events play a live session: the user is looked at right after the newest one
            newest = events.loc[pd.to_datetime(events["occurred_at"]).idxmax()]
            if bool(newest["simulated"]):
                as_of = pd.Timestamp(newest["occurred_at"]).to_pydatetime()
        states = self.user_states(events, as_of, data_end)
        if not states:
            empty = np.zeros(0, np.int64)
            zeros = np.zeros((0, self.config.dim), np.float32)
            if profile is not None:
                return UserState(profile, profile, 1.0, empty, empty, zeros, zeros, np.zeros(0, np.float32),
                                 np.zeros(0, np.float32), cold_start="profile")
            blank = np.zeros(self.config.dim, np.float32)
            return UserState(blank, blank, 1.0, empty, empty, zeros, zeros, np.zeros(0, np.float32),
                             np.zeros(0, np.float32), cold_start="popular")
        state = next(iter(states.values()))
        if profile is not None and len(state.history) < 3:
            state = blend_profile(state, profile)
        return state

    def user_states(
        self, events: pd.DataFrame, as_of: AsOf = NEXT_VISIT, data_end: dt.datetime | None = None,
    ) -> dict[str, UserState]:
        """States of every user in ``events`` (any order) as of one moment, encoded in batches:
        the one way a history becomes a state, for one user or for all. Users with no event on
        a served item (or none before ``as_of``) are left out."""
        if isinstance(as_of, dt.datetime) and len(events):  # the histories as they stood then
            events = events[pd.to_datetime(events["occurred_at"]) <= pd.Timestamp(as_of)]
        return self.states_from_sequences(build_sequences(events, self.item_index, self.rating_scale_top), as_of,
                                          data_end)

    def states_from_sequences(
        self, seqs: Sequences, as_of: AsOf = NEXT_VISIT, data_end: dt.datetime | None = None,
    ) -> dict[str, UserState]:
        """:meth:`user_states` from histories already read over the served items (rows of
        ``item_ids``, low ratings judged on ``rating_scale_top``), with no event after ``as_of``
        when it is a moment (see :meth:`engine.Engine.served_histories`)."""
        lengths = seqs.lengths()
        users = np.flatnonzero(lengths > 0)
        if len(users) == 0:
            return {}
        end = None if data_end is None else moments.to_days(data_end)
        gap, default_gap = self.config.session_gap_minutes / 1440.0, self.next_visit_gap_days
        at = moments.resolve_many(as_of, seqs.days, seqs.offsets, end, gap, default_gap)[users]
        states = self.encode_batch(seqs, users, lengths[users], at)
        return {seqs.user_ids[int(u)]: state for u, state in zip(users, states, strict=True)}


def blend_profile(state: UserState, profile: npt.NDArray[np.float32]) -> UserState:
    """Add a profile vector to both branches of a thin history (contributions rescaled)."""
    from dataclasses import replace

    def mix(u: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.float32], float]:
        raw = u + profile
        norm = float(np.linalg.norm(raw)) or 1.0
        return (raw / norm).astype(np.float32), norm

    u_long, n_long = mix(state.u_long)
    u_short, n_short = mix(state.u_short)
    return replace(state, u_long=u_long, u_short=u_short, contrib_long=state.contrib_long / n_long,
                   contrib_short=state.contrib_short / n_short)


def encode_states(
    model: object, config: InterestModelConfig, seqs: Sequences, users: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64], at_days: npt.NDArray[np.float64], batch_size: int = 512,
    link_config: LinksConfig | None = None, item_vecs: npt.NDArray[np.float32] | None = None,
) -> list[UserState]:
    """Run the encoder for many users (in batches) and return one :class:`UserState` each
    (with the slots' link weights when ``link_config`` is given; ``item_vecs``: the model's
    item vectors already computed, read instead of projecting every history item again)."""
    import torch

    out: list[UserState | None] = [None] * len(users)
    # users of similar history length batched together, each batch only as wide as its longest
    # history: the padding is never read, and most histories are far shorter than max_history
    by_length = np.argsort(np.minimum(ends, config.max_history), kind="stable")
    with torch.inference_mode():
        for start in range(0, len(users), batch_size):
            rows = by_length[start:start + batch_size]
            u = users[rows]
            width = int(min(config.max_history, max(1, int(ends[rows].max()))))
            batch = make_batch(seqs, u, ends[rows], at_days[rows], width, config.session_gap_minutes / 1440.0)
            table = None if item_vecs is None else torch.from_numpy(item_vecs)
            enc = model.encode(batch, catalogue=table)  # type: ignore[attr-defined]
            ul, us = enc.long.user.numpy(), enc.short.user.numpy()
            assert enc.long.contrib is not None and enc.short.contrib is not None
            assert enc.long.weights is not None and enc.short.weights is not None
            cl, cs = enc.long.contrib.numpy(), enc.short.contrib.numpy()
            wl, ws = enc.long.weights.numpy(), enc.short.weights.numpy()
            gate, gate_inputs = enc.gate.numpy(), enc.gate_inputs.numpy()
            for row, (user, at) in enumerate(zip(u.tolist(), rows.tolist(), strict=True)):
                m = batch.mask[row]
                a = seqs.offsets[user]
                out[at] = UserState(
                    u_long=ul[row], u_short=us[row], gate=float(gate[row]),
                    history=seqs.items[a:a + int(ends[at])],
                    slots=batch.items[row][m], contrib_long=cl[row][m], contrib_short=cs[row][m],
                    weights_long=wl[row][m], weights_short=ws[row][m],
                    hours_since_last=float(np.expm1(batch.features[row, 0])),
                    at_days=float(at_days[at]),
                    session_length=round(float(np.expm1(batch.features[row, 1]))),
                    slot_liked=is_liked(batch.codes[row][m]),
                    link_weights=None if link_config is None else slot_weights(int(m.sum()), link_config),
                    gate_inputs=gate_inputs[row],
                )
    return [state for state in out if state is not None]


@contextmanager
def kernel_threads(n: int) -> Iterator[None]:
    """BLAS and torch kernels limited to ``n`` threads while the block runs, restored after.

    The all-users pass keeps the cores busy with threads of its own (groups scored ahead, the
    next users' states read ahead, this group's lists assembled); a matrix product or top-k
    spread over every core as well only spins against them: on two cores the pass took 29 s
    of CPU with them and 20 s without, for the same lists."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the block runs, as it was after.

    The all-users pass makes millions of small objects (each list's rows and evidence) that
    form no cycles, and the collector kept walking them: on 15,000 users of a 100,000-item
    shop the pass took 18-19 s with it and 12-14 s without. The pass collects once per chunk
    itself (:func:`collect_young`), so a cycle made anyway is still freed."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def collect_young() -> None:
    """Free any cycles made since the last collection (the two younger generations only:
    the served model's objects, long-lived, are not walked again)."""
    gc.collect(1)


@dataclass(slots=True)
class ScoredLists:
    """A batch of users scored (:func:`score_lists`): every item's score and each user's
    candidate order, before the lists and their evidence are assembled (the all-users ranking
    scores the next batch while this one is assembled)."""

    serving: ServingModel
    states: list[UserState]
    user_ids: list[str]
    n: int
    diversity: float
    weights: list[float]
    learned: list[float]
    scored: list[int]
    score: npt.NDArray[np.floating]
    orders: list[npt.NDArray[np.int64]]
    interest_part: npt.NDArray[np.float64] | None
    interest_sims: npt.NDArray[np.float32] | None
    reading: DescriptionReading | None
    no_match: str | None


def score_lists(
    serving: ServingModel,
    states: list[UserState],
    user_ids: list[str],
    n: int,
    alphas: list[float | None],
    interest: InterestMatch | npt.NDArray[np.float32] | None,
    threshold: float,
    boost: float,
    diversity: float,
    pool: int,
    dislike_threshold: float | None = None,
    refines_at: float | None = None,
    out: npt.NDArray[np.float32] | None = None,
) -> ScoredLists:
    """Score the catalogue for each user's state (one weight each, None = their learned one)
    and find each one's top ``n`` (``pool`` candidates when ``diversity`` re-ranks them): one
    matrix product and one top-k for them all, so a user's list is the same alone (a list of
    one) or in a batch. :func:`assemble_lists` turns the result into the lists.

    Seen and removed items are excluded. ``interest`` is a description read into concepts
    (or, as before, one array of cosines to a description embedded whole). Items it does not
    keep are dropped (see :meth:`InterestMatch.filter`: below ``threshold`` to every liked
    concept, at or above ``dislike_threshold``, default ``threshold``, to a disliked one, or
    closer to a disliked concept than to every liked one; ``refines_at`` spares the kin of a
    liked concept from the cosine veto); the rest get ``boost`` times their highest cosine to a
    liked concept (``interest_part``; nothing without liked concepts). ``out``: a float32
    buffer (rows, n_items) the scores may be written into (see :func:`fused_scores_many`); the
    lists assembled from the result never hold on to it.
    """
    n_items = len(serving.item_ids)
    learned = [float(s.gate) for s in states]
    weights = [g if a is None else float(a) for g, a in zip(learned, alphas, strict=True)]
    scored = [r for r, s in enumerate(states) if s.cold_start != "popular"]
    interest_part = interest_sims = keep = reading = None
    no_match = None
    if interest is not None:
        match = interest if isinstance(interest, InterestMatch) else InterestMatch.whole(interest)
        interest_sims, keep = match.filter(threshold, threshold if dislike_threshold is None else dislike_threshold,
                                           refines_at)
        if interest_sims is not None:
            interest_part = boost * interest_sims.astype(np.float64)
        reading = match.labelled(serving.fine_labels) if match is interest else None  # an array has no text
        if not keep.any():
            no_match = (f"no item matches the interest description at threshold {threshold:.2f}" if match.reading.liked
                        else "every item is too close to a disliked part of the interest description")
    # float32 scores rank exactly as the float64 copies they used to be; float64 where a float64 part is added
    wide = interest is not None or len(scored) < len(states)
    if scored and not wide:
        score = fused_scores_many(states, weights, serving.item_vecs, serving.links, out)
    else:
        score = np.empty((len(states), n_items), np.float64 if wide else np.float32)
        if scored:
            score[scored] = fused_scores_many([states[r] for r in scored], [weights[r] for r in scored],
                                              serving.item_vecs, serving.links)
    for r in set(range(len(states))) - set(scored):
        score[r] = np.log1p(serving.popularity)
    if keep is not None:
        score = np.where(keep, score if interest_part is None else score + interest_part, -np.inf)
    for r, state in enumerate(states):
        score[r, state.history] = -np.inf
    if serving.removed.any():
        score[:, np.flatnonzero(serving.removed)] = -np.inf
    orders = top_n_many(score, max(n, pool) if diversity > 0 else n)
    return ScoredLists(serving, states, user_ids, n, diversity, weights, learned, scored, score, orders, interest_part,
                       interest_sims, reading, no_match)


def assemble_lists(batch: ScoredLists, n_evidence: int, as_of: AsOf = NEXT_VISIT) -> list[RecommendationList]:
    """Each user's list from :func:`score_lists`: the top ``n`` (re-ranked for diversity), the
    split of each score between the branches, and the evidence; ``as_of`` is the moment the
    states were read at."""
    serving, states, score, n = batch.serving, batch.states, batch.score, batch.n
    weights, learned, user_ids, orders = batch.weights, batch.learned, batch.user_ids, batch.orders
    interest_part, interest_sims, scored = batch.interest_part, batch.interest_sims, batch.scored
    ids, titles = serving.id_and_title_lists()
    out = []
    is_scored = set(scored)
    final = [rerank_mmr(orders[r], score[r], serving.item_vecs, n, batch.diversity)[:n] for r in range(len(states))]
    all_link_parts = slot_link_parts_many(states, serving.links, final)  # one sparse read for every list
    # every list's split and evidence from a few stacked products (the same numbers as one list alone)
    all_parts = list_parts(states, [serving.item_vecs[order] for order in final], weights, n_evidence, all_link_parts)
    for r, state in enumerate(states):
        a, order = weights[r], final[r]
        long_w, short_w, evidence = all_parts[r]
        if r not in is_scored:  # the most popular items: neither branch scored them
            long_w = short_w = np.zeros(len(order), np.float32)
        # Python numbers read once per list: indexing NumPy arrays item by item costs more than the rest
        scores, longs, shorts = score[r, order].tolist(), long_w.tolist(), short_w.tolist()
        fines, themes = serving.fine_of_item[order].tolist(), serving.theme_of_item[order].tolist()
        interest_parts = [0.0] * len(order) if interest_part is None else interest_part[order].tolist()
        similarities = [None] * len(order) if interest_sims is None else interest_sims[order].tolist()
        recs = []
        for rank, i in enumerate(order.tolist(), start=1):
            k = rank - 1
            fine, theme = fines[k], themes[k]
            recs.append(Recommendation(
                rank=rank, item_id=ids[i], title=titles[i], score=scores[k], long_part=longs[k], short_part=shorts[k],
                interest_part=interest_parts[k], interest_similarity=similarities[k],
                fine_id=fine, fine_label=serving.fine_labels.get(fine, f"fine {fine}"),
                theme_id=theme, theme_label=serving.theme_labels.get(theme, f"theme {theme}"),
                evidence=tuple(Evidence(ids[j], titles[j], w) for j, w in evidence[k]),
            ))
        popular = "no history or profile for this user: most popular items" if state.cold_start == "popular" else None
        out.append(RecommendationList(
            user_id=user_ids[r], alpha=a, learned_alpha=learned[r], items=tuple(recs),
            extra={} if state.at_days is None else {"at_days": state.at_days}, cold_start=state.cold_start,
            note=batch.no_match or popular, n_history=len(state.history), interest_reading=batch.reading,
            as_of=as_of))
    return out
