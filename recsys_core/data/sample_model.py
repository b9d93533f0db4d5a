"""The shipped sample's built model: written once by the project's own build, installed on a
fresh database so the app's first start serves recommendations without a 3-4 minute build.

A bundle is a folder of Parquet files (the build's rows: the checkpoint, interest nodes, item
placements, interest names, map positions, and the sample texts' vectors) and a
``manifest.json`` that says what it was made from:

- ``sample``: SHA-256 of the sample's CSV files;
- ``code``: SHA-256 of the sources that shape a build (the model, the training, the hierarchy,
  the item texts, the schema) and of the build settings (model, hierarchy, links, seed,
  encoder);
- ``files``: SHA-256 of every Parquet file.

It is installed only when all three still match, so an edit to the model code or a changed
setting makes the app fall back to building (``python -m recsys_core make-sample-model`` makes
a new bundle; a test says when the shipped one no longer matches the code).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

from recsys_core.config import PROJECT_ROOT, RecsysConfig
from recsys_core.data.frames import load_catalogue, load_profiles, load_review_texts
from recsys_core.data.store import Store
from recsys_core.embeddings.cache import text_hash
from recsys_core.errors import InvalidArgumentError

_log = logging.getLogger(__name__)

SAMPLE_FILES = ("items.csv", "interactions.csv", "users.csv")
# what a build's output depends on (relative to the project root); a change to any of them
# means the shipped model is no longer what this code would build
BUILD_SOURCES = (
    "recsys_core/build.py", "recsys_core/training.py", "recsys_core/maps.py", "recsys_core/data/builds.py",
    "recsys_core/data/frames.py", "recsys_core/data/histories.py", "recsys_core/data/importers.py", "recsys_core/interests", "recsys_core/embeddings",
    "recsys_core/data/migrations",
)
# the ONNX backend cannot shape the shipped model: that model is for the PyTorch encoder's name only
NOT_BUILD_SOURCES = ("recsys_core/embeddings/onnx_backend.py",)
# table -> the rows of one build (the text vectors are the encoder's, not the build's)
BUILD_TABLES = ("builds", "interest_nodes", "item_interests", "interest_names", "item_map")
MANIFEST = "manifest.json"
FORMAT = 1


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sample_fingerprint(sample_dir: Path) -> str:
    """SHA-256 over the sample's CSV files (names and bytes)."""
    h = hashlib.sha256()
    for name in SAMPLE_FILES:
        h.update(name.encode() + b"\0" + (sample_dir / name).read_bytes())
    return h.hexdigest()


def code_fingerprint(config: RecsysConfig, embedder_name: str, root: Path = PROJECT_ROOT) -> str:
    """SHA-256 over the build's sources and settings (see :data:`BUILD_SOURCES`)."""
    h = hashlib.sha256()
    for entry in BUILD_SOURCES:
        path = root / entry
        files = sorted(p for p in path.rglob("*") if p.suffix in (".py", ".sql")
                       and str(p.relative_to(root)) not in NOT_BUILD_SOURCES) if path.is_dir() else [path]
        for file in files:
            h.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes())
    settings = {"model": asdict(config.model), "hierarchy": asdict(config.hierarchy), "links": asdict(config.links),
                "seed": config.seed, "encoder": embedder_name, "format": FORMAT}
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()


def served_text_hashes(store: Store) -> list[str]:
    """Cache keys of the texts a served build embeds: item texts, joined review texts and
    profile texts (see :func:`embeddings.features.item_features` and cold-start profiles)."""
    texts = (load_catalogue(store)["embed_text"].tolist() + load_review_texts(store)["reviews"].dropna().tolist()
             + load_profiles(store)["profile_text"].tolist())
    return sorted({text_hash(str(t)) for t in texts})


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_sample_model(store: Store, build_id: int, sample_dir: Path, config: RecsysConfig, embedder_name: str,
                        out_dir: Path) -> dict[str, object]:
    """Write build ``build_id`` of ``store`` (made from the sample in ``sample_dir``) as a bundle
    in ``out_dir`` (replaced whole, but only when it is missing or an earlier bundle); returns the
    manifest.

    Raises:
        InvalidArgumentError: ``out_dir`` exists and is not a bundle (nothing is deleted).
    """
    if out_dir.exists() and not (out_dir / MANIFEST).is_file():
        raise InvalidArgumentError(f"{out_dir} exists and is not a sample model folder (no {MANIFEST}); "
                                   "name a new folder or an earlier sample model")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="sample_model_", dir=out_dir.parent))
    try:
        with store.cursor() as cur:
            for table in BUILD_TABLES:
                cur.execute(f"COPY (SELECT * FROM {table} WHERE build_id = {int(build_id)} ORDER BY ALL) "
                            f"TO {_quote(tmp / (table + '.parquet'))} (FORMAT parquet, COMPRESSION zstd)")
            # only the vectors serving reads (item texts, their reviews, profiles), not the
            # build's own (the hierarchy's label phrases): three times fewer
            cur.execute("COPY (SELECT model, text_hash, vector FROM text_embeddings WHERE model = ? AND "
                        f"list_contains(?, text_hash) ORDER BY text_hash) TO {_quote(tmp / 'text_embeddings.parquet')} "
                        "(FORMAT parquet, COMPRESSION zstd)", [embedder_name, served_text_hashes(store)])
        manifest: dict[str, object] = {
            "format": FORMAT, "sample": sample_fingerprint(sample_dir), "code": code_fingerprint(config, embedder_name),
            "encoder": embedder_name, "files": {p.name: _sha256(p) for p in sorted(tmp.glob("*.parquet"))},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
        out_dir.chmod(0o755)  # mkdtemp made it private
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return manifest


def bundle_problem(bundle_dir: Path, sample_dir: Path, config: RecsysConfig, embedder_name: str) -> str | None:
    """Why the bundle cannot be installed for this sample, code and settings (None: it can)."""
    if not (bundle_dir / MANIFEST).is_file():
        return f"no built sample model in {bundle_dir}"
    try:
        manifest = json.loads((bundle_dir / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        return f"the sample model's manifest cannot be read: {exc}"
    if manifest.get("format") != FORMAT or manifest.get("encoder") != embedder_name:
        return "the sample model was made by another format or text encoder"
    if manifest.get("sample") != sample_fingerprint(sample_dir):
        return "the sample data changed since the sample model was made"
    if manifest.get("code") != code_fingerprint(config, embedder_name):
        return "the model code or build settings changed since the sample model was made"
    files = manifest.get("files") or {}
    for name in (*BUILD_TABLES, "text_embeddings"):
        path = bundle_dir / f"{name}.parquet"
        if not path.is_file() or files.get(path.name) != _sha256(path):
            return f"the sample model's file {path.name} is missing or damaged"
    return None


def install_sample_model(store: Store, bundle_dir: Path, sample_dir: Path, config: RecsysConfig,
                         embedder_name: str) -> int | None:
    """Install the bundle as the store's first build, in one transaction, when the store holds
    exactly the sample and no build yet and the bundle matches (see :func:`bundle_problem`).
    Returns the build id, or None (the reason is logged)."""
    problem = bundle_problem(bundle_dir, sample_dir, config, embedder_name)
    if problem is None:
        with store.cursor() as cur:
            builds = cur.execute("SELECT count(*) FROM builds").fetchall()[0][0]
            kinds = [r[0] for r in cur.execute("SELECT kind FROM imports").fetchall()]
        if builds:
            problem = "the database already has a build"
        elif kinds != ["sample"]:
            problem = "the database holds more than the sample"
    if problem is not None:
        _log.info("not installing the built sample model: %s", problem)
        return None
    data_version = store.data_version()
    with store.transaction() as cur:
        for table in BUILD_TABLES:
            cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet({_quote(bundle_dir / (table + '.parquet'))})")
        cur.execute("UPDATE builds SET data_version = ?", [data_version])
        cur.execute("INSERT INTO text_embeddings BY NAME SELECT model, text_hash, vector FROM "
                    f"read_parquet({_quote(bundle_dir / 'text_embeddings.parquet')}) ON CONFLICT DO NOTHING")
        build_id = int(cur.execute("SELECT max(build_id) FROM builds").fetchall()[0][0])
    _log.info("installed the built sample model from %s as build %d", bundle_dir, build_id)
    return build_id
