"""Jobs on a Ray cluster: item texts embedded, and every user's list ranked, by Ray Data.

Each job writes its input as Parquet into a fresh folder under the shared folder, reads it with
Ray Data, maps it with a class (``map_batches`` on an actor pool: each worker loads the encoder
or the served model once, then takes batch after batch), writes the output as Parquet beside
it, and reads that back here. The folder is removed afterwards, whatever happened. Nothing in
the store changes until the caller writes the results; a job that fails raises
:class:`ClusterError` and returns nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from recsys_core.config import ClusterConfig, EmbeddingConfig, RecsysConfig
from recsys_core.errors import RecsysError

_log = logging.getLogger(__name__)
_lock = threading.Lock()


class ClusterError(RecsysError):
    """The cluster cannot be reached, or a job on it failed."""


def connect(cluster: ClusterConfig) -> Any:
    """Join the named cluster once per process (this package goes to the workers with the job)."""
    if not cluster.address:
        raise ClusterError("no Ray cluster named: pass --ray ADDRESS or set RECSYS_RAY_ADDRESS")
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ClusterError(f"running on a cluster needs Ray ({exc}); run `pip install -r requirements.txt`") from None
    with _lock:
        if not ray.is_initialized():
            import recsys_core

            _check_reachable(cluster.address)
            os.environ.setdefault("RAY_DISABLE_USAGE_STATS", "1")
            try:
                ray.init(address=cluster.address, log_to_driver=False, logging_level=logging.WARNING,
                         runtime_env={"py_modules": [recsys_core], "env_vars": {"HF_HUB_OFFLINE": "1"}})
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ClusterError(f"cannot join the Ray cluster at {cluster.address}: {exc}") from None
        for name in ("ray", "ray.data"):  # its progress lines would bury the command's own output
            logging.getLogger(name).setLevel(logging.WARNING)
        context = ray.data.DataContext.get_current()
        context.use_datasource_v2 = False  # its file listing takes a CPU the workers hold: a one-CPU node waits forever
        context.enable_progress_bars = False
    return ray


def _check_reachable(address: str, seconds: float = 5.0) -> None:
    """Fail at once when nothing listens at ``HOST:PORT`` (Ray itself retries for minutes)."""
    if address in ("auto", "local") or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=seconds):
            pass
    except ValueError:
        raise ClusterError(f"--ray {address!r} is not HOST:PORT (for example 10.0.0.5:6379)") from None
    except OSError as exc:
        raise ClusterError(f"no Ray cluster answers at {address} ({exc.strerror or exc}); start one with "
                           f"`ray start --head --port {port}` or check the address") from None


def _workers(ray: Any, cluster: ClusterConfig) -> int:
    return cluster.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))


@contextlib.contextmanager
def job_folder(cluster: ClusterConfig) -> Iterator[Path]:
    """A fresh folder for one job's files under the shared folder, removed afterwards."""
    base = cluster.shared_dir or Path(tempfile.gettempdir()) / "recsys-cluster"
    folder = base / f"job-{uuid.uuid4().hex[:12]}"
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise ClusterError(f"cannot write the job's files in {base}: {exc.strerror or exc}") from None
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(what: str, step: Callable[[], Any]) -> Any:
    try:
        return step()
    except ClusterError:
        raise
    except Exception as exc:  # noqa: BLE001 - a job's failure, whatever its kind, is one clear message
        raise ClusterError(f"the cluster job ({what}) failed: {str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__}") from exc


# ---------------------------------------------------------------------- embedding
class EncodeTexts:
    """A Ray Data worker: loads the configured encoder once, embeds batch after batch."""

    def __init__(self, embedding: EmbeddingConfig, threads: int) -> None:
        from recsys_core.embeddings.factory import make_embedder

        self.embedder = make_embedder(embedding, threads)

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        vectors = self.embedder.encode(batch.column("text").to_pylist()).astype(np.float32)
        flat = pa.array(vectors.ravel(), pa.float32())
        return pa.table({"row": batch.column("row"),
                         "vector": pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1])})


def embed_on_cluster(texts: Sequence[str], embedding: EmbeddingConfig, cluster: ClusterConfig,
                     on_progress: Callable[[int, int], None] | None = None) -> npt.NDArray[np.float32]:
    """``(len(texts), dim)`` vectors of ``texts``, made by the cluster's workers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ray = connect(cluster)
    total = len(texts)
    if on_progress is not None:
        on_progress(0, total)
    with job_folder(cluster) as folder:
        pq.write_table(pa.table({"row": np.arange(total, dtype=np.int64), "text": [str(t) for t in texts]}),
                       folder / "texts.parquet", row_group_size=embedding.chunk_size)
        workers = _workers(ray, cluster)

        def job() -> None:
            data = ray.data.read_parquet(str(folder / "texts.parquet"), ray_remote_args={"num_cpus": 0},
                                         override_num_blocks=max(1, min(4 * workers, -(-total // embedding.chunk_size))))
            data = data.map_batches(EncodeTexts, fn_constructor_kwargs={"embedding": embedding,
                                                                        "threads": cluster.threads_per_worker},
                                    batch_size=embedding.chunk_size, batch_format="pyarrow",
                                    compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1)
            data.write_parquet(str(folder / "vectors"), ray_remote_args={"num_cpus": 0})

        _run("embedding", job)
        table = pq.read_table(folder / "vectors")
    rows = table.column("row").to_numpy()
    vectors = np.stack(table.column("vector").to_numpy(zero_copy_only=False)).astype(np.float32)
    if len(rows) != total or set(rows.tolist()) != set(range(total)):
        raise ClusterError(f"the cluster returned {len(rows)} vectors for {total} texts")
    out = np.empty_like(vectors)
    out[rows] = vectors
    if on_progress is not None:
        on_progress(total, total)
    return out


class ClusterEmbedder:
    """An encoder whose large jobs run on the cluster: same name, same vectors (up to rounding)
    as the local encoder it wraps, so the store's cache does not tell them apart; a handful of
    texts (a search, a profile) are embedded here rather than sent out."""

    def __init__(self, local: Any, embedding: EmbeddingConfig, cluster: ClusterConfig) -> None:
        self.local, self.embedding, self.cluster = local, embedding, cluster

    @property
    def name(self) -> str:
        return str(self.local.name)

    @property
    def dim(self) -> int:
        return int(self.local.dim)

    def encode(self, texts: Sequence[str],
               on_progress: Callable[[int, int], None] | None = None) -> npt.NDArray[np.float32]:
        if len(texts) < self.cluster.min_texts:
            return self.local.encode(texts, on_progress=on_progress)  # type: ignore[no-any-return]
        return embed_on_cluster(texts, self.embedding, self.cluster, on_progress)


# ---------------------------------------------------------------------- every user's list
class RankUsers:
    """A Ray Data worker: loads the store snapshot and the served model once, then ranks the
    users of batch after batch with the engine's own ``recommend_many``."""

    def __init__(self, snapshot: str, config: RecsysConfig, options: dict[str, Any]) -> None:
        from recsys_core.cluster.snapshot import load_snapshot
        from recsys_core.data.store import MEMORY
        from recsys_core.engine import RecsysEngine

        local = replace(config, cluster=ClusterConfig(), store=replace(config.store, db_path=Path(MEMORY)))
        self.engine = RecsysEngine(local).open()
        load_snapshot(self.engine.store, Path(snapshot))
        self.options = options

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        users = batch.column("user_id").to_pylist()
        lists = self.engine.recommend_many(users, **self.options)
        payload = [json.dumps({"rows": r.rows(), "note": r.note,
                               "reading": None if r.interest_reading is None else r.interest_reading.summary()})
                   for r in lists]
        return pa.table({"row": batch.column("row"), "result": pa.array(payload, pa.string())})


def recommend_on_cluster(store: Any, config: RecsysConfig, users: Sequence[str],
                         options: dict[str, Any]) -> list[dict[str, Any]]:
    """Each user's list (``RecommendationList.rows``, its note and the interest reading), in
    the order of ``users``, ranked by the cluster's workers from a snapshot of ``store``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from recsys_core.cluster.snapshot import write_snapshot

    ray = connect(config.cluster)
    with job_folder(config.cluster) as folder:
        write_snapshot(store, folder / "store", skip=("explanations", "evaluation_users"))
        pq.write_table(pa.table({"row": np.arange(len(users), dtype=np.int64), "user_id": [str(u) for u in users]}),
                       folder / "users.parquet")
        workers = _workers(ray, config.cluster)
        threads = config.cluster.threads_per_worker

        def job() -> None:
            data = ray.data.read_parquet(str(folder / "users.parquet"), ray_remote_args={"num_cpus": 0},
                                         override_num_blocks=max(1, min(4 * workers, -(-len(users) // 256))))
            worker_config = replace(config, torch_threads=threads, store=replace(config.store, threads=threads))
            data = data.map_batches(RankUsers, fn_constructor_kwargs={"snapshot": str(folder / "store"),
                                                                      "config": worker_config, "options": options},
                                    batch_size=256, batch_format="pyarrow",
                                    compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1)
            data.write_parquet(str(folder / "lists"), ray_remote_args={"num_cpus": 0})

        _run("recommendations", job)
        table = pq.read_table(folder / "lists")
    order = np.argsort(table.column("row").to_numpy(), kind="stable")
    results = table.column("result").to_pylist()
    if len(results) != len(users):
        raise ClusterError(f"the cluster returned {len(results)} lists for {len(users)} users")
    return [json.loads(results[i]) for i in order]


# ---------------------------------------------------------------------- training
def _train_worker(job: dict[str, Any]) -> None:
    """One Ray Train worker: the product's own training loop on its share of every batch, the
    gradients averaged across workers (DistributedDataParallel); the first worker writes the
    weights and the epochs' figures to the job folder."""
    import pickle

    import ray.train
    import ray.train.torch
    import torch

    from recsys_core.interests.train import train_interest_model

    torch.set_num_threads(int(job["threads"]))
    with open(job["inputs"], "rb") as handle:
        inputs = pickle.load(handle)  # noqa: S301 - written by this job's driver a moment ago
    context = ray.train.get_context()
    rank, world = context.get_world_rank(), context.get_world_size()
    model, epochs = train_interest_model(
        **inputs, shard=(rank, world),
        prepare=lambda m: ray.train.torch.prepare_model(m, parallel_strategy_kwargs={"find_unused_parameters": True}))
    if rank == 0:
        target = Path(job["output"])
        partial = target.with_suffix(".partial")
        torch.save({"state_dict": model.state_dict(), "epochs": [dataclasses.asdict(e) for e in epochs]}, partial)
        partial.replace(target)


def train_on_cluster(cluster: ClusterConfig, **inputs: Any) -> tuple[Any, list[Any]]:
    """:func:`recsys_core.interests.train.train_interest_model` run data-parallel by Ray
    Train's ``TorchTrainer``, one worker per CPU; returns the trained model and its epochs."""
    import pickle

    import torch
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    from recsys_core.interests.model import model_from_state
    from recsys_core.interests.train import EpochStats

    ray = connect(cluster)
    inputs = {k: v for k, v in inputs.items() if k != "on_epoch"}
    with job_folder(cluster) as folder:
        with open(folder / "inputs.pkl", "wb") as handle:
            pickle.dump(inputs, handle, protocol=pickle.HIGHEST_PROTOCOL)
        trainer = TorchTrainer(
            _train_worker,
            train_loop_config={"inputs": str(folder / "inputs.pkl"), "output": str(folder / "model.pt"),
                               "threads": cluster.threads_per_worker},
            scaling_config=ScalingConfig(num_workers=_workers(ray, cluster), use_gpu=False,
                                         resources_per_worker={"CPU": 1}),
            run_config=RunConfig(storage_path=str(folder / "train"), name="interest-model"))
        _run("training", trainer.fit)
        if not (folder / "model.pt").is_file():
            raise ClusterError("the cluster's training finished without writing the model")
        result = torch.load(folder / "model.pt", weights_only=False)
    model = model_from_state(inputs["config"], result["state_dict"], inputs["text_features"],
                             inputs["fine_of_item"], inputs["theme_of_fine"])
    return model, [EpochStats(**e) for e in result["epochs"]]
