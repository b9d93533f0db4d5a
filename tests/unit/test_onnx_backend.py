"""The ONNX Runtime backend of the sentence encoder: exported locally from the packaged weights,
its vectors agree with PyTorch's, its export is made once and reused, a damaged export is a
clear error, and the backend is part of the encoder's name (so of the vector cache's key)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_core.config import EmbeddingConfig, RecsysConfig
from recsys_core.data.frames import item_text
from recsys_core.data.store import Store
from recsys_core.embeddings.cache import embed_cached
from recsys_core.embeddings.factory import make_embedder
from recsys_core.embeddings.onnx_backend import OnnxEmbedder
from recsys_core.embeddings.sentence import ModelLoadError, SentenceTransformerEmbedder
from recsys_core.errors import ConfigError


@pytest.fixture(scope="module")
def texts() -> list[str]:
    from recsys_core.config import DEFAULT_SAMPLE_DIR

    items = pd.read_csv(DEFAULT_SAMPLE_DIR / "items.csv").head(160)
    return [item_text(t, x, c) for t, x, c in zip(items["title"], items["description"], items["category"], strict=True)]


@pytest.fixture(scope="module")
def torch_vectors(texts: list[str]) -> np.ndarray:
    return SentenceTransformerEmbedder().encode(texts)


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx")


def test_int8_vectors_agree_with_pytorch(texts: list[str], torch_vectors: np.ndarray, export_dir: Path) -> None:
    vecs = OnnxEmbedder(backend="onnx-int8", cache_dir=export_dir).encode(texts)
    assert vecs.shape == torch_vectors.shape and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    cos = (vecs * torch_vectors).sum(axis=1)
    assert cos.mean() >= 0.99 and cos.min() >= 0.95, (cos.mean(), cos.min())
    # the int8 rounding is not the same as another text's vector: each row still matches its own text best
    assert (np.argmax(vecs @ torch_vectors.T, axis=1) == np.arange(len(texts))).mean() >= 0.98


def test_float_export_gives_pytorchs_vectors(texts: list[str], torch_vectors: np.ndarray, export_dir: Path) -> None:
    embedder = OnnxEmbedder(backend="onnx", cache_dir=export_dir, batch_size=7)
    vecs = embedder.encode(texts)  # batches of 7 texts, each padded to its own longest
    assert float((vecs * torch_vectors).sum(axis=1).min()) >= 0.9999
    alone = embedder.encode([texts[5]])  # one text, no padding at all
    assert float(alone[0] @ torch_vectors[5]) >= 0.9999


def test_the_export_is_made_once_and_reused(texts: list[str], export_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = OnnxEmbedder(backend="onnx-int8", cache_dir=export_dir)
    first.encode(texts[:3])
    made = (first.exported_path() / "model.onnx").stat().st_mtime_ns

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr("recsys_core.embeddings.onnx_backend.export_onnx", refuse)
    second = OnnxEmbedder(backend="onnx-int8", cache_dir=export_dir)
    np.testing.assert_allclose(second.encode(texts[:3]), first.encode(texts[:3]), atol=1e-6)
    assert (second.exported_path() / "model.onnx").stat().st_mtime_ns == made
    assert not [p for p in export_dir.iterdir() if p.name.startswith(".export-")]  # no half-made folder left


def test_a_damaged_export_is_a_clear_error(tmp_path: Path, export_dir: Path) -> None:
    good = OnnxEmbedder(backend="onnx-int8", cache_dir=export_dir).exported_path()
    broken = tmp_path / good.name
    broken.mkdir()
    (broken / "model.onnx").write_bytes(b"not a model")
    (broken / "export.json").write_text((good / "export.json").read_text())
    with pytest.raises(ModelLoadError, match="delete that folder"):
        OnnxEmbedder(backend="onnx-int8", cache_dir=tmp_path).encode(["tent"])


def test_the_backend_is_part_of_the_cache_key(store: Store, export_dir: Path) -> None:
    torch_name = make_embedder(EmbeddingConfig(), 2).name
    onnx = OnnxEmbedder(backend="onnx-int8", cache_dir=export_dir)
    assert torch_name == "all-MiniLM-L6-v2" and onnx.name == "all-MiniLM-L6-v2@onnx-int8"
    embed_cached(store, SentenceTransformerEmbedder(), ["a two-person tent"])
    _, n_new = embed_cached(store, onnx, ["a two-person tent"])
    assert n_new == 1  # not served the PyTorch vector
    with store.cursor() as cur:
        models = sorted(r[0] for r in cur.execute("SELECT DISTINCT model FROM text_embeddings").fetchall())
    assert models == ["all-MiniLM-L6-v2", "all-MiniLM-L6-v2@onnx-int8"]


def test_the_backend_setting() -> None:
    assert RecsysConfig.from_env({}).embedding.backend == "torch"
    cfg = RecsysConfig.from_env({"RECSYS_EMBEDDING_BACKEND": "ONNX-int8"})
    assert cfg.embedding.backend == "onnx-int8"
    assert isinstance(make_embedder(cfg.embedding, 2), OnnxEmbedder)
    with pytest.raises(ConfigError, match="RECSYS_EMBEDDING_BACKEND='openvino' is not a backend"):
        RecsysConfig.from_env({"RECSYS_EMBEDDING_BACKEND": "openvino"})
    with pytest.raises(ModelLoadError, match="local folder"):
        OnnxEmbedder("some-hub/model-name").encode(["x"])
