"""The sentence encoder run by ONNX Runtime: the same model, exported locally, optionally with
int8 weights, several times faster than PyTorch on a CPU.

sentence-transformers has its own ONNX backend, but it loads and exports through
``optimum-onnx``, whose releases need transformers < 4.58 while sentence-transformers 6 needs
transformers 5: the two cannot be installed together. So the export is done here, from the
sentence-transformers model itself, with ``torch.onnx.export`` (eager attention, whose pattern
ONNX Runtime's transformer optimizer fuses into its Attention, SkipLayerNormalization and
BiasGelu kernels); the int8 copy is made with ONNX Runtime's own dynamic quantization (the
matrix products' and the fused attention's weights, per output channel); the pooling (mean over
the tokens) and the normalisation are the model's own, done in NumPy.
Nothing is downloaded: the weights are the packaged or local ones the PyTorch backend reads.

Exported files live in a cache folder (``$RECSYS_ONNX_DIR``, else ``~/.cache/recsys_core/onnx``),
one folder per (weights file digest, torch version, variant), written atomically and reused by
every later process. The backend is part of the encoder's name (``all-MiniLM-L6-v2@onnx-int8``),
so vectors in the store's cache and a build record which backend made them.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from recsys_core.embeddings.sentence import (
    DEFAULT_MODEL,
    MINILM_SHA256,
    ModelLoadError,
    packaged_minilm_path,
    sha256_of,
    verify_minilm,
)

_log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx", "onnx-int8")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EXPORT_VERSION = "fused1"  # part of the export folder's name: a changed export is made again, not reused


def default_onnx_dir() -> Path:
    """Where exported models are kept: ``$RECSYS_ONNX_DIR`` or the user's cache folder."""
    if os.environ.get("RECSYS_ONNX_DIR"):
        return Path(os.environ["RECSYS_ONNX_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "recsys_core" / "onnx"


def _model_folder(model: str) -> tuple[Path, str]:
    """The model's folder and the SHA-256 of its weights (the packaged copy is verified against
    its known digest; another folder's weights are hashed once, here)."""
    if model == DEFAULT_MODEL:
        folder = packaged_minilm_path()
        verify_minilm(folder)
        return folder, MINILM_SHA256
    folder = Path(model)
    if not folder.is_dir():
        raise ModelLoadError(f"the ONNX backend needs the model as a local folder; {model!r} is not one "
                             "(use RECSYS_EMBEDDING_BACKEND=torch for a model in the Hugging Face cache)")
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).is_file():
            return folder, sha256_of(folder / name)
    raise ModelLoadError(f"no model weights (model.safetensors or pytorch_model.bin) in {folder}")


def _check_mean_pooling(st_model: Any) -> None:
    """The export covers the transformer; the pooling done here must be the model's own."""
    kinds = [type(m).__name__ for m in st_model]
    pooling = next((m for m in st_model if type(m).__name__ == "Pooling"), None)
    config = pooling.get_config_dict() if pooling is not None else {}
    mean = config.get("pooling_mode") == "mean" or config.get("pooling_mode_mean_tokens") is True
    if kinds[:1] != ["Transformer"] or not mean or len(kinds) > 3:
        raise ModelLoadError(f"the ONNX backend runs models made of a transformer, mean pooling and normalisation; "
                             f"this one is {' -> '.join(kinds)}: use RECSYS_EMBEDDING_BACKEND=torch")


def export_onnx(folder: Path, target: Path, int8: bool) -> None:
    """Export the sentence-transformers model in ``folder`` to ``target/model.onnx`` (its
    transformer: token ids in, token vectors out), int8 when asked. Written into a temporary
    folder first and renamed, so a cancelled export leaves nothing half-made."""
    import torch
    from sentence_transformers import SentenceTransformer

    # eager attention exports as the plain matrix products the optimizer recognises and fuses
    st_model = SentenceTransformer(str(folder), device="cpu", local_files_only=True,
                                   model_kwargs={"attn_implementation": "eager"})
    _check_mean_pooling(st_model)
    transformer: Any = st_model[0].auto_model
    transformer.eval()

    class TokenVectors(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = st_model.tokenizer(["an example text", "a second, longer example text"], padding=True,
                                return_tensors="pt")
    if "token_type_ids" not in sample:
        sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        plain = tmp / "model.onnx"
        axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "token_vectors")}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes; the test checks every batch shape agrees
            torch.onnx.export(TokenVectors(transformer), tuple(sample[k] for k in _INPUTS), str(plain),
                              input_names=list(_INPUTS), output_names=["token_vectors"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        quiet = logging.Filter("recsys_core")  # the optimizer's and quantizer's notes go to the root logger
        logging.getLogger().addFilter(quiet)
        try:
            fused = _fuse_transformer(plain, transformer.config)
            if int8:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                quantized = tmp / "model_int8.onnx"
                quantize_dynamic(str(plain), str(quantized), weight_type=QuantType.QInt8, per_channel=True,
                                 op_types_to_quantize=["MatMul", "Attention"], extra_options={"DefaultTensorType": 1})
                quantized.replace(plain)
        finally:
            logging.getLogger().removeFilter(quiet)
        (tmp / "export.json").write_text(json.dumps({
            "source": str(folder), "int8": int8, "torch": torch.__version__,
            "max_seq_length": int(st_model.max_seq_length or 512), "dim": int(transformer.config.hidden_size),
            "fused": fused}))
        try:
            tmp.rename(target)  # atomic on one file system
        except OSError:
            if not (target / "model.onnx").is_file():  # not another process's finished export
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fuse_transformer(path: Path, config: Any) -> dict[str, int]:
    """Rewrite the exported BERT-style graph in place with ONNX Runtime's fused kernels (about
    15% faster, the same vectors up to rounding); other architectures are left as exported.
    Returns how many of each fused operator the graph now holds."""
    if getattr(config, "model_type", None) != "bert":  # the fusion patterns are BERT's
        return {}
    from onnxruntime.transformers import optimizer

    model = optimizer.optimize_model(str(path), model_type="bert", num_heads=int(config.num_attention_heads),
                                     hidden_size=int(config.hidden_size))
    model.save_model_to_file(str(path))
    return {k: int(v) for k, v in model.get_fused_operator_statistics().items() if v}


class OnnxEmbedder:
    """Embeds texts with ONNX Runtime on the CPU; same contract as the PyTorch embedder.

    Args:
        model: ``"packaged:all-MiniLM-L6-v2"`` (default, verified) or a local folder.
        backend: ``"onnx"`` (float32, the same vectors as PyTorch up to rounding) or
            ``"onnx-int8"`` (int8 weights: mean cosine to the PyTorch vectors about 0.993 on the
            sample; ``bench/embedding_backends.py`` measures it).
        batch_size, chunk_size, threads: As for the PyTorch embedder.
        cache_dir: Where exported models are kept (default :func:`default_onnx_dir`).
    """

    def __init__(self, model: str = DEFAULT_MODEL, backend: str = "onnx-int8", batch_size: int = 32,
                 chunk_size: int = 256, threads: int = 2, cache_dir: Path | None = None) -> None:
        if backend not in ("onnx", "onnx-int8"):
            raise ValueError(f"OnnxEmbedder backend must be 'onnx' or 'onnx-int8', got {backend!r}")
        self.model, self.backend = model, backend
        self.batch_size, self.chunk_size, self.threads = batch_size, chunk_size, threads
        self.cache_dir = cache_dir
        self._session: Any = None
        self._tokenizer: Any = None
        self._meta: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        base = "all-MiniLM-L6-v2" if self.model == DEFAULT_MODEL else self.model
        return f"{base}@{self.backend}"

    def exported_path(self, digest: str | None = None) -> Path:
        """The folder this model's export lives in (made on first use); ``digest``: the weights'
        SHA-256 when already known."""
        import torch

        digest = digest or _model_folder(self.model)[1]
        key = f"{digest[:16]}-torch{torch.__version__.split('+')[0]}-{EXPORT_VERSION}-{self.backend}"
        return (self.cache_dir or default_onnx_dir()) / key

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import onnxruntime as ort
                from transformers import AutoTokenizer
            except ImportError as exc:
                raise ModelLoadError(f"the ONNX backend needs onnxruntime and onnx ({exc}); run "
                                     "`pip install -r requirements.txt`") from None
            folder, digest = _model_folder(self.model)
            target = self.exported_path(digest)
            if not (target / "model.onnx").is_file():
                _log.info("exporting %s to ONNX (%s) in %s", self.model, self.backend, target)
                try:
                    export_onnx(folder, target, int8=self.backend == "onnx-int8")
                except ModelLoadError:
                    raise
                except Exception as exc:  # noqa: BLE001 - any export failure becomes one clear message
                    raise ModelLoadError(f"cannot export {self.model!r} to ONNX: {exc}") from None
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            try:
                session = ort.InferenceSession(str(target / "model.onnx"), options, providers=["CPUExecutionProvider"])
                meta = json.loads((target / "export.json").read_text())
            except Exception as exc:  # noqa: BLE001 - a damaged export is named, with the fix
                raise ModelLoadError(f"the exported model in {target} cannot be read ({exc}); delete that folder "
                                     "and it is exported again") from None
            self._tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            self._session, self._meta = session, meta
            self._inputs = [i.name for i in session.get_inputs()]

    @property
    def dim(self) -> int:
        self._load()
        return int(self._meta["dim"])

    def encode(
        self, texts: Sequence[str], on_progress: Callable[[int, int], None] | None = None
    ) -> npt.NDArray[np.float32]:
        """Embed texts; rows are L2-normalised float32. Inside each chunk texts go to the model
        longest first, so a batch is padded only to its own longest text."""
        self._load()
        total = len(texts)
        out = np.zeros((total, int(self._meta["dim"])), dtype=np.float32)
        max_len = int(self._meta["max_seq_length"])
        for start in range(0, total, self.chunk_size):
            chunk = [str(t) for t in texts[start:start + self.chunk_size]]
            order = np.argsort([-len(t) for t in chunk], kind="stable")
            for b in range(0, len(chunk), self.batch_size):
                rows = order[b:b + self.batch_size]
                tokens = self._tokenizer([chunk[r] for r in rows], padding=True, truncation=True,
                                         max_length=max_len, return_tensors="np")
                feed = {k: np.asarray(tokens[k], dtype=np.int64) if k in tokens
                        else np.zeros_like(tokens["input_ids"], dtype=np.int64) for k in self._inputs}
                hidden = self._session.run(None, feed)[0]
                mask = feed["attention_mask"][..., None].astype(np.float32)
                pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
                pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
                out[start + rows] = pooled
            if on_progress is not None:
                on_progress(min(start + len(chunk), total), total)
        return out
