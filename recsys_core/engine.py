"""RecsysEngine: the one object the app talks to.

It owns the store and answers the pages' questions with plain data (dataclasses and
DataFrames). It never imports Streamlit; progress flows out through callbacks.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from recsys_core.config import ExplainConfig, RecsysConfig
from recsys_core.data.frames import data_clock, load_user_events, user_fingerprint
from recsys_core.data.importers import ImportPlan, ImportReport, Progress
from recsys_core.data.sample import load_sample
from recsys_core.data.store import Store, StoreInfo
from recsys_core.embeddings.base import Embedder
from recsys_core.errors import InvalidArgumentError, UnknownItemError
from recsys_core.recommend import Recommendation, RecommendationList, UserState

if TYPE_CHECKING:
    from recsys_core.evaluation.runner import EvaluationReport
    from recsys_core.explain.backends import OnToken
    from recsys_core.explain.check import TitleIndex
    from recsys_core.explain.explainer import Explainer, Explanation
    from recsys_core.maps import InterestMap, UserOverlay
    from recsys_core.pipeline import BuildReport
    from recsys_core.serving import BuildInfo, ServingModel

_log = logging.getLogger(__name__)

PreviewTable = Literal["items", "users", "interactions"]


@dataclass(frozen=True, slots=True)
class Overview:
    """What the home page shows about the loaded data."""

    info: StoreInfo
    events_by_type: pd.DataFrame  # event_type, n
    events_by_week: pd.DataFrame  # week (date), event_type, n
    top_categories: pd.DataFrame  # category, n_items, n_events
    activity: pd.DataFrame  # events per user: quantiles for the skew


@dataclass(frozen=True, slots=True)
class PipelineStatus:
    """Where the model pipeline stands, for the home page.

    ``is_stale`` is True when the data changed after the build. ``evaluation`` is the
    latest run's headline (run_id, created_at, n_users, learned_ndcg_10, best_baseline,
    best_baseline_ndcg_10), or None.
    """

    build: BuildInfo | None
    data_version: int
    is_stale: bool
    evaluation: dict[str, object] | None


class RecsysEngine:
    """Facade over the store (and, as they land, the models) for the app and scripts.

    Args:
        config: The configuration tree; ``config.db_path`` names the database file.
        embedder: Text encoder; default: the configured sentence-transformers model, loaded
            on first use.
    """

    _STATE_CACHE_SIZE = 4096

    def __init__(self, config: RecsysConfig, embedder: Embedder | None = None) -> None:
        self.config = config
        self.store = Store(config.db_path, config=config.store)
        self._embedder = embedder
        self._serving: ServingModel | None = None
        self._serving_versions: tuple[object, ...] = ()
        self._states: OrderedDict[tuple[object, ...], tuple[tuple[object, ...], UserState]] = OrderedDict()
        self._lock = threading.RLock()
        self._explainer: Explainer | None = None
        self._titles: tuple[int, TitleIndex] | None = None

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

    def load_sample(self, on_progress: Progress | None = None) -> ImportReport:
        """Replace the database contents with the shipped sample, in one transaction."""
        return load_sample(self.store, self.config.sample_dir, replace=True, on_progress=on_progress)

    def ensure_data(self, on_progress: Progress | None = None) -> ImportReport | None:
        """Load the sample when the database is empty; returns the report, or None if data was there."""
        if self.has_data():
            return None
        _log.info("empty database at %s: loading the sample", self.config.db_path)
        return self.load_sample(on_progress)

    def overview(self) -> Overview:
        with self.store.cursor() as cur:
            by_type = cur.execute(
                "SELECT event_type, count(*) AS n FROM interactions GROUP BY ALL ORDER BY n DESC"
            ).df()
            by_week = cur.execute(
                "SELECT date_trunc('week', occurred_at)::DATE AS week, event_type, count(*) AS n "
                "FROM interactions GROUP BY ALL ORDER BY week, event_type"
            ).df()
            top = cur.execute(
                "SELECT coalesce(i.category, '(none)') AS category, count(DISTINCT i.item_id) AS n_items, "
                "count(e.item_id) AS n_events FROM items i LEFT JOIN interactions e USING (item_id) "
                "GROUP BY ALL ORDER BY n_events DESC LIMIT 15"
            ).df()
            activity = cur.execute(
                "WITH per_user AS (SELECT user_id, count(*) AS n FROM interactions GROUP BY ALL) "
                "SELECT quantile_disc(n, 0.5) AS median, quantile_disc(n, 0.9) AS p90, "
                "quantile_disc(n, 0.99) AS p99, max(n) AS max FROM per_user"
            ).df()
        return Overview(self.store.info(), by_type, by_week, top, activity)

    def preview(self, table: PreviewTable, n: int = 200, search: str = "") -> pd.DataFrame:
        """First ``n`` rows of a data table, optionally filtered by a case-insensitive text search."""
        queries = {
            "items": ("SELECT item_id, title, category, text, attributes::VARCHAR AS attributes FROM items "
                      "WHERE ? = '' OR title ILIKE ? OR item_id = ? ORDER BY item_id LIMIT ?"),
            "users": ("SELECT u.user_id, u.profile_text, count(e.item_id) AS n_events FROM users u "
                      "LEFT JOIN interactions e USING (user_id) WHERE ? = '' OR u.profile_text ILIKE ? "
                      "OR u.user_id = ? GROUP BY ALL ORDER BY n_events DESC, u.user_id LIMIT ?"),
            "interactions": ("SELECT e.occurred_at, e.user_id, e.item_id, i.title, e.event_type, e.value, e.text "
                             "FROM interactions e JOIN items i USING (item_id) WHERE ? = '' OR i.title ILIKE ? "
                             "OR e.user_id = ? ORDER BY e.occurred_at DESC LIMIT ?"),
        }
        with self.store.cursor() as cur:
            return cur.execute(queries[table], [search, f"%{search}%", search, int(n)]).df()


    def file_columns(self, path: str, kind: str) -> tuple[list[str], dict[str, str], list[str]]:
        """A file's columns and which field each would fill, for a column-mapping form.

        Args:
            path: The file (CSV, TSV, Parquet or JSON Lines).
            kind: "items", "interactions" or "users".

        Returns:
            (the file's columns, {field: guessed column}, the fields of this kind, required first).

        Raises:
            ImportValidationError: The file cannot be read.
        """
        from recsys_core.data.readers import read_table
        from recsys_core.data.validate import INTERACTION_FIELDS, ITEM_FIELDS, USER_FIELDS, resolve_columns

        fields = {"items": ITEM_FIELDS, "interactions": INTERACTION_FIELDS, "users": USER_FIELDS}[kind]
        table = read_table(path, max_field_bytes=self.config.imports.max_field_bytes)
        guessed, _ = resolve_columns(table, fields)
        return list(table.frame.columns), guessed, [f.name for f in fields]

    def check_import(
        self, items: str | None = None, interactions: str | None = None, users: str | None = None,
        columns: dict[str, dict[str, str]] | None = None, replace: bool = False,
    ) -> ImportPlan:
        """Read and check files without writing: the plan lists every problem (file, row,
        column) or holds the checked rows ready for :meth:`commit_import`."""
        from recsys_core.data.importers import plan_files

        return plan_files(self.store, items, interactions, users, columns, self.config.imports, replace=replace)

    def commit_import(self, plan: ImportPlan, replace: bool = False, on_progress: Progress | None = None) -> ImportReport:
        """Write a checked plan in one transaction (nothing is written if it has problems)."""
        from recsys_core.data.importers import commit_plan

        return commit_plan(self.store, plan, replace=replace, on_progress=on_progress)

    # ------------------------------------------------------------------ models
    @property
    def embedder(self) -> Embedder:
        """The text encoder (created on first use, loaded on first encode)."""
        with self._lock:
            if self._embedder is None:
                from recsys_core.embeddings.hashing import HashingEmbedder
                from recsys_core.embeddings.sentence import DEFAULT_MODEL, SentenceTransformerEmbedder

                cfg = self.config.embedding
                if cfg.model.startswith("hashing-") and cfg.model[8:].isdigit():
                    self._embedder = HashingEmbedder(int(cfg.model[8:]))
                    return self._embedder
                name = cfg.model
                if name in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
                    name = DEFAULT_MODEL  # the verified packaged copy of the same model
                self._embedder = SentenceTransformerEmbedder(
                    name, batch_size=cfg.batch_size, chunk_size=cfg.chunk_size,
                    torch_threads=self.config.torch_threads)
            return self._embedder

    def build(self, on_progress: Progress | None = None, name_interests: bool | None = None) -> BuildReport:
        """Embed, build the interest hierarchy, train, and save a new build (the one served next).

        Then, unless ``name_interests`` is False (default: the config), the LLM names the
        interests, and the item map is projected; progress reports both as stages.
        """
        from recsys_core.pipeline import build_model

        naming = self.config.explain.name_interests if name_interests is None else name_interests
        naming = naming and self.config.explain.backend != "template"
        # shares of the progress bar: the build proper, naming, the map
        parts = (0.85, 0.1, 0.05) if naming else (0.93, 0.0, 0.07)

        def part(k: int) -> Progress | None:
            if on_progress is None:
                return None
            lo = sum(parts[:k])
            return lambda stage, f: on_progress(stage, lo + f * parts[k])

        report = build_model(self.store, self.config, self.embedder, part(0))
        with self._lock:
            self._serving = None
            self._states.clear()
        if naming:
            self.name_interests(part(1))
        self.interest_map(part(2))
        return report

    def pipeline_status(self) -> PipelineStatus:
        """The newest build, whether the data moved on since, and the latest evaluation headline."""
        from recsys_core.evaluation.runner import latest_headline

        build = self.latest_build()
        version = self.store.data_version()
        return PipelineStatus(build, version, build is not None and build.data_version != version,
                              latest_headline(self.store))

    def latest_build(self) -> BuildInfo | None:
        from recsys_core.serving import latest_build

        return latest_build(self.store)

    def serving(self) -> ServingModel:
        """The newest build, loaded once per process. Raises NotBuiltError before the first build."""
        from recsys_core.serving import ServingModel, latest_build, load_interest_names

        with self.store.cursor() as cur:
            versions = tuple(cur.execute(
                "SELECT (SELECT max(build_id) FROM builds), (SELECT coalesce(max(import_id), 0) FROM imports)"
            ).fetchall()[0])
            names_stamp = cur.execute("SELECT count(*), max(created_at) FROM interest_names").fetchall()[0]
        with self._lock:
            if self._serving is None or self._serving_versions[:2] != versions:
                # a new build, or new data (items imported since are scored from their text)
                self._serving = ServingModel.load(self.store, self.embedder, latest_build(self.store))
                self._states.clear()
            elif self._serving_versions[2:] != (names_stamp,):
                # only names changed: relabel, keep everything else
                self._serving.apply_names(load_interest_names(self.store, self._serving.build.build_id))
            self._serving_versions = (*versions, names_stamp)
            return self._serving

    def warm_up(self) -> bool:
        """Load the served model and the explanation LLM now, so the first page that uses them
        does not wait. Returns False when there is no build yet (nothing to serve)."""
        if self.latest_build() is None:
            return False
        self.serving()
        warm = getattr(self.explainer.backend, "warm", None)
        if callable(warm):
            warm()
        return True

    def model_version(self) -> str:
        """A cheap key that changes with the served build, new imports and interest names
        (for caches of anything drawn from the served model). "" before the first build."""
        if self.latest_build() is None:
            return ""
        self.serving()
        with self._lock:
            return ":".join(str(v) for v in self._serving_versions)

    def user_state(self, user_id: str, include_simulated: bool = False,
                   serving: ServingModel | None = None) -> UserState:
        """The user's long/short vectors and gate as of their newest event (cached until it changes)."""
        serving = serving or self.serving()
        fingerprint = user_fingerprint(self.store, user_id, include_simulated)
        key = (serving.build.build_id, user_id, include_simulated)
        with self._lock:
            hit = self._states.get(key)
            if hit is not None and hit[0] == fingerprint:
                self._states.move_to_end(key)
                return hit[1]
        events = load_user_events(self.store, user_id, include_simulated)
        profile = None
        if len(events) < 3:
            with self.store.cursor() as cur:
                rows = cur.execute("SELECT profile_text FROM users WHERE user_id = ? AND trim(profile_text) <> ''",
                                   [user_id]).fetchall()
            if rows and rows[0][0]:
                profile = serving.profile_vector(self.store, self.embedder, str(rows[0][0]))
        state = serving.user_state(events, fingerprint[2], profile)  # type: ignore[arg-type]
        with self._lock:
            self._states[key] = (fingerprint, state)
            while len(self._states) > self._STATE_CACHE_SIZE:
                self._states.popitem(last=False)
        return state

    def recommend(
        self,
        user_id: str,
        n: int | None = None,
        alpha: float | None = None,
        interest: str | None = None,
        interest_threshold: float | None = None,
        diversity: float | None = None,
        include_simulated: bool = False,
    ) -> RecommendationList:
        """Top ``n`` unseen items for a user, each with its score split and evidence.

        Args:
            user_id: Any id; unknown users get profile-based or popular items.
            n: List length (default from config).
            alpha: Weight of the long-term vector in [0, 1]; None = the learned gate.
            interest: A description of what the analyst is looking for; items whose text is
                below ``interest_threshold`` cosine are dropped, the rest boosted.
            diversity: MMR weight in [0, 1].
            include_simulated: Read simulated events too (the app's what-if panel).
        """
        from recsys_core.serving import rank_for_user

        cfg = self.config.recommend
        if alpha is not None and not 0.0 <= alpha <= 1.0:
            raise InvalidArgumentError(f"alpha must be between 0 and 1, got {alpha}")
        if n is not None and n < 1:
            raise InvalidArgumentError(f"the list length n must be at least 1, got {n}")
        if diversity is not None and not 0.0 <= diversity <= 1.0:
            raise InvalidArgumentError(f"diversity must be between 0 and 1, got {diversity}")
        serving = self.serving()
        state = self.user_state(user_id, include_simulated, serving)
        sims = self.interest_similarities(interest, serving) if interest and interest.strip() else None
        return rank_for_user(
            serving, state, user_id, n or cfg.n, alpha, sims,
            cfg.interest_threshold if interest_threshold is None else interest_threshold,
            cfg.interest_boost, cfg.diversity if diversity is None else diversity, cfg.n_evidence, cfg.mmr_pool)

    def interest_similarities(self, interest: str, serving: ServingModel | None = None) -> np.ndarray:
        """Cosine of every served item's text to an interest description (cached per text)."""
        from recsys_core.embeddings.cache import embed_cached

        serving = serving or self.serving()
        key = ("interest", serving.build.build_id, interest.strip())
        with self._lock:
            hit = self._states.get(key)
        if hit is not None:
            return hit[1]  # type: ignore[return-value]
        vec, _ = embed_cached(self.store, self.embedder, [interest.strip()])
        sims = (serving.text_vecs @ vec[0]).astype(np.float32)
        with self._lock:
            self._states[key] = ((), sims)  # type: ignore[assignment]
        return sims

    def record_event(
        self, user_id: str, item_id: str, event_type: str = "view", at: dt.datetime | None = None,
        simulated: bool = False,
    ) -> dt.datetime:
        """Record a live event; the user's next recommendation reads it (no retraining).

        ``at`` defaults to one second after the newest event in the store (the data's "now").
        Raises UnknownItemError for an item not in the catalogue.
        """
        with self.store.cursor() as cur:
            if not cur.execute("SELECT 1 FROM items WHERE item_id = ?", [item_id]).fetchall():
                raise UnknownItemError(f"no item with id {item_id!r} in the catalogue")
        if at is None:
            clock = data_clock(self.store)
            at = (clock or dt.datetime.now(dt.UTC).replace(tzinfo=None)) + dt.timedelta(seconds=1)
        with self.store.transaction() as cur:
            cur.execute("INSERT INTO live_events (user_id, item_id, occurred_at, event_type, simulated) "
                        "VALUES (?, ?, ?, ?, ?)", [user_id, item_id, at, event_type, simulated])
        return at

    def clear_simulated_events(self, user_id: str | None = None) -> int:
        """Delete simulated events (of one user, or all); returns how many."""
        with self.store.transaction() as cur:
            rows = cur.execute("DELETE FROM live_events WHERE simulated AND (? IS NULL OR user_id = ?)",
                               [user_id, user_id]).fetchall()
        return int(rows[0][0]) if rows else 0

    # ------------------------------------------------------------------ explanations
    @property
    def explainer(self) -> Explainer:
        """Writes and caches explanations with the configured backend (LLM loaded on first use)."""
        from recsys_core.explain.backends import make_backend
        from recsys_core.explain.explainer import Explainer

        with self._lock:
            if self._explainer is None:
                self._explainer = Explainer(self.store, self.config.explain, make_backend(self.config.explain))
            return self._explainer

    def configure_explanations(self, explain: ExplainConfig) -> None:
        """Switch the explanation backend or its settings (the next explanation uses them)."""
        from dataclasses import replace

        with self._lock:
            self.config = replace(self.config, explain=explain)
            self._explainer = None

    def title_index(self) -> TitleIndex:
        """Every catalogue title, for the faithfulness check (built once per served model)."""
        from recsys_core.explain.check import TitleIndex

        serving = self.serving()
        with self._lock:
            if self._titles is None or self._titles[0] != id(serving):
                self._titles = (id(serving), TitleIndex(str(t) for t in serving.titles))
            return self._titles[1]

    def explain(
        self,
        recs: RecommendationList,
        interest: str | None = None,
        include_simulated: bool = False,
        on_token: Callable[[str, str], None] | None = None,
        use_cache: bool = True,
    ) -> list[Explanation]:
        """A checked explanation for every item of a list, in order (see :meth:`explain_item`)."""
        descriptions = self._descriptions([r.item_id for r in recs.items])
        out = []
        for rec in recs.items:
            stream: OnToken | None = None
            if on_token is not None:
                stream = functools.partial(on_token, rec.item_id)
            out.append(self.explain_item(recs, rec, interest, include_simulated, stream, use_cache,
                                         descriptions.get(rec.item_id)))
        return out

    def explain_item(
        self,
        recs: RecommendationList,
        rec: Recommendation,
        interest: str | None = None,
        include_simulated: bool = False,
        on_token: OnToken | None = None,
        use_cache: bool = True,
        description: str | None = None,
    ) -> Explanation:
        """One recommendation's explanation: cached, or written by the LLM under the timeout,
        checked against the evidence, replaced by the template when it fails; the score drop
        without the cited history items is measured and stored with it. Never raises for
        backend trouble."""
        from recsys_core.explain.facts import facts_for

        cfg = self.config.explain
        if description is None:
            description = self._descriptions([rec.item_id]).get(rec.item_id)
        facts = facts_for(recs, rec, description, interest, cfg.n_evidence, cfg.description_words)
        return self.explainer.explain(
            facts, self.title_index(),
            lambda cited: self.counterfactual(recs.user_id, rec.item_id, cited, recs.alpha, include_simulated),
            on_token, use_cache)

    def _descriptions(self, item_ids: list[str]) -> dict[str, str]:
        with self.store.cursor() as cur:
            rows = cur.execute("SELECT item_id, text FROM items WHERE list_contains(?, item_id)", [item_ids]).fetchall()
        return {str(i): str(t or "") for i, t in rows}

    def counterfactual(
        self, user_id: str, item_id: str, removed: tuple[str, ...], alpha: float, include_simulated: bool = False,
    ) -> dict[str, float]:
        """The item's model score (long + short parts at ``alpha``) with the user's whole
        history and with ``removed`` items taken out of it, re-encoded: how much the cited
        evidence really carries the recommendation."""
        serving = self.serving()
        row = serving.item_index.get(item_id)
        if row is None:
            raise UnknownItemError(f"no item with id {item_id!r} in the served model")
        fingerprint = user_fingerprint(self.store, user_id, include_simulated)
        events = load_user_events(self.store, user_id, include_simulated)
        vec = serving.item_vecs[row]

        def score(state: UserState) -> float:
            return float(alpha * (state.u_long @ vec) + (1 - alpha) * (state.u_short @ vec))

        before = score(self.user_state(user_id, include_simulated, serving))
        kept = events[~events["item_id"].astype(str).isin(set(removed))]
        after = score(serving.user_state(kept, fingerprint[2])) if len(kept) else 0.0  # type: ignore[arg-type]
        drop = before - after
        return {"score": round(before, 4), "without_cited": round(after, 4), "drop": round(drop, 4),
                "drop_share": round(drop / abs(before), 4) if abs(before) > 1e-9 else 0.0}

    def name_interests(self, on_progress: Progress | None = None) -> tuple[int, int]:
        """Let the LLM name every fine interest and theme of the newest build (keyword labels
        stay where it gives no usable name); returns (named, kept). No-op without an LLM."""
        from recsys_core.explain.naming import name_interests

        backend = self.explainer.backend
        serving = self.serving()
        if backend is None:
            return 0, len(serving.nodes)
        titles = {str(i): str(t) for i, t in zip(serving.item_ids, serving.titles, strict=True)}
        done = name_interests(
            self.store, serving.build.build_id, serving.nodes, titles, backend, self.config.explain.timeout_seconds,
            (lambda f, detail: on_progress(f"naming interests: {detail}", f)) if on_progress else None)
        warm = getattr(backend, "warm", None)
        if callable(warm):
            warm()
        self.serving()  # picks the new names up
        return done

    def rename_interest(self, level: str, node_id: int, name: str) -> None:
        """Store an analyst's name for a node of the newest build; it wins everywhere."""
        serving = self.serving()
        clean = " ".join(name.split())
        if level not in ("fine", "theme"):
            raise InvalidArgumentError(f"level must be 'fine' or 'theme', got {level!r}")
        labels = serving.fine_labels if level == "fine" else serving.theme_labels
        if node_id not in labels:
            raise InvalidArgumentError(f"the newest build has no {level} interest {node_id}")
        if not 1 <= len(clean) <= 60:
            raise InvalidArgumentError("an interest name needs 1 to 60 characters")
        with self.store.transaction() as cur:
            cur.execute("INSERT OR REPLACE INTO interest_names (build_id, level, node_id, source, name) "
                        "VALUES (?, ?, ?, 'analyst', ?)", [serving.build.build_id, level, node_id, clean])
        self.serving()

    # ------------------------------------------------------------------ dashboard
    def users(self, search: str = "", n: int = 200) -> pd.DataFrame:
        """Users for a picker, most active first: user_id, n_events, last_event_at, profile_text.
        ``search`` matches the id exactly or the profile text as a substring."""
        with self.store.cursor() as cur:
            return cur.execute(
                "SELECT u.user_id, count(e.item_id) AS n_events, max(e.occurred_at) AS last_event_at, u.profile_text "
                "FROM users u LEFT JOIN interactions e USING (user_id) "
                "WHERE ? = '' OR u.user_id = ? OR u.user_id ILIKE ? OR u.profile_text ILIKE ? "
                "GROUP BY ALL ORDER BY n_events DESC, u.user_id LIMIT ?",
                [search, search, f"{search}%", f"%{search}%", int(n)]).df()

    def interest_map(self, on_progress: Progress | None = None) -> InterestMap:
        """The newest build's item map: UMAP of the item text vectors (the hierarchy's space),
        stored in DuckDB the first time (about 15 s on the sample), read back later. Items
        imported since are placed near their most similar items."""
        from recsys_core.maps import map_frames, project_umap

        serving = self.serving()
        bid = serving.build.build_id
        with self.store.cursor() as cur:
            stored = cur.execute("SELECT item_id, x, y FROM item_map WHERE build_id = ?", [bid]).df()
        pos = stored.set_index("item_id").reindex(serving.item_ids)
        missing = pos["x"].isna().to_numpy()
        if missing.all():
            if on_progress:
                on_progress("projecting items with UMAP", 0.1)
            coords = project_umap(serving.text_vecs, self.config.seed)
            frame = pd.DataFrame({"item_id": serving.item_ids.astype(str), "x": coords[:, 0], "y": coords[:, 1]})
            with self.store.transaction() as cur:
                cur.register("coords", frame)
                try:
                    cur.execute("INSERT OR REPLACE INTO item_map SELECT ?, item_id, x, y FROM coords", [bid])
                finally:
                    cur.unregister("coords")
        else:
            coords = pos[["x", "y"]].to_numpy(np.float32)
            if missing.any():  # items imported after the map was drawn: placed near their neighbours
                from recsys_core.maps import place_points

                coords[missing] = place_points(serving.text_vecs[missing], serving.text_vecs[~missing],
                                               coords[~missing], serving.fine_of_item[~missing])
        if on_progress:
            on_progress("map ready", 1.0)
        return map_frames(bid, serving.item_ids, serving.titles, coords, serving.fine_of_item, serving.theme_of_item,
                          serving.fine_labels, serving.theme_labels, serving.popularity, serving.nodes,
                          ~serving.removed)

    def user_overlay(self, user_id: str, recs: RecommendationList | None = None,
                     include_simulated: bool = False, imap: InterestMap | None = None) -> UserOverlay:
        """A user's history, interest positions and recommendations on the interest map
        (``imap``: the map already at hand, saves reading it again)."""
        from recsys_core.maps import UserOverlay, place_points

        serving = self.serving()
        imap = imap or self.interest_map()
        state = self.user_state(user_id, include_simulated, serving)
        coords = imap.items.set_index("item_id")[["x", "y"]]
        events = self.user_timeline(user_id, include_simulated)
        hist = events.drop_duplicates("item_id", keep="last").join(coords, on="item_id").dropna(subset=["x"])
        hist = hist.assign(step=np.arange(len(hist)))
        shown = ~serving.removed
        alpha = recs.alpha if recs is not None else state.gate
        fused = alpha * state.u_long + (1 - alpha) * state.u_short
        pts = place_points(np.stack([state.u_long, state.u_short, fused]), serving.item_vecs[shown],
                           coords.reindex(serving.item_ids[shown]).to_numpy(np.float32),
                           serving.fine_of_item[shown])
        rec_frame = pd.DataFrame({"item_id": [r.item_id for r in recs.items] if recs else [],
                                  "rank": [r.rank for r in recs.items] if recs else []})
        rec_frame = rec_frame.join(coords, on="item_id").join(
            imap.items.set_index("item_id")[["title"]], on="item_id")
        xy = [(float(p[0]), float(p[1])) for p in pts]
        return UserOverlay(hist[["item_id", "title", "x", "y", "occurred_at", "step", "in_short"]], xy[0], xy[1],
                           xy[2], rec_frame)

    def describe_items(self, item_ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        """A selection of items in the hierarchy's terms: (the items with labels and
        popularity, most popular first; counts per fine interest and theme; top keywords)."""
        imap = self.interest_map()
        chosen = imap.items[imap.items["item_id"].isin(set(item_ids))].sort_values(
            ["popularity", "title"], ascending=[False, True])
        counts = (chosen.groupby(["theme_label", "fine_label"]).size().rename("items").reset_index()
                  .sort_values("items", ascending=False, ignore_index=True))
        fine_nodes = imap.nodes[imap.nodes["level"] == "fine"].set_index("node_id")["keywords"]
        weights: dict[str, int] = {}
        for fine, n in chosen["fine_id"].value_counts().items():
            for w in str(fine_nodes.get(fine, "")).split(", "):
                if w:
                    weights[w] = weights.get(w, 0) + int(n)
        keywords = [w for w, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:8]]
        cols = ["item_id", "title", "fine_label", "theme_label", "popularity"]
        return chosen[cols].reset_index(drop=True), counts, keywords

    def user_timeline(self, user_id: str, include_simulated: bool = False) -> pd.DataFrame:
        """The user's events with labels and the branch windows (see :func:`profiles.timeline`)."""
        from recsys_core.profiles import timeline

        serving = self.serving()
        state = self.user_state(user_id, include_simulated, serving)
        events = load_user_events(self.store, user_id, include_simulated)
        return timeline(serving, state, events, serving.config.short_window)

    def user_interests(self, user_id: str, include_simulated: bool = False) -> pd.DataFrame:
        """Long- and short-term attention shares per theme and fine interest (see :func:`profiles.interest_shares`)."""
        from recsys_core.profiles import interest_shares

        serving = self.serving()
        return interest_shares(serving, self.user_state(user_id, include_simulated, serving))

    def gate_response(self, user_id: str, hours: np.ndarray, include_simulated: bool = False) -> np.ndarray:
        """The learned long-term weight after ``hours`` of inactivity, other gate inputs fixed."""
        from recsys_core.profiles import gate_response

        serving = self.serving()
        return gate_response(serving, self.user_state(user_id, include_simulated, serving), hours)

    def profile_text(self, user_id: str) -> str | None:
        with self.store.cursor() as cur:
            rows = cur.execute("SELECT profile_text FROM users WHERE user_id = ?", [user_id]).fetchall()
        return str(rows[0][0]) if rows and rows[0][0] else None

    def summarise_list(self, recs: RecommendationList) -> dict[str, float]:
        from recsys_core.compare import summarise_list

        return summarise_list(recs, self.serving())

    def compare_lists(self, a: RecommendationList, b: RecommendationList) -> tuple[dict[str, float], pd.DataFrame]:
        """Overlap and per-list figures of two lists (see :func:`compare.compare_lists`)."""
        from recsys_core.compare import compare_lists

        return compare_lists(a, b, self.serving())

    def save_preset(self, name: str, settings: dict[str, object]) -> None:
        """Store lab settings under a name (replacing one of the same name)."""
        clean = " ".join(name.split())
        if not 1 <= len(clean) <= 60:
            raise InvalidArgumentError("a preset name needs 1 to 60 characters")
        with self.store.transaction() as cur:
            cur.execute("INSERT OR REPLACE INTO presets (name, settings) VALUES (?, ?)", [clean, json.dumps(settings)])

    def presets(self) -> dict[str, dict[str, object]]:
        """Saved lab settings by name, oldest first."""
        with self.store.cursor() as cur:
            rows = cur.execute("SELECT name, settings FROM presets ORDER BY created_at, name").fetchall()
        return {str(n): json.loads(s) for n, s in rows}

    def delete_preset(self, name: str) -> None:
        with self.store.transaction() as cur:
            cur.execute("DELETE FROM presets WHERE name = ?", [name])

    def evaluation_runs(self) -> pd.DataFrame:
        """Past evaluation runs, newest first (run_id, created_at, data_version, split, n_users, seconds)."""
        from recsys_core.evaluation.runner import load_runs

        return load_runs(self.store)

    def evaluation_table(self, run_id: int) -> tuple[pd.DataFrame, dict[str, object]]:
        """One run's models x metrics table and its config (learned alpha quantiles included)."""
        from recsys_core.evaluation.runner import load_run_table

        with self.store.cursor() as cur:
            rows = cur.execute("SELECT config FROM evaluation_runs WHERE run_id = ?", [run_id]).fetchall()
        if not rows:
            raise InvalidArgumentError(f"no evaluation run {run_id}")
        return load_run_table(self.store, run_id), json.loads(rows[0][0])

    def evaluation_comparison(self, run_id: int, reference: str = "learned_gate") -> pd.DataFrame:
        """``reference`` minus each other model of a run on NDCG@10, per user, with a paired
        bootstrap interval and a verdict (better / worse / tie) from the reference's side."""
        from recsys_core.evaluation.runner import load_run_comparison

        self.evaluation_table(run_id)  # a clear error for an unknown run
        return load_run_comparison(self.store, run_id, reference, self.config.evaluation)

    def evaluate(self, on_progress: Progress | None = None) -> EvaluationReport:
        """Run the leave-last-out evaluation (trains its own model on the training part) and store it."""
        from recsys_core.evaluation.runner import run_evaluation

        return run_evaluation(self.store, self.config, self.embedder, on_progress)


def open_engine(config: RecsysConfig | None = None) -> RecsysEngine:
    """Build and open an engine from ``config`` (default: :meth:`RecsysConfig.from_env`)."""
    return RecsysEngine(config or RecsysConfig.from_env()).open()
