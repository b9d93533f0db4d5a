"""Typed configuration of the whole engine: one frozen dataclass tree.

Every knob lives here, nowhere else. Configs are hashable and picklable, so the Streamlit
side can pass them straight into cached functions. Build with :meth:`RecsysConfig.from_env`
and vary with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from recsys_core.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = Path("data") / "recsys.duckdb"
DEFAULT_SAMPLE_DIR = PROJECT_ROOT / "sample_data"


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """Where the database lives and how DuckDB may use the machine."""

    db_path: Path = DEFAULT_DB_PATH
    threads: int = 2
    memory_limit: str = "4GB"

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise ValueError(f"StoreConfig.threads must be >= 1, got {self.threads}")


@dataclass(frozen=True, slots=True)
class ImportConfig:
    """Limits applied to every imported file."""

    max_field_bytes: int = 1_000_000  # a single cell larger than this is refused
    max_problems: int = 200  # problems listed in a validation report

    def __post_init__(self) -> None:
        if self.max_field_bytes < 1_000:
            raise ValueError("ImportConfig.max_field_bytes must be at least 1000")


@dataclass(frozen=True, slots=True)
class EmbeddingConfig:
    """Which text encoder to use and how to feed it."""

    model: str = "packaged:all-MiniLM-L6-v2"  # or any sentence-transformers folder / cached name
    batch_size: int = 64
    onnx_batch_size: int = 32  # ONNX Runtime's int8 kernels run faster on smaller batches (bench/embedding_backends.py)
    chunk_size: int = 256  # texts per encoder call (sorted by length inside); progress after each
    backend: str = "torch"  # "torch", "onnx" or "onnx-int8" (ONNX Runtime; see embeddings/onnx_backend.py)

    def __post_init__(self) -> None:
        if min(self.batch_size, self.onnx_batch_size) < 1 or self.chunk_size < max(self.batch_size, self.onnx_batch_size):
            raise ValueError("EmbeddingConfig needs batch sizes >= 1 and chunk_size >= each batch size")
        if self.backend not in ("torch", "onnx", "onnx-int8"):
            raise ValueError(f"EmbeddingConfig.backend must be torch, onnx or onnx-int8, got {self.backend!r}")


@dataclass(frozen=True, slots=True)
class HierarchyConfig:
    """The interest hierarchy: what its item vectors blend, and the level sizes (``None`` lets
    the data choose; see :mod:`recsys_core.interests.item_space`)."""

    n_fine: int | None = None  # default: about sqrt(n_items), between 4 and 400
    n_themes: int | None = None  # default: the coarsest Ward cut within 1 SE of the best silhouette
    max_themes: int | None = None  # optional cap on the data's theme count (at most n_fine // 3 anyway)
    blend_behaviour: bool = True  # blend collaborative and category vectors into the text vectors
    collab_dim: int = 64  # dimensions of the collaborative (who-touched-what) vectors
    n_keywords: int = 4
    n_representatives: int = 5

    def __post_init__(self) -> None:
        if self.n_fine is not None and self.n_fine < 2:
            raise ValueError("HierarchyConfig.n_fine must be at least 2")
        if self.n_themes is not None and self.n_themes < 2:
            raise ValueError("HierarchyConfig.n_themes must be at least 2")
        if self.n_fine is not None and self.n_themes is not None and self.n_themes > self.n_fine:
            raise ValueError("HierarchyConfig.n_themes cannot exceed n_fine")
        if self.max_themes is not None and self.max_themes < 2:
            raise ValueError("HierarchyConfig.max_themes must be at least 2")
        if self.collab_dim < 2:
            raise ValueError("HierarchyConfig.collab_dim must be at least 2")


@dataclass(frozen=True, slots=True)
class InterestModelConfig:
    """The hierarchical long/short-term user model and its training."""

    dim: int = 64
    max_history: int = 100  # most recent distinct items the long-term branch reads
    short_window: int = 5  # most recent items the short-term branch reads
    session_gap_minutes: float = 30.0  # events closer than this belong to one session
    half_life_days: float = 30.0  # starting value of the learned long-term time decay
    use_item_ids: bool = True  # add a learned per-item vector to the projected text
    id_dropout: float = 0.5  # share of training steps an item's id vector is hidden (cold items)
    epochs: int = 8  # the budget the learning rate decays over (see lr_schedule)
    # at most this many training examples seen in all (epochs x examples): a catalogue with a
    # million events gets 3 passes, not 8, each of which already holds 12 of a 100k-event set's
    max_examples: int = 3_000_000
    # at most this many of one user's positions per epoch, drawn afresh every epoch (0: all): a
    # rater with 2,000 items would otherwise be 2,000 examples of every epoch, the median user 70
    examples_per_user: int = 0
    batch_size: int = 256
    learning_rate: float = 5e-3
    weight_decay: float = 1e-5
    n_negatives: int = 4096  # catalogue items per step; all items when the catalogue is smaller
    # the text features' top singular directions the item tower reads (0: all of them); a
    # training step's gather and projection of the catalogue's text scale with it
    text_components: int = 0
    temperature: float = 0.07
    branch_loss_weight: float = 0.5  # each branch also learns to predict alone
    proxy_loss_weight: float = 0.1  # CLSR-style long/short contrastive proxies
    patience: int = 2  # epochs without a better validation NDCG@10 before stopping
    gate_inputs: str = "summary"  # "summary": the 5 summaries (GATE_SUMMARIES); "vectors": both branch vectors too
    lr_schedule: str = "linear"  # "linear": decays to 0 over the epoch budget; or "constant"

    def __post_init__(self) -> None:
        if self.dim < 2 or self.max_history < 1 or self.short_window < 1:
            raise ValueError("InterestModelConfig: dim >= 2, max_history >= 1, short_window >= 1")
        if self.short_window > self.max_history:
            raise ValueError("InterestModelConfig.short_window cannot exceed max_history")
        if self.gate_inputs not in ("summary", "vectors", "legacy"):  # legacy: builds from before the setting
            raise ValueError(f"InterestModelConfig.gate_inputs must be 'summary' or 'vectors', got {self.gate_inputs!r}")
        if self.lr_schedule not in ("constant", "linear"):
            raise ValueError(f"InterestModelConfig.lr_schedule must be 'constant' or 'linear', got {self.lr_schedule!r}")
        if not 0.0 <= self.id_dropout <= 1.0:
            raise ValueError("InterestModelConfig.id_dropout must be in [0, 1]")
        if self.examples_per_user < 0:
            raise ValueError("InterestModelConfig.examples_per_user must be >= 0 (0: every position)")
        if self.text_components < 0:
            raise ValueError("InterestModelConfig.text_components must be >= 0 (0: all of the text features)")
        if self.epochs < 1 or self.batch_size < 2 or self.max_examples < 1:
            raise ValueError("InterestModelConfig: epochs >= 1, batch_size >= 2, max_examples >= 1")


@dataclass(frozen=True, slots=True)
class LinksConfig:
    """Items chosen together, the item-to-item part of the short-term score (see
    :mod:`recsys_core.interests.links`)."""

    enabled: bool = True
    l2: float = 200.0  # ridge penalty of the closed-form fit (EASE's lambda)
    min_count: int = 2  # items chosen by fewer users get no links
    max_items: int = 10_000  # at most this many (the most chosen) items: the fit solves a dense system of this size
    top_k: int = 100  # links kept per item
    window: int = 20  # newest history items whose links are read
    decay_items: float = 5.0  # an item's links weigh exp(-position / decay_items), newest = position 0
    weights: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)  # candidates for the links' weight, chosen on validation
    transitions: bool = True  # add the "next" links (what follows what) to the "together" links
    transition_l2: float = 50.0  # ridge penalty of the "next" fit
    shares: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 4.0)  # candidates for the "next" links' share, chosen with the weight
    choice_users: int = 5_000  # validation users the weight and share are chosen on (a seeded sample when more)

    def __post_init__(self) -> None:
        if self.l2 <= 0 or self.min_count < 1 or self.max_items < 2 or self.top_k < 1 or self.window < 1:
            raise ValueError("LinksConfig: l2 > 0, min_count >= 1, max_items >= 2, top_k >= 1, window >= 1")
        if self.decay_items <= 0 or not self.weights or min(self.weights) < 0:
            raise ValueError("LinksConfig: decay_items > 0 and at least one weight, none negative")
        if self.transition_l2 <= 0 or not self.shares or min(self.shares) < 0 or self.choice_users < 1:
            raise ValueError("LinksConfig: transition_l2 > 0, at least one share, none negative, choice_users >= 1")


@dataclass(frozen=True, slots=True)
class RecommendConfig:
    """Defaults of a recommendation call."""

    n: int = 10
    diversity: float = 0.0  # MMR weight in [0, 1]; 0 = pure relevance
    interest_threshold: float = 0.25  # cosine of item text to the interest description
    interest_boost: float = 1.0  # weight of that cosine added to the score
    dislike_threshold: float | None = None  # cosine to a disliked concept that drops an item; None = interest_threshold
    # a disliked concept at least this close to a liked one ("green tea" in "tea but not green tea") only drops the
    # items closer to it than to the liked concept, not all above dislike_threshold; None = no exception
    dislike_refines_at: float | None = 0.5
    reading_interests: int = 2  # nearest fine interests named beside each concept of a description ("≈ A · B")
    n_evidence: int = 3  # history items kept as evidence per recommendation
    mmr_pool: int = 200  # candidates considered by the diversity re-ranker
    score_batch_cells: int = 1 << 24  # users x items scored at once by --all-users (about 64 MB per float32 matrix)
    # threads each BLAS or torch kernel of --all-users may use: the pass runs threads of its own (groups scored
    # ahead, states read ahead, lists assembled), and kernels spread over more spin against them
    kernel_threads: int = 1
    score_ahead: int = 2  # groups of --all-users scored (each in a thread and a buffer of its own) while one is assembled

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError("RecommendConfig.n must be at least 1")
        if not 0.0 <= self.diversity <= 1.0:
            raise ValueError("RecommendConfig.diversity must be in [0, 1]")
        if self.reading_interests < 0:
            raise ValueError("RecommendConfig.reading_interests must be >= 0")
        if self.kernel_threads < 1 or self.score_ahead < 1:
            raise ValueError("RecommendConfig.kernel_threads and score_ahead must be at least 1")


@dataclass(frozen=True, slots=True)
class SASRecConfig:
    """The SASRec baseline (Kang & McAuley 2018) and its training.

    Trained with full-softmax cross-entropy over the catalogue and early stopping on the
    validation NDCG@10, like the interest model, so the two are compared on equal terms.
    """

    dim: int = 64
    n_blocks: int = 2
    n_heads: int = 1
    dropout: float = 0.2
    max_len: int = 200  # most recent items a sequence is read by
    batch_size: int = 32  # windows (of at most max_len targets) per step; 128 gives too few steps on small data
    learning_rate: float = 1e-3
    max_epochs: int = 200
    patience: int = 5  # epochs without a better validation NDCG@10 before stopping

    def __post_init__(self) -> None:
        if self.dim < 2 or self.n_blocks < 1 or self.n_heads < 1 or self.dim % self.n_heads:
            raise ValueError("SASRecConfig: dim >= 2, n_blocks >= 1, n_heads >= 1 dividing dim")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("SASRecConfig.dropout must be in [0, 1)")
        if self.max_len < 1 or self.batch_size < 1 or self.max_epochs < 1 or self.patience < 1:
            raise ValueError("SASRecConfig: max_len, batch_size, max_epochs and patience must be >= 1")
        if not self.learning_rate > 0:
            raise ValueError("SASRecConfig.learning_rate must be positive")


@dataclass(frozen=True, slots=True)
class EvaluationConfig:
    """The offline evaluation protocol."""

    ks: tuple[int, ...] = (10, 20)
    recent_items: int = 3  # history length of the "recent items" kNN baseline
    alpha_steps: int = 11  # fixed alphas 0, 0.1, ..., 1
    light_user_max_items: int | None = None  # "light" users have at most this many items; None = the median
    bootstrap_samples: int = 2000  # paired bootstrap over users for "is this gap real?"
    confidence: float = 0.95
    sasrec: SASRecConfig = field(default_factory=SASRecConfig)  # the sequential baseline


@dataclass(frozen=True, slots=True)
class ExplainConfig:
    """Who writes the one-sentence reasons, and how long they may take.

    ``backend``: "local" (the packaged Gemma 3 270M through llama-cpp-python), "openai" (any
    OpenAI-compatible chat-completions endpoint at ``endpoint_url``), or "template" (no LLM).
    Whatever the backend, a slow, failing or unfaithful answer falls back to the template.
    """

    backend: str = "local"
    timeout_seconds: float = 4.0  # per explanation, generation included; then the template is used
    list_budget_seconds: float = 10.0  # per shown list, from when it is shown: items not written by then get the template
    settle_seconds: float = 0.6  # a list that replaces the viewer's previous one waits this long before the LLM starts
    max_tokens: int = 48
    temperature: float = 0.0
    local_threads: int = 2
    local_context: int = 1024
    endpoint_url: str | None = None  # e.g. http://localhost:11434/v1 (Ollama) or https://api.openai.com/v1
    endpoint_model: str = "gpt-4o-mini"
    endpoint_key: str | None = None
    description_words: int = 30  # words of the candidate's own text put in the prompt
    n_evidence: int = 2  # history items cited in the sentence
    name_interests: bool = True  # let the LLM name fine interests and themes after a build

    def __post_init__(self) -> None:
        if self.backend not in ("local", "openai", "template"):
            raise ValueError(f"ExplainConfig.backend must be local, openai or template, got {self.backend!r}")
        if self.settle_seconds < 0:
            raise ValueError("ExplainConfig needs settle_seconds >= 0")
        if self.timeout_seconds <= 0 or self.list_budget_seconds <= 0 or self.max_tokens < 8:
            raise ValueError("ExplainConfig needs timeout_seconds > 0, list_budget_seconds > 0 and max_tokens >= 8")
        if self.backend == "openai" and not self.endpoint_url:
            raise ValueError("ExplainConfig.backend 'openai' needs endpoint_url (RECSYS_LLM_URL)")
        if self.endpoint_url is not None:
            check_endpoint_url(self.endpoint_url)


def check_endpoint_url(url: str) -> str:
    """An LLM endpoint is an http(s) URL with a host: a file path, ``file://`` or a bare word is
    refused before anything is opened."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    try:
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError:
        raise ValueError(f"the LLM endpoint {url!r} has a bad port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url.strip()):
        raise ValueError(f"the LLM endpoint must be an http:// or https:// URL with a host, such as "
                         f"http://localhost:11434/v1, not {url!r}")
    return url.strip()


@dataclass(frozen=True, slots=True)
class PopulationConfig:
    """Trends and adoption across all users (:mod:`recsys_core.population`)."""

    period: str = "auto"  # week, month, quarter; auto: weeks up to 2 years of data, months up to 10
    recent_share: float = 0.5  # the recent part of the data's time span, compared with the part before
    hold_share: float = 0.3  # a user holds an interest with at least this share of a branch's window
    n_boot: int = 400  # user-level bootstrap resamples for the change intervals
    interval: float = 0.9  # coverage of the change intervals
    seed: int = 17
    session_dominance: float = 0.5  # a session is on an interest holding at least this share of its items
    min_prior_sessions: int = 2  # an adoption needs this much history before the burst ...
    min_prior_items: int = 3
    new_share: float = 0.1  # ... of which at most this share on the adopted interest
    burst_sessions: int = 2  # a burst: this many sessions in a row on the new interest
    min_return_sessions: int = 1  # sessions after the burst that come back to it
    adopt_share: float = 0.2  # its share of the items after the burst

    def __post_init__(self) -> None:
        if self.period not in ("auto", "week", "month", "quarter"):
            raise ValueError(f"PopulationConfig.period must be auto, week, month or quarter, got {self.period!r}")
        for name in ("recent_share", "hold_share", "session_dominance", "new_share", "adopt_share"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ValueError(f"PopulationConfig.{name} must be between 0 and 1")
        if not 0.5 <= self.interval < 1.0 or self.n_boot < 50:
            raise ValueError("PopulationConfig: interval in [0.5, 1), n_boot >= 50")


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Where the heavy stages run: in this process (no address, the default) or on a Ray
    cluster (:mod:`recsys_core.cluster`)."""

    address: str | None = None  # "HOST:PORT" of a running cluster's head, "auto", or None = in-process
    shared_dir: Path | None = None  # a folder every node reads and writes (snapshots, results); default: a temp folder
    workers: int | None = None  # model workers (one per CPU); None = the cluster's CPU count
    threads_per_worker: int = 1  # torch / ONNX Runtime threads in each worker
    min_texts: int = 256  # fewer texts than this are embedded here, not sent to the cluster

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1 or self.threads_per_worker < 1:
            raise ValueError("ClusterConfig: workers and threads_per_worker must be at least 1")


@dataclass(frozen=True, slots=True)
class DisplayConfig:
    """How much the pages and reports show at once."""

    timeline_rows: int = 30  # a user's timeline folds the interests past this many into one row
    preview_rows: int = 500  # rows of a table the data page shows (a search finds the others)

    def __post_init__(self) -> None:
        if self.timeline_rows < 2 or self.preview_rows < 1:
            raise ValueError("DisplayConfig: timeline_rows must be at least 2 and preview_rows at least 1")


@dataclass(frozen=True, slots=True)
class RecsysConfig:
    """Root of the configuration tree."""

    store: StoreConfig = field(default_factory=StoreConfig)
    imports: ImportConfig = field(default_factory=ImportConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    hierarchy: HierarchyConfig = field(default_factory=HierarchyConfig)
    model: InterestModelConfig = field(default_factory=InterestModelConfig)
    links: LinksConfig = field(default_factory=LinksConfig)
    recommend: RecommendConfig = field(default_factory=RecommendConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    explain: ExplainConfig = field(default_factory=ExplainConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    display: DisplayConfig = field(default_factory=DisplayConfig)
    sample_dir: Path = DEFAULT_SAMPLE_DIR
    seed: int = 42
    torch_threads: int = 2

    @property
    def db_path(self) -> Path:
        return self.store.db_path

    def with_epochs(self, epochs: int) -> RecsysConfig:
        """The same configuration with an epoch budget of ``epochs`` for the interest model and the
        evaluation's SASRec baseline alike (both still stop early on validation)."""
        return replace(self, model=replace(self.model, epochs=epochs),
                       evaluation=replace(self.evaluation, sasrec=replace(self.evaluation.sasrec, max_epochs=epochs)))

    def with_db(self, path: str | os.PathLike[str]) -> RecsysConfig:
        """Return a copy that points at another database file."""
        return replace(self, store=replace(self.store, db_path=Path(path)))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> RecsysConfig:
        """Build the default config, overridden by ``RECSYS_*`` environment variables.

        Recognised: ``RECSYS_DB`` (database file), ``RECSYS_SAMPLE_DIR``, ``RECSYS_SEED``,
        ``RECSYS_THREADS`` (DuckDB and torch threads), ``RECSYS_EMBEDDING_MODEL``
        (a sentence-transformers folder or name, or ``hashing-N`` for dry runs),
        ``RECSYS_EMBEDDING_BACKEND`` (torch, onnx or onnx-int8), ``RECSYS_EPOCHS``,
        ``RECSYS_TEXT_COMPONENTS`` and ``RECSYS_EXAMPLES_PER_USER`` (the model's training savings),
        ``RECSYS_RAY_ADDRESS`` and ``RECSYS_RAY_SHARED_DIR`` (run the heavy stages on a Ray cluster),
        and for explanations ``RECSYS_LLM_BACKEND`` (local, openai, template), ``RECSYS_LLM_URL``,
        ``RECSYS_LLM_MODEL``, ``RECSYS_LLM_API_KEY`` (or ``OPENAI_API_KEY``), ``RECSYS_LLM_TIMEOUT``
        (per explanation), ``RECSYS_LLM_BUDGET`` (per shown list). Setting ``RECSYS_LLM_URL`` alone selects the endpoint backend.
        """
        env = os.environ if environ is None else environ
        cfg = cls()
        if env.get("RECSYS_DB"):
            cfg = cfg.with_db(env["RECSYS_DB"])
        if env.get("RECSYS_SAMPLE_DIR"):
            cfg = replace(cfg, sample_dir=Path(env["RECSYS_SAMPLE_DIR"]))
        if env.get("RECSYS_SEED"):
            cfg = replace(cfg, seed=_env_number(env, "RECSYS_SEED", int, minimum=0))
        if env.get("RECSYS_THREADS"):
            n = _env_number(env, "RECSYS_THREADS", int, minimum=1)
            cfg = replace(cfg, torch_threads=n, store=replace(cfg.store, threads=n))
        if env.get("RECSYS_EPOCHS"):
            cfg = cfg.with_epochs(_env_number(env, "RECSYS_EPOCHS", int, minimum=1))
        for name, setting in (("RECSYS_TEXT_COMPONENTS", "text_components"),
                              ("RECSYS_EXAMPLES_PER_USER", "examples_per_user")):
            if env.get(name):  # training savings, off by default (README: what they cost)
                cfg = replace(cfg, model=replace(cfg.model, **{setting: _env_number(env, name, int, minimum=0)}))
        if env.get("RECSYS_EMBEDDING_MODEL"):
            cfg = replace(cfg, embedding=replace(cfg.embedding, model=env["RECSYS_EMBEDDING_MODEL"]))
        if env.get("RECSYS_EMBEDDING_BACKEND"):
            chosen = env["RECSYS_EMBEDDING_BACKEND"].strip().lower()
            if chosen not in ("torch", "onnx", "onnx-int8"):
                raise ConfigError(f"RECSYS_EMBEDDING_BACKEND={env['RECSYS_EMBEDDING_BACKEND']!r} is not a backend: use "
                                  "torch (the default), onnx or onnx-int8 (ONNX Runtime, int8 weights)")
            cfg = replace(cfg, embedding=replace(cfg.embedding, backend=chosen))
        if env.get("RECSYS_RAY_ADDRESS") or env.get("RECSYS_RAY_SHARED_DIR"):
            shared = env.get("RECSYS_RAY_SHARED_DIR")
            cfg = replace(cfg, cluster=replace(cfg.cluster, address=env.get("RECSYS_RAY_ADDRESS") or None,
                                               shared_dir=Path(shared) if shared else None))
        url = env.get("RECSYS_LLM_URL") or None
        backend = (env.get("RECSYS_LLM_BACKEND") or ("openai" if url else cfg.explain.backend)).strip().lower()
        if backend not in ("local", "openai", "template"):
            raise ConfigError(f"RECSYS_LLM_BACKEND={env.get('RECSYS_LLM_BACKEND')!r} is not a backend: use local "
                              "(the packaged model), openai (with RECSYS_LLM_URL) or template (no LLM)")
        if backend == "openai" and not url:
            raise ConfigError("RECSYS_LLM_BACKEND=openai needs RECSYS_LLM_URL, the endpoint's base URL "
                              "(for example http://localhost:11434/v1)")
        if url is not None:
            try:
                url = check_endpoint_url(url)
            except ValueError as exc:
                raise ConfigError(f"RECSYS_LLM_URL: {exc}") from None
        timeout = cfg.explain.timeout_seconds
        if env.get("RECSYS_LLM_TIMEOUT"):
            timeout = _env_number(env, "RECSYS_LLM_TIMEOUT", float, minimum=0.1)
        budget = cfg.explain.list_budget_seconds
        if env.get("RECSYS_LLM_BUDGET"):
            budget = _env_number(env, "RECSYS_LLM_BUDGET", float, minimum=0.1)
        cfg = replace(cfg, explain=replace(
            cfg.explain, backend=backend, endpoint_url=url,
            endpoint_model=env.get("RECSYS_LLM_MODEL") or cfg.explain.endpoint_model,
            endpoint_key=env.get("RECSYS_LLM_API_KEY") or env.get("OPENAI_API_KEY") or None,
            timeout_seconds=timeout, list_budget_seconds=budget))
        return cfg


def _env_number(env: Mapping[str, str], name: str, kind: type[int] | type[float],
                minimum: float) -> Any:
    """``env[name]`` as an int or float of at least ``minimum``, or a ConfigError naming the variable."""
    raw = env[name].strip()
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not {'a whole number' if kind is int else 'a number'}") from None
    if not value >= minimum:  # NaN fails too
        raise ConfigError(f"{name}={raw!r} must be at least {minimum:g}")
    return value
