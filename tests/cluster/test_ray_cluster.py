"""A real two-node Ray cluster on loopback (``ray start --head`` plus ``ray start --address``,
one CPU each): the sample built through it embeds the same vectors and ranks the same lists as
the build in this process, and a build killed while its cluster job runs leaves the database as
it was. The commands run as a user runs them (``python -m recsys_core ... --ray ADDRESS``)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
RAY = Path(sys.executable).parent / "ray"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_DISABLE_USAGE_STATS": "1", "HF_HUB_OFFLINE": "1",
       "RECSYS_EPOCHS": "2", "RECSYS_LLM_BACKEND": "template"}

pytest.importorskip("ray", reason="Ray is in requirements.txt; without it there is no cluster to test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ray(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RAY), *args], env=ENV, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """Head and one more node on 127.0.0.1, one CPU each; stopped afterwards."""
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths live under it
    address = f"127.0.0.1:{port}"
    try:
        head = _ray("start", "--head", "--port", str(port), "--num-cpus", "1", "--node-ip-address", "127.0.0.1",
                    "--temp-dir", temp, "--include-dashboard", "false", "--disable-usage-stats")
        assert head.returncode == 0, head.stderr[-2000:]
        node = _ray("start", "--address", address, "--num-cpus", "1", "--node-ip-address", "127.0.0.1")
        assert node.returncode == 0, node.stderr[-2000:]
        deadline = time.monotonic() + 60
        while True:
            status = _ray("status", "--address", address).stdout
            if status.count(" node_") >= 2:
                break
            assert time.monotonic() < deadline, f"the second node never joined:\n{status}"
            time.sleep(1)
        yield address
    finally:
        _ray("stop", "--force")
        shutil.rmtree(temp, ignore_errors=True)


def _cli(db: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "recsys_core", "--db", str(db), *args], env=ENV, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{args} failed:\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample generator's shop at a small size, imported, nothing built or embedded yet."""
    from recsys_core.synthetic.sample_files import write_sample

    folder = tmp_path_factory.mktemp("cluster_shop")
    write_sample(folder / "files", n_items=800, n_users=200, seed=5)
    _cli(folder / "shop.duckdb", "sample", "--from", str(folder / "files"))
    return folder / "shop.duckdb"


def _vectors(db: Path) -> dict[str, np.ndarray]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {h: np.asarray(v, np.float32) for h, v in con.execute("SELECT text_hash, vector FROM text_embeddings").fetchall()}


def _item_text_hashes(db: Path) -> set[str]:
    from recsys_core.data.frames import load_catalogue
    from recsys_core.data.store import Store
    from recsys_core.embeddings.cache import text_hash

    with Store(db) as store:
        return {text_hash(t) for t in load_catalogue(store)["embed_text"]}


def _copy_vectors(source: Path, target: Path, but: set[str]) -> None:
    """Cache ``source``'s vectors in ``target``, all but those of the texts ``but``: the
    hierarchy's thousands of label candidates need not be embedded a second time for the check,
    which compares the item texts' vectors (the same code path on the workers)."""
    with duckdb.connect(str(target)) as con:
        con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
        con.execute("CREATE TEMP TABLE but (text_hash VARCHAR)")
        con.executemany("INSERT INTO but VALUES (?)", [[h] for h in sorted(but)])
        con.execute("INSERT INTO text_embeddings SELECT * FROM src.text_embeddings "
                    "WHERE text_hash NOT IN (SELECT text_hash FROM but)")


def _lists(output: str) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for row in json.loads(output):
        lists.setdefault(row["user_id"], []).append(row["item_id"])
    return lists


def _counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # type: ignore[index]


def test_the_sample_built_on_the_cluster_matches_the_build_here(cluster: str, shop: Path, tmp_path: Path) -> None:
    local, remote = tmp_path / "local.duckdb", tmp_path / "remote.duckdb"
    shutil.copy(shop, local)
    shutil.copy(shop, remote)
    shared = tmp_path / "shared"
    on_cluster = ("--ray", cluster, "--ray-shared-dir", str(shared))
    _cli(local, "build", "--no-names")
    items = _item_text_hashes(remote)  # a copy: the module's shared shop is never opened for writing
    _copy_vectors(local, remote, but=items)
    _cli(remote, "build", "--no-names", *on_cluster)
    with duckdb.connect(str(remote), read_only=True) as con:
        stats = json.loads(con.execute("SELECT stats FROM builds ORDER BY build_id DESC LIMIT 1").fetchone()[0])
    assert stats["cluster"] == cluster  # trained there (Ray Train), not here
    here, there = _vectors(local), _vectors(remote)
    assert len(items) == 800 and set(there) == set(here)
    cosines = np.array([float(here[h] @ there[h]) for h in items])  # every item text, embedded by the workers
    assert cosines.min() >= 0.999, f"vectors from the cluster differ: cosine min {cosines.min():.6f}"

    mine = _lists(_cli(local, "recommend", "--all-users", "--n", "10").stdout)
    theirs = _lists(_cli(remote, "recommend", "--all-users", "--n", "10", *on_cluster).stdout)
    assert set(theirs) == set(mine) and len(mine) == 200
    overlap = np.mean([len(set(mine[u]) & set(theirs[u])) / 10 for u in mine])
    assert overlap >= 0.9, f"top-10 overlap {overlap:.3f}"
    # the lists the workers ranked on the cluster's snapshot are the lists this process ranks on the same build
    assert _lists(_cli(remote, "recommend", "--all-users", "--n", "10").stdout) == theirs
    assert not any(shared.iterdir())  # each job's files are removed afterwards


def test_a_shared_folder_that_cannot_be_written_is_one_clear_error(cluster: str, shop: Path, tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    shutil.copy(shop, db)
    before = _counts(db)
    (tmp_path / "a-file").write_text("not a folder")
    done = subprocess.run([sys.executable, "-m", "recsys_core", "--db", str(db), "build", "--no-names", "--ray", cluster,
                           "--ray-shared-dir", str(tmp_path / "a-file" / "jobs")], env=ENV, cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 1 and "cannot write the job's files in" in done.stderr
    assert "Traceback" not in done.stderr
    assert _counts(db) == before  # no vectors, no build


def test_a_build_killed_while_its_cluster_job_runs_changes_nothing(cluster: str, shop: Path, tmp_path: Path) -> None:
    db = tmp_path / "killed.duckdb"
    shutil.copy(shop, db)
    before = _counts(db)
    shared = tmp_path / "shared"
    build = subprocess.Popen([sys.executable, "-m", "recsys_core", "--db", str(db), "build", "--no-names",
                              "--ray", cluster, "--ray-shared-dir", str(shared)],
                             env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not list(shared.glob("job-*/texts.parquet")):  # the texts went out: the job is running
            assert build.poll() is None, "the build ended before its cluster job started"
            assert time.monotonic() < deadline, "the cluster job never started"
            time.sleep(0.2)
        time.sleep(2)
        os.killpg(build.pid, signal.SIGKILL)
        build.wait(timeout=60)
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
    assert _counts(db) == before  # no vectors, no build: the database is as it was
    info = _cli(db, "info").stdout
    assert "build" in info.lower()  # and it still opens and says what it holds
