"""RecsysEngine: the one object the app and the command line talk to.

It wires the parts together and caches what is expensive (the served model, user states,
the explainer); the work itself lives in the modules it delegates to. It never imports
Streamlit and has no SQL of its own; progress flows out through callbacks.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys_core.caching import StampedLRU
from recsys_core.compare import compare_lists, summarise_list
from recsys_core.config import ExplainConfig, RecsysConfig
from recsys_core.data import browse, builds, importers, live_events, sample_model
from recsys_core.data.browse import Overview, PreviewTable
from recsys_core.data.builds import BuildInfo
from recsys_core.data.frames import (
    ItemAbout,
    data_clock,
    load_item_about,
    load_profile_text,
    load_profiles,
    load_user_events,
    user_fingerprint,
)
from recsys_core.data.histories import load_sequences
from recsys_core.data.importers import ImportPlan, ImportReport, Progress
from recsys_core.data.named import delete_named, load_named, save_named
from recsys_core.data.sample import load_sample
from recsys_core.data.store import Store, StoreInfo
from recsys_core.embeddings.base import Embedder
from recsys_core.embeddings.cache import embed_cached
from recsys_core.embeddings.factory import make_embedder
from recsys_core.errors import InvalidArgumentError, UnknownItemError
from recsys_core.evaluation import runs
from recsys_core.explain.service import Explanations
from recsys_core.interests.sequences import Sequences
from recsys_core.maps import InterestMap, UserOverlay, describe_items, drawn_items, item_map, user_overlay
from recsys_core.moments import NEXT_VISIT, AsOf, as_of_label, to_days
from recsys_core.population.adoption import detect_adoptions
from recsys_core.population.features import text_vectors, user_features
from recsys_core.population.history import InterestHistory, check_level, interest_history
from recsys_core.population.policies import FusionPolicy, assign, policy_scores
from recsys_core.population.segments import SegmentRules, compare_mixes, interest_mix, members
from recsys_core.population.trends import TrendReport, interest_movers, interest_trends
from recsys_core.profiles import gate_response, interest_shares, timeline
from recsys_core.recommend import RecommendationList, UserState, check_request
from recsys_core.serving import (
    ScoredLists,
    ServingModel,
    assemble_lists,
    collect_young,
    collector_paused,
    kernel_threads,
    score_lists,
)
from recsys_core.status import PipelineStatus, pipeline_status

if TYPE_CHECKING:
    from recsys_core.build import BuildReport
    from recsys_core.evaluation.runner import EvaluationReport
    from recsys_core.interests.descriptions import InterestMatch

__all__ = ["Overview", "PipelineStatus", "PreviewTable", "RecsysEngine", "open_engine"]

_log = logging.getLogger(__name__)


def _clean_name(name: str, what: str) -> str:
    clean = " ".join(name.split())
    if not 1 <= len(clean) <= 60:
        raise InvalidArgumentError(f"{what} needs 1 to 60 characters")
    return clean


class RecsysEngine:
    """Facade over the store and the models for the app, the command line and scripts.

    Args:
        config: The configuration tree; ``config.db_path`` names the database file.
        embedder: Text encoder; default: the configured one, loaded on first use.
        read_only: Open the database read-only (other processes may read it too).
    """

    def __init__(self, config: RecsysConfig, embedder: Embedder | None = None, read_only: bool = False) -> None:
        self.config = config
        self.store = Store(config.db_path, read_only=read_only, config=config.store)
        self._embedder = embedder
        self._serving: ServingModel | None = None
        self._serving_versions: tuple[object, ...] = ()
        self._states: StampedLRU[tuple[object, ...], UserState] = StampedLRU(4096)
        self._interests: StampedLRU[tuple[int, str], InterestMatch] = StampedLRU(256)
        self._population: StampedLRU[tuple[object, ...], object] = StampedLRU(128)
        self._lock = threading.RLock()
        self._explanations: Explanations | None = None

    def open(self) -> RecsysEngine:
        """Open (and migrate) the database. Raises StoreLockedError if another process holds it."""
        self.store.connect()
        return self

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------------ data
    def info(self) -> StoreInfo:
        return self.store.info()

    def data_version(self) -> int:
        return self.store.data_version()

    def has_data(self) -> bool:
        return not self.store.is_empty()

    def load_sample(self, on_progress: Progress | None = None, folder: str | None = None) -> ImportReport:
        """Replace the database contents with the sample (default: the shipped one), in one transaction."""
        source = Path(folder) if folder else self.config.sample_dir
        return load_sample(self.store, source, replace=True, on_progress=on_progress)

    def ensure_data(self, on_progress: Progress | None = None) -> ImportReport | None:
        """Load the sample when the database is empty, with its shipped built model when that
        still matches the code (see :mod:`data.sample_model`); returns the import report, or
        None if data was there."""
        if self.has_data():
            return None
        _log.info("empty database at %s: loading the sample", self.config.db_path)
        report = self.load_sample(on_progress)
        self.install_sample_model()
        return report

    def install_sample_model(self) -> int | None:
        """Install the sample's shipped built model (``<sample dir>/model``) as the first build
        when the database holds exactly the sample; returns its build id, or None."""
        folder = self.config.sample_dir
        return sample_model.install_sample_model(self.store, folder / "model", folder, self.config, self.embedder.name)

    def make_sample_model(self, out_dir: Path, on_progress: Progress | None = None) -> dict[str, object]:
        """Load the sample into this (empty, scratch) database, build, and write the build as the
        sample's shipped model in ``out_dir`` (see :mod:`data.sample_model`); returns its manifest."""
        if self.has_data():
            raise InvalidArgumentError(f"{self.config.db_path} is not empty; the sample model is made in a fresh database")
        if out_dir.exists() and not (out_dir / sample_model.MANIFEST).is_file():  # checked before the build, again on writing
            raise InvalidArgumentError(f"{out_dir} exists and is not a sample model folder; name a new folder")
        self.load_sample()
        report = self.build(on_progress)
        return sample_model.export_sample_model(self.store, report.build_id, self.config.sample_dir, self.config,
                                                self.embedder.name, out_dir)

    def overview(self) -> Overview:
        return browse.overview(self.store)

    def preview(self, table: PreviewTable, n: int = 200, search: str = "") -> pd.DataFrame:
        """First ``n`` rows of a data table, optionally filtered by a case-insensitive text search."""
        return browse.preview(self.store, table, n, search)

    def users(self, search: str = "", n: int = 200) -> pd.DataFrame:
        """Users for a picker, most active first (see :func:`data.browse.list_users`)."""
        return browse.list_users(self.store, search, n)

    def user_ids(self) -> list[str]:
        return browse.all_user_ids(self.store)

    def profile_text(self, user_id: str) -> str | None:
        return load_profile_text(self.store, user_id)

    def item_about(self, item_ids: list[str]) -> dict[str, ItemAbout]:
        """The items' descriptions and categories (what an explanation may say of them)."""
        return load_item_about(self.store, item_ids)

    def file_columns(self, path: str, kind: str) -> tuple[list[str], dict[str, str], list[str]]:
        """A file's columns, the field each would fill and the fields of ``kind`` (see :func:`importers.file_columns`)."""
        return importers.file_columns(path, kind, self.config.imports)

    def check_import(
        self, items: str | None = None, interactions: str | None = None, users: str | None = None,
        columns: dict[str, dict[str, str]] | None = None, replace: bool = False, movielens: str | None = None,
    ) -> ImportPlan:
        """Read and check files (or a MovieLens folder) without writing: the plan lists every
        problem (file, row, column) or holds the checked rows ready for :meth:`commit_import`."""
        if movielens:
            return importers.plan_movielens(self.store, movielens, self.config.imports)
        return importers.plan_files(self.store, items, interactions, users, columns, self.config.imports, replace=replace)

    def commit_import(self, plan: ImportPlan, replace: bool = False, on_progress: Progress | None = None) -> ImportReport:
        """Write a checked plan in one transaction (nothing is written if it has problems)."""
        return importers.commit_plan(self.store, plan, replace=replace, on_progress=on_progress)

    # ------------------------------------------------------------------ models
    @property
    def embedder(self) -> Embedder:
        """The text encoder (created on first use, loaded on first encode)."""
        with self._lock:
            if self._embedder is None:
                self._embedder = make_embedder(self.config.embedding, self.config.torch_threads)
                if self.config.cluster.address:  # large jobs go to the named Ray cluster
                    from recsys_core.cluster.ray_jobs import ClusterEmbedder

                    self._embedder = ClusterEmbedder(self._embedder, self.config.embedding, self.config.cluster)
            return self._embedder

    def build(self, on_progress: Progress | None = None, name_interests: bool | None = None) -> BuildReport:
        """Train and save a new build (the one served next); then, unless ``name_interests`` is False
        (default: the config), the LLM names the interests; then the item map is projected."""
        from recsys_core.build import build_model

        naming = self.config.explain.name_interests if name_interests is None else name_interests
        naming = naming and self.config.explain.backend != "template"
        parts = (0.85, 0.1, 0.05) if naming else (0.93, 0.0, 0.07)  # build proper, naming, the map

        def part(k: int) -> Progress | None:
            lo = sum(parts[:k])
            return None if on_progress is None else (lambda stage, f: on_progress(stage, lo + f * parts[k]))

        report = build_model(self.store, self.config, self.embedder, part(0))
        with self._lock:
            self._serving = None
            self._states.clear()
        if naming:
            self.explanations.name_interests(part(1))
        self.interest_map(part(2))
        return report

    def pipeline_status(self) -> PipelineStatus:
        """The newest build, whether the data moved on since, and the latest evaluation headline."""
        return pipeline_status(self.store)

    def latest_build(self) -> BuildInfo | None:
        return builds.latest_build(self.store)

    def serving(self) -> ServingModel:
        """The newest build, loaded once per process. Raises NotBuiltError before the first build."""
        versions, names_stamp = builds.serving_versions(self.store)
        with self._lock:
            if self._serving is None or self._serving_versions[:2] != versions:
                # a new build, or new data (items imported since are scored from their text)
                self._serving = ServingModel.load(self.store, self.embedder, builds.latest_build(self.store))
                self._states.clear()
                self._interests.clear()
            elif self._serving_versions[2:] != (names_stamp,):  # only names changed: relabel
                self._serving.apply_names(builds.load_interest_names(self.store, self._serving.build.build_id))
            self._serving_versions = (*versions, names_stamp)
            return self._serving

    def warm_up(self) -> bool:
        """Load the served model and the explanation LLM now, so the first page that uses them
        does not wait. Returns False when there is no build yet (nothing to serve)."""
        if self.latest_build() is None:
            return False
        self.serving()
        self.explanations.warm_up()
        return True

    def model_version(self) -> str:
        """A cheap key that changes with the served build, new imports and interest names
        (for caches of anything drawn from the served model). "" before the first build."""
        if self.latest_build() is None:
            return ""
        self.serving()
        with self._lock:
            return ":".join(str(v) for v in self._serving_versions)

    def user_state(self, user_id: str, include_simulated: bool = False, serving: ServingModel | None = None,
                   as_of: AsOf = NEXT_VISIT) -> UserState:
        """The user's long/short vectors and gate as of a moment (default: their next visit; see
        :mod:`moments`), cached until their events change."""
        serving = serving or self.serving()
        fingerprint = user_fingerprint(self.store, user_id, include_simulated)
        key = (serving.build.build_id, user_id, include_simulated, as_of_label(as_of))
        if (hit := self._states.get(key, fingerprint)) is not None:
            return hit
        events = load_user_events(self.store, user_id, include_simulated)
        profile = None
        if len(events) < 3 and (text := load_profile_text(self.store, user_id)):
            profile = serving.profile_vector(self.store, self.embedder, text)
        state = serving.user_state(events, as_of, fingerprint[2], profile)  # type: ignore[arg-type]
        return self._states.put(key, state, fingerprint)

    def recommend(
        self, user_id: str, n: int | None = None, alpha: float | None = None, interest: str | None = None,
        interest_threshold: float | None = None, diversity: float | None = None, include_simulated: bool = False,
        as_of: AsOf = NEXT_VISIT, policy: str | None = None,
    ) -> RecommendationList:
        """Top ``n`` unseen items for a user, each with its score split and evidence.

        Args:
            user_id: Any id; unknown users get profile-based or popular items.
            n: List length (default from config).
            alpha: Weight of the long-term vector in [0, 1]; None = the learned gate.
            interest: What the analyst is looking for, likes and dislikes ("loves X, hates Y"); read
                into concepts that drop and boost items (see :meth:`interest_match`, ``interest_threshold``).
            diversity: MMR weight in [0, 1].
            include_simulated: Read simulated events too (the app's what-if panel).
            as_of: When the user is looked at: ``next-visit``, ``data-end`` or a moment.
            policy: A saved fusion policy: the weight of the first segment holding the user
                (the learned one when none does); not together with ``alpha``.
        """
        cfg = self.config.recommend
        check_request(n, alpha, diversity)
        if policy is not None:
            if alpha is not None:
                raise InvalidArgumentError("give a fixed weight or a policy, not both")
            alpha, _ = self.policy_alpha(policy, user_id)
        serving = self.serving()
        state = self.user_state(user_id, include_simulated, serving, as_of)
        match = self.interest_match(interest, serving) if interest and interest.strip() else None
        threshold = cfg.interest_threshold if interest_threshold is None else interest_threshold
        return self._rank(serving, [state], [user_id], n, [alpha], match, threshold, diversity, as_of)[0]

    def _rank(self, serving: ServingModel, states: list[UserState], user_ids: list[str], n: int | None,
              alphas: list[float | None], match: InterestMatch | None, threshold: float, diversity: float | None,
              as_of: AsOf) -> list[RecommendationList]:
        """Users' lists from their states, with the configured defaults (one place for one user and for many)."""
        return self._assemble(self._score(serving, states, user_ids, n, alphas, match, threshold, diversity), as_of)

    def _score(self, serving: ServingModel, states: list[UserState], user_ids: list[str], n: int | None,
               alphas: list[float | None], match: InterestMatch | None, threshold: float,
               diversity: float | None, out: np.ndarray | None = None) -> ScoredLists:
        """The numeric half of :meth:`_rank` (scores and candidate orders); ``out``: a score
        buffer to write into (:func:`score_lists`)."""
        cfg = self.config.recommend
        return score_lists(serving, states, user_ids, n or cfg.n, alphas, match, threshold, cfg.interest_boost,
                           cfg.diversity if diversity is None else diversity, cfg.mmr_pool, cfg.dislike_threshold,
                           cfg.dislike_refines_at, out)

    def _assemble(self, scored: ScoredLists, as_of: AsOf) -> list[RecommendationList]:
        """The lists half of :meth:`_rank` (items, score splits, evidence)."""
        return assemble_lists(scored, self.config.recommend.n_evidence, as_of)

    def served_histories(self, serving: ServingModel, user_ids: list[str] | None = None,
                         as_of: AsOf = NEXT_VISIT) -> Sequences:
        """Histories (of ``user_ids``, or everyone's) over ``serving``'s items, read in DuckDB
        (:func:`data.histories.load_sequences`): what :meth:`ServingModel.states_from_sequences`
        reads; with a moment ``as_of``, only the events until then."""
        return load_sequences(self.store, serving.item_ids, user_ids=user_ids,
                              until=as_of if isinstance(as_of, dt.datetime) else None,
                              scale_top=serving.rating_scale_top)

    def recommend_many(
        self, user_ids: list[str], n: int | None = None, alpha: float | None = None, interest: str | None = None,
        interest_threshold: float | None = None, diversity: float | None = None, as_of: AsOf = NEXT_VISIT,
        chunk: int = 4096, policy: str | None = None,
    ) -> Iterator[RecommendationList]:
        """:meth:`recommend` for many users (the command line's ``--all-users``), in their order:
        the same lists, but the events are read and the states encoded a chunk of users at a
        time instead of one user at a time. Thin histories with a profile text and users with
        no usable history go through :meth:`recommend` (their state needs the profile)."""
        cfg = self.config.recommend
        check_request(n, alpha, diversity)
        by_policy: dict[str, float] = {}
        if policy is not None:
            if alpha is not None:
                raise InvalidArgumentError("give a fixed weight or a policy, not both")
            table = self.policy_weights(policy)
            by_policy = dict(zip(table["user_id"], table["alpha"], strict=True))
        serving = self.serving()
        match = self.interest_match(interest, serving) if interest and interest.strip() else None
        threshold = cfg.interest_threshold if interest_threshold is None else interest_threshold
        data_end = data_clock(self.store)
        rows = max(1, cfg.score_batch_cells // max(1, len(serving.item_ids)))
        # score buffers, reused: groups are scored into some while the group before them, scored
        # into another, is assembled (a fresh 67 MB matrix per group at 100k items paid its page
        # faults every time)
        depth = cfg.score_ahead
        buffers: list[np.ndarray] = []

        def read_states(part: list[str]) -> dict[str, UserState]:
            return serving.states_from_sequences(self.served_histories(serving, part, as_of), as_of, data_end)

        parts = [list(user_ids[start:start + chunk]) for start in range(0, len(user_ids), chunk)]
        # this pass's own threads keep the cores busy (the next chunk's states are read while
        # this chunk's groups are scored and assembled): kernels are kept to their share; its
        # objects make no cycles, so the collector is paused and run once per chunk instead
        with kernel_threads(cfg.kernel_threads), collector_paused(), \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="states") as reader:
            upcoming = reader.submit(read_states, parts[0]) if parts else None
            for c, part in enumerate(parts):
                assert upcoming is not None
                if c:
                    collect_young()
                states = upcoming.result()
                upcoming = reader.submit(read_states, parts[c + 1]) if c + 1 < len(parts) else None
                weights = {}
                for user in part:
                    weight = by_policy.get(user, np.nan) if policy is not None else alpha
                    weights[user] = None if weight is None or not np.isfinite(weight) else float(weight)
                batched = [u for u in dict.fromkeys(part) if (s := states.get(u)) is not None and len(s.history) >= 3]
                groups = [batched[b:b + rows] for b in range(0, len(batched), rows)]
                if len(groups) > 1 and not buffers:
                    buffers = [np.empty((rows, len(serving.item_ids)), np.float32) for _ in range(depth + 1)]
                work = [(serving, [states[u] for u in users], users, n, [weights[u] for u in users], match, threshold,
                         diversity, buffers[g % len(buffers)] if buffers else None) for g, users in enumerate(groups)]
                lists: dict[str, RecommendationList] = {}
                # the next groups are scored (BLAS and top-k, outside the GIL) while this one's lists
                # are assembled; a group's buffer is the one of the group assembled just before
                with ThreadPoolExecutor(max_workers=depth, thread_name_prefix="score") as ahead:
                    pending = deque(ahead.submit(self._score, *work[g]) for g in range(min(depth, len(work))))
                    for g, users in enumerate(groups):
                        scored = pending.popleft().result()
                        if g + depth < len(work):
                            pending.append(ahead.submit(self._score, *work[g + depth]))
                        lists.update(zip(users, self._assemble(scored, as_of), strict=True))
                for user in part:
                    if user in lists:
                        yield lists[user]
                    else:
                        yield self.recommend(user, n, weights[user], interest, interest_threshold, diversity, as_of=as_of)

    def interest_match(self, interest: str, serving: ServingModel | None = None) -> InterestMatch:
        """A description read into liked and disliked concepts, matched with every item (cached per text)."""
        serving = serving or self.serving()
        key, near = (serving.build.build_id, interest.strip()), self.config.recommend.reading_interests
        if (hit := self._interests.get(key)) is not None:
            return hit
        return self._interests.put(key, serving.interest_match(self.store, self.embedder, key[1], near))

    def record_event(
        self, user_id: str, item_id: str, event_type: str = "view", at: dt.datetime | None = None,
        simulated: bool = False,
    ) -> tuple[dt.datetime, int]:
        """Record a live event; the user's next recommendation reads it (no retraining). ``at``
        defaults to one second after the store's newest event. Returns (time, event id).
        Raises UnknownItemError for an item not in the catalogue."""
        if not live_events.item_exists(self.store, item_id):
            raise UnknownItemError(f"no item with id {item_id!r} in the catalogue")
        if at is None:
            clock = data_clock(self.store)
            at = (clock or dt.datetime.now(dt.UTC).replace(tzinfo=None)) + dt.timedelta(seconds=1)
        return at, live_events.record_live_event(self.store, user_id, item_id, at, event_type, simulated)

    def live_events(self, user_id: str | None = None) -> list[tuple[int, str, str, dt.datetime, str, bool]]:
        """Live events (id, user, item, time, type, simulated), newest first."""
        return live_events.list_live_events(self.store, user_id)

    def remove_event(self, event_id: int) -> tuple[str, str, dt.datetime]:
        """Delete one live event by id; returns its (user, item, time)."""
        return live_events.remove_live_event(self.store, event_id)

    def clear_simulated_events(self, user_id: str | None = None) -> int:
        """Delete simulated events (of one user, or all); returns how many."""
        return live_events.clear_simulated(self.store, user_id)

    # ------------------------------------------------------------------ explanations and names
    @property
    def explanations(self) -> Explanations:
        """Checked explanations and interest names (the LLM loads on first use)."""
        with self._lock:
            if self._explanations is None:
                self._explanations = Explanations(self)
            return self._explanations

    def configure_explanations(self, explain: ExplainConfig) -> None:
        """Switch the explanation backend or its settings (the next explanation uses them)."""
        with self._lock:
            self.config = replace(self.config, explain=explain)
            if self._explanations is not None:
                self._explanations.jobs.close()  # lists queued for the old writer are dropped
            self._explanations = None

    def rename_interest(self, level: str, node_id: int, name: str) -> None:
        """Store an analyst's name for a node of the newest build; it wins everywhere."""
        serving = self.serving()
        if level not in ("fine", "theme"):
            raise InvalidArgumentError(f"level must be 'fine' or 'theme', got {level!r}")
        if node_id not in (serving.fine_labels if level == "fine" else serving.theme_labels):
            raise InvalidArgumentError(f"the newest build has no {level} interest {node_id}")
        builds.save_analyst_name(self.store, serving.build.build_id, level, node_id,
                                 _clean_name(name, "an interest name"))
        self.serving()

    # ------------------------------------------------------------------ dashboard
    def placeholders(self) -> tuple[str, str]:
        """Examples drawn from this catalogue for empty text boxes: a word of the most chosen
        item's title (a title search) and the largest fine interest's label (an interest
        description), so a film catalogue is not asked about espresso."""
        serving = self.serving()
        top = int(np.argmax(serving.popularity)) if len(serving.popularity) else -1
        words = [w.strip(".,:;!?()[]\"'") for w in (str(serving.titles[top]).split() if top >= 0 else [])]
        word = max(words, key=len, default="")
        fine = np.bincount(serving.fine_of_item) if len(serving.fine_of_item) else np.zeros(0, np.int64)
        label = serving.fine_labels.get(int(np.argmax(fine)), "") if len(fine) else ""
        return word, label

    def interest_map(self, on_progress: Progress | None = None) -> InterestMap:
        """The newest build's item map, projected once per build and stored (see :func:`maps.item_map`)."""
        return item_map(self.store, self.serving(), self.config.seed, on_progress)

    def drawn_map_items(self, imap: InterestMap, keep: list[str] | None = None, theme: int | None = None) -> pd.DataFrame:
        """The items the map page draws (all up to :data:`maps.MAX_DRAWN`, else an even share of
        every fine interest, with ``keep`` always in; one ``theme``'s when given)."""
        return drawn_items(imap, keep=keep or (), theme=theme, seed=self.config.seed)

    def user_overlay(self, user_id: str, recs: RecommendationList | None = None, include_simulated: bool = False,
                     imap: InterestMap | None = None, as_of: AsOf = NEXT_VISIT) -> UserOverlay:
        """A user's history, interest positions and recommendations on the interest map
        (``imap``: the map already at hand, saves reading it again; ``recs``' moment wins)."""
        serving = self.serving()
        as_of = recs.as_of if recs is not None else as_of
        state = self.user_state(user_id, include_simulated, serving, as_of)
        return user_overlay(serving, imap or self.interest_map(), state,
                            self.user_timeline(user_id, include_simulated, as_of),
                            recs.alpha if recs is not None else state.gate, recs)

    def describe_items(self, item_ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        """A map selection in the hierarchy's terms (see :func:`maps.describe_items`)."""
        return describe_items(self.interest_map(), item_ids)

    def user_timeline(self, user_id: str, include_simulated: bool = False, as_of: AsOf = NEXT_VISIT) -> pd.DataFrame:
        """The user's events with labels and the branch windows (see :func:`profiles.timeline`)."""
        serving = self.serving()
        state = self.user_state(user_id, include_simulated, serving, as_of)
        events = load_user_events(self.store, user_id, include_simulated)
        return timeline(serving, state, events, serving.config.short_window)

    def user_interests(self, user_id: str, include_simulated: bool = False, as_of: AsOf = NEXT_VISIT) -> pd.DataFrame:
        """Long- and short-term attention shares per theme and fine interest (see :func:`profiles.interest_shares`)."""
        serving = self.serving()
        return interest_shares(serving, self.user_state(user_id, include_simulated, serving, as_of))

    def gate_response(self, user_id: str, hours: np.ndarray, include_simulated: bool = False,
                      as_of: AsOf = NEXT_VISIT) -> np.ndarray:
        """The learned long-term weight after ``hours`` of inactivity, other gate inputs fixed."""
        serving = self.serving()
        return gate_response(serving, self.user_state(user_id, include_simulated, serving, as_of), hours)

    def summarise_list(self, recs: RecommendationList) -> dict[str, float]:
        return summarise_list(recs, self.serving())

    def compare_lists(self, a: RecommendationList, b: RecommendationList) -> tuple[dict[str, float], pd.DataFrame]:
        """Overlap and per-list figures of two lists (see :func:`compare.compare_lists`)."""
        return compare_lists(a, b, self.serving())

    def save_preset(self, name: str, settings: dict[str, object]) -> None:
        """Store lab settings under a name (replacing one of the same name)."""
        save_named(self.store, "presets", _clean_name(name, "a preset name"), settings)

    def presets(self) -> dict[str, dict[str, object]]:
        """Saved lab settings by name, oldest first."""
        return load_named(self.store, "presets")  # type: ignore[no-any-return]

    def delete_preset(self, name: str) -> None:
        delete_named(self.store, "presets", name)

    # ------------------------------------------------------------------ population
    def _population_cached(self, key: tuple[object, ...], make):  # type: ignore[no-untyped-def]
        """``make()`` once per key while the served build, its names and the data stay the same."""
        stamp = (self.model_version(), self.data_version())
        if (hit := self._population.get(key, stamp)) is not None:
            return hit
        return self._population.put(key, make(), stamp)

    def interest_history(self) -> InterestHistory:
        """Every user's liked items labelled with the served build's interests and sessions."""
        serving = self.serving()

        def make() -> InterestHistory:
            return interest_history(load_sequences(self.store, serving.item_ids), serving.fine_of_item,
                                    serving.theme_of_fine, self._labels(serving),
                                    serving.config.session_gap_minutes / 1440.0)

        return self._population_cached(("history",), make)  # type: ignore[no-any-return]

    def adoptions(self, level: str = "fine", user_id: str | None = None) -> pd.DataFrame:
        """Bursts on a new interest that became long-term (see :mod:`population.adoption`):
        user_id, node, label, burst_at, confirmed_at, ...; one user's with ``user_id``."""
        check_level(level)
        found: pd.DataFrame = self._population_cached(
            ("adoptions", level), lambda: detect_adoptions(self.interest_history(), level, self.config.population))
        return found if user_id is None else found[found["user_id"] == user_id].reset_index(drop=True)

    def interest_trends(self, level: str = "fine", period: str | None = None,
                        recent_share: float | None = None) -> TrendReport:
        """Per-period interest series and the recent-against-before changes with their intervals
        (see :mod:`population.trends`); ``period`` and ``recent_share`` override the configured ones."""
        check_level(level)
        if recent_share is not None and not 0.0 < recent_share < 1.0:
            raise InvalidArgumentError(f"the recent share must be between 0 and 1, got {recent_share}")
        model = self.serving().config
        return self._population_cached(  # type: ignore[no-any-return]
            ("trends", level, period, recent_share),
            lambda: interest_trends(self.interest_history(), level, self.config.population, model.short_window,
                                    model.max_history, self.adoptions(level), period, recent_share))

    def interest_movers(self, level: str, node: int, period: str | None = None,
                        recent_share: float | None = None) -> pd.DataFrame:
        """Users who joined or left one interest between the two parts of :meth:`interest_trends`."""
        report = self.interest_trends(level, period, recent_share)
        hist = self.interest_history()
        if not 0 <= node < hist.n_nodes(level):
            raise InvalidArgumentError(f"the newest build has no {level} interest {node}")
        model = self.serving().config
        return interest_movers(hist, level, node, report.split_at, self.config.population, model.short_window,
                               model.max_history)

    # ------------------------------------------------------------------ segments and policies
    def _labels(self, serving: ServingModel) -> dict[tuple[str, int], str]:
        return {**{("fine", k): v for k, v in serving.fine_labels.items()},
                **{("theme", k): v for k, v in serving.theme_labels.items()}}

    def _run_history(self, run_id: int) -> InterestHistory:
        """Histories as an evaluation run's models read them: each user's newest item left out,
        no live events; refused when the data changed since the run."""
        made_on = runs.load_run_data_version(self.store, run_id)
        if made_on is None:
            raise InvalidArgumentError(f"no evaluation run {run_id}")
        if made_on != self.data_version():
            raise InvalidArgumentError(f"evaluation run {run_id} was made on data version {made_on}; the data is at "
                                       f"version {self.data_version()} now: run a new evaluation")
        serving = self.serving()

        def make() -> InterestHistory:
            return interest_history(load_sequences(self.store, serving.item_ids, include_live=False),
                                    serving.fine_of_item, serving.theme_of_fine, self._labels(serving),
                                    serving.config.session_gap_minutes / 1440.0, drop_newest=True)

        return self._population_cached(("run_history", run_id), make)  # type: ignore[no-any-return]

    def user_features(self, run_id: int | None = None) -> pd.DataFrame:
        """One row per user of what segment rules read (see :mod:`population.segments`): now
        (weights at each user's next visit), or as evaluation run ``run_id`` saw them."""
        serving = self.serving()

        def make() -> pd.DataFrame:
            end = data_clock(self.store)
            end_days = 0.0 if end is None else to_days(end)
            if run_id is None:
                hist = self.interest_history()
                states = serving.states_from_sequences(self.served_histories(serving), NEXT_VISIT, end)
                weights = {u: float(st.gate) for u, st in states.items()}
            else:
                hist = self._run_history(run_id)
                wide, weights = runs.load_run_users(self.store, run_id)
                if not weights:
                    weights = {u: float("nan") for u in wide.index}
            model = serving.config
            feats = user_features(hist, weights, end_days, model.short_window, model.max_history,
                                  self.config.population.hold_share)
            if run_id is not None:
                feats = feats[feats["user_id"].isin(set(runs.load_run_users(self.store, run_id)[0].index))]
            return feats.reset_index(drop=True)

        return self._population_cached(("features", run_id), make)  # type: ignore[no-any-return]

    def _text_scores(self, text: str, features: pd.DataFrame, run_id: int | None) -> np.ndarray:
        """Each user's cosine between a description and their texts (liked items and profile)."""
        serving = self.serving()
        hist = self.interest_history() if run_id is None else self._run_history(run_id)

        def make() -> np.ndarray:
            profiles = load_profiles(self.store)
            vecs = {}
            if len(profiles):
                encoded, _ = embed_cached(self.store, self.embedder, profiles["profile_text"].astype(str).tolist())
                vecs = dict(zip(profiles["user_id"].astype(str), encoded, strict=True))
            return text_vectors(hist, serving.text_vecs, features["user_id"].tolist(), vecs)

        users = self._population_cached(("text_vectors", run_id, len(features)), make)
        query = embed_cached(self.store, self.embedder, [text.strip()])[0][0]
        query = query / (np.linalg.norm(query) or 1.0)
        return (users @ query).astype(np.float64)  # type: ignore[no-any-return]

    def _rules(self, segment: str | SegmentRules) -> SegmentRules:
        if isinstance(segment, SegmentRules):
            return segment
        found = load_named(self.store, "segments")
        if segment not in found:
            raise InvalidArgumentError(f"no segment named {segment!r}" + (
                f": saved ones are {', '.join(map(repr, found))}" if found else ": none is saved yet"))
        return SegmentRules.from_json(found[segment])

    def segment_members(self, segment: str | SegmentRules, run_id: int | None = None) -> pd.DataFrame:
        """The users in a segment (a saved name or rules) with their features."""
        rules = self._rules(segment)
        feats = self.user_features(run_id)
        if (run_id is not None and (rules.min_weight is not None or rules.max_weight is not None)
                and feats["weight"].isna().all()):
            raise InvalidArgumentError(f"evaluation run {run_id} was stored before each user's learned weight was "
                                       "kept, so a segment on the weight cannot be read from it: run a new evaluation")

        def make() -> pd.DataFrame:
            scores = self._text_scores(rules.text, feats, run_id) if rules.text.strip() else None
            keep = members(feats, rules, self._labels(self.serving()), scores)
            return feats[keep].reset_index(drop=True)

        # cached by the rules themselves: a page rerun or a re-saved segment of the same rules reads it back
        return self._population_cached(("members", rules.to_json(), run_id), make)  # type: ignore[no-any-return]

    def save_segment(self, name: str, rules: SegmentRules) -> None:
        """Store rules under a name (replacing one of the same name) after checking they read."""
        self.segment_members(rules)  # an unknown interest label is refused before anything is stored
        save_named(self.store, "segments", _clean_name(name, "a segment name"), rules.to_json())

    def segments(self) -> dict[str, SegmentRules]:
        """Saved segments by name, oldest first."""
        return {n: SegmentRules.from_json(r) for n, r in load_named(self.store, "segments").items()}

    def delete_segment(self, name: str) -> bool:
        """Delete a saved segment; False when there was none of that name.

        Raises:
            InvalidArgumentError: A saved policy uses it (delete or change the policy first).
        """
        users = [p for p, pol in self.policies().items() if name in {seg for seg, _ in pol.rules}]
        if users:
            raise InvalidArgumentError(f"segment {name!r} is used by the policy {', '.join(map(repr, users))}: "
                                       "delete or change the policy first")
        return delete_named(self.store, "segments", name)

    def compare_segments(self, a: str | SegmentRules, b: str | SegmentRules, level: str = "fine",
                         run_id: int | None = None) -> tuple[pd.DataFrame, int, int]:
        """Two segments' interest mixes side by side (see :func:`population.segments.compare_mixes`)
        and their sizes."""
        check_level(level)
        key = ("compare", self._rules(a).to_json(), self._rules(b).to_json(), level, run_id)
        return self._population_cached(key, lambda: self._compare_segments(a, b, level, run_id))  # type: ignore[no-any-return]

    def _compare_segments(self, a: str | SegmentRules, b: str | SegmentRules, level: str,
                          run_id: int | None) -> tuple[pd.DataFrame, int, int]:
        feats = self.user_features(run_id)
        labels = {node: label for (lev, node), label in self._labels(self.serving()).items() if lev == level}
        in_a = feats["user_id"].isin(set(self.segment_members(a, run_id)["user_id"])).to_numpy()
        in_b = feats["user_id"].isin(set(self.segment_members(b, run_id)["user_id"])).to_numpy()
        mix = compare_mixes(interest_mix(feats, in_a, level), interest_mix(feats, in_b, level), labels,
                            self.config.population.n_boot, 0.95, self.config.population.seed)
        return mix, int(in_a.sum()), int(in_b.sum())

    def _run_id(self, run_id: int | None) -> int:
        if run_id is not None:
            return run_id
        listed = self.evaluation_runs()
        if listed.empty:
            raise InvalidArgumentError("no evaluation run yet: run `evaluate` first")
        return int(listed["run_id"].iloc[0])

    def segment_curve(self, segment: str | SegmentRules, run_id: int | None = None) -> pd.DataFrame:
        """NDCG@10 against the fixed long-term weight for the segment's test users and for all,
        from an evaluation run's per-user results; columns alpha, segment, everyone, and the
        learned gate's figure for each as attrs ``learned_segment`` / ``learned_everyone``."""
        run_id = self._run_id(run_id)
        key = ("curve", self._rules(segment).to_json(), run_id)
        return self._population_cached(key, lambda: self._segment_curve(segment, run_id))  # type: ignore[no-any-return]

    def _segment_curve(self, segment: str | SegmentRules, run_id: int) -> pd.DataFrame:
        wide, _ = runs.load_run_users(self.store, run_id)
        inside = wide.index.isin(set(self.segment_members(segment, run_id)["user_id"]))
        grid = sorted((float(c.split("=")[1]), c) for c in wide.columns if c.startswith("alpha="))
        out = pd.DataFrame({"alpha": [g for g, _ in grid],
                            "segment": [float(wide.loc[inside, c].mean()) if inside.any() else float("nan")
                                        for _, c in grid],
                            "everyone": [float(wide[c].mean()) for _, c in grid]})
        out.attrs.update(learned_segment=float(wide.loc[inside, "learned_gate"].mean()) if inside.any() else float("nan"),
                         learned_everyone=float(wide["learned_gate"].mean()), n_segment=int(inside.sum()),
                         n_everyone=len(wide), run_id=run_id)
        return out

    def save_policy(self, name: str, policy: FusionPolicy) -> None:
        """Store a policy under a name after checking that its segments exist."""
        for segment, _ in policy.rules:
            self._rules(segment)
        save_named(self.store, "fusion_policies", _clean_name(name, "a policy name"), policy.to_json())

    def policies(self) -> dict[str, FusionPolicy]:
        """Saved fusion policies by name, oldest first."""
        return {n: FusionPolicy.from_json(r) for n, r in load_named(self.store, "fusion_policies").items()}

    def delete_policy(self, name: str) -> bool:
        """Delete a saved policy; False when there was none of that name."""
        return delete_named(self.store, "fusion_policies", name)

    def _policy(self, policy: str | FusionPolicy) -> FusionPolicy:
        if isinstance(policy, FusionPolicy):
            return policy
        found = self.policies()
        if policy not in found:
            raise InvalidArgumentError(f"no policy named {policy!r}" + (
                f": saved ones are {', '.join(map(repr, found))}" if found else ": none is saved yet"))
        return found[policy]

    def policy_weights(self, policy: str | FusionPolicy, run_id: int | None = None) -> pd.DataFrame:
        """Each user's weight under a policy (NaN: the learned one) and the segment that set it."""
        pol = self._policy(policy)
        key = ("policy_weights", self._policy_key(pol), run_id)
        return self._population_cached(key, lambda: self._policy_weights(pol, run_id))  # type: ignore[no-any-return]

    def _policy_key(self, pol: FusionPolicy) -> str:
        """A policy with the rules of its segments as they stand: what its results depend on."""
        return pol.to_json() + "|" + "|".join(self._rules(seg).to_json() for seg, _ in pol.rules)

    def _policy_weights(self, pol: FusionPolicy, run_id: int | None) -> pd.DataFrame:
        feats = self.user_features(run_id)
        membership = {seg: feats["user_id"].isin(set(self.segment_members(seg, run_id)["user_id"])).to_numpy()
                      for seg, _ in pol.rules}
        alpha, which = assign(pol, membership, len(feats))
        return pd.DataFrame({"user_id": feats["user_id"], "alpha": alpha, "segment": which})

    def evaluate_policy(self, policy: str | FusionPolicy, run_id: int | None = None) -> dict[str, object]:
        """A policy judged on an evaluation run's test users: its NDCG@10 against the learned
        gate and against the single best fixed weight, each with the run's paired bootstrap,
        and per rule: users, weight, NDCG@10 under the policy and under the learned gate."""
        run_id = self._run_id(run_id)
        pol = self._policy(policy)
        key = ("policy_verdict", self._policy_key(pol), run_id)
        return self._population_cached(key, lambda: self._evaluate_policy(pol, run_id))  # type: ignore[no-any-return]

    def _evaluate_policy(self, pol: FusionPolicy, run_id: int) -> dict[str, object]:
        from recsys_core.population.policies import judge

        wide, _ = runs.load_run_users(self.store, run_id)
        weights = self.policy_weights(pol, run_id).set_index("user_id").reindex(wide.index)
        scores = policy_scores(wide, weights["alpha"].to_numpy(np.float64))
        which = weights["segment"].fillna("").to_numpy()
        rows = []
        for segment, weight in [*pol.rules, ("", None)]:
            sel = which == segment
            rows.append({"rule": segment or "everyone else", "weight": "learned" if weight is None else f"{weight:.2f}",
                         "users": int(sel.sum()),
                         "policy": float(scores[sel].mean()) if sel.any() else float("nan"),
                         "learned gate": float(wide["learned_gate"].to_numpy()[sel].mean()) if sel.any() else float("nan")})
        ecfg = self.config.evaluation
        return {"run_id": run_id, "policy": pol.describe(), "rules": pd.DataFrame(rows),
                **judge(wide, scores, ecfg.bootstrap_samples, ecfg.confidence)}

    def suggest_policy(self, segments: list[str], run_id: int | None = None) -> dict[str, object]:
        """Each segment's best weight on an evaluation run (a policy to save), judged honestly:
        the figure compared with the learned gate and the best fixed weight picks each half of
        the test users' weights on the other half (see :func:`population.policies.cross_fitted_scores`)."""
        import zlib

        from recsys_core.population.policies import best_weights, cross_fitted_scores, judge

        if not segments:
            raise InvalidArgumentError("name at least one segment")
        run_id = self._run_id(run_id)
        wide, _ = runs.load_run_users(self.store, run_id)
        membership = {seg: wide.index.isin(set(self.segment_members(seg, run_id)["user_id"])) for seg in segments}
        fold = np.array([zlib.crc32(str(u).encode()) % 2 for u in wide.index], dtype=np.int64)
        scores, per_fold = cross_fitted_scores(wide, segments, membership, fold)
        ecfg = self.config.evaluation
        return {"run_id": run_id, "policy": best_weights(wide, segments, membership, np.ones(len(wide), dtype=bool)),
                "folds": per_fold, **judge(wide, scores, ecfg.bootstrap_samples, ecfg.confidence)}

    def policy_alpha(self, policy: str | FusionPolicy, user_id: str) -> tuple[float | None, str]:
        """The weight a policy gives one user now (None: learned) and the segment that set it."""
        table = self.policy_weights(policy).set_index("user_id")
        if user_id not in table.index:
            return None, ""
        a = float(table.loc[user_id, "alpha"])
        return (None if not np.isfinite(a) else a), str(table.loc[user_id, "segment"])

    # ------------------------------------------------------------------ reports
    def report(self, kind: str, *, level: str = "fine", period: str | None = None, recent_share: float | None = None,
               user_id: str | None = None, as_of: AsOf = NEXT_VISIT, run_id: int | None = None,
               segment: str | None = None, other: str | None = None) -> str:
        """A self-contained HTML report (see :mod:`recsys_core.reports`): ``trends`` (level, period,
        recent share), ``user`` (user_id, as_of), ``segment`` (segment, against ``other`` or
        everyone) or ``evaluation`` (run_id, default the newest)."""
        from recsys_core.reports import builders

        if kind == "trends":
            return builders.trends_report(self, level, period, recent_share)
        if kind == "user":
            if not user_id:
                raise InvalidArgumentError("a user report needs a user id")
            return builders.user_report(self, user_id, as_of)
        if kind == "evaluation":
            return builders.evaluation_report(self, run_id)
        if kind == "segment":
            if not segment:
                raise InvalidArgumentError("a segment report needs a segment name")
            return builders.segment_report(self, segment, other, level)
        raise InvalidArgumentError(f"no {kind!r} report: use trends, user, segment or evaluation")

    # ------------------------------------------------------------------ evaluation
    def evaluation_runs(self) -> pd.DataFrame:
        """Past evaluation runs, newest first (run_id, created_at, data_version, split, n_users, seconds)."""
        return runs.load_runs(self.store)

    def evaluation_table(self, run_id: int) -> tuple[pd.DataFrame, dict[str, object]]:
        """One run's models x metrics table and its config (learned alpha quantiles included)."""
        run_config = runs.load_run_config(self.store, run_id)
        if run_config is None:
            raise InvalidArgumentError(f"no evaluation run {run_id}")
        return runs.load_run_table(self.store, run_id), run_config

    def evaluation_comparison(self, run_id: int, reference: str = "learned_gate") -> pd.DataFrame:
        """``reference`` minus each other model of a run on NDCG@10, per user, with a paired
        bootstrap interval and a verdict (better / worse / tie) from the reference's side."""
        self.evaluation_table(run_id)  # a clear error for an unknown run
        return runs.load_run_comparison(self.store, run_id, reference, self.config.evaluation)

    def gate_verdict(self) -> dict[str, object] | None:
        """The newest evaluation's word on the learned weight against the best fixed weight
        (see :func:`runs.gate_verdict`); None before any evaluation."""
        return runs.gate_verdict(self.store, self.config.evaluation)

    def evaluate(self, on_progress: Progress | None = None) -> EvaluationReport:
        """Run the leave-last-out evaluation (trains its own model on the training part) and store it."""
        from recsys_core.evaluation.runner import run_evaluation

        return run_evaluation(self.store, self.config, self.embedder, on_progress)


def open_engine(config: RecsysConfig | None = None, read_only: bool = False) -> RecsysEngine:
    """Build and open an engine from ``config`` (default: :meth:`RecsysConfig.from_env`)."""
    return RecsysEngine(config or RecsysConfig.from_env(), read_only=read_only).open()
