"""all-MiniLM-L6-v2 run from the ONNX files in the layout Chroma's cache uses.

One session and one tokenizer are built once. A call tokenizes all its texts in one
pass, sorts them by token count and cuts batches of similar length, so little compute
goes to padding; each batch is padded to its longest text. The vectors are the ones
Chroma's ``DefaultEmbeddingFunction`` gives (mean pooling over the attention mask,
then L2 normalisation).

``minilm-int8`` is the same model with its weights quantized to int8 (onnxruntime's
dynamic quantization: int8 matrix products, activations quantized per call). It is
built once from the fp32 file into the user cache and has its own name, so an index
built with one is never searched with the other. It is only used when the config
asks for it.

Where the model lives, in order: ``models_dir`` from the config, ``$RAGBOX_MODELS_DIR``,
then Chroma's cache (``~/.cache/chroma/onnx_models``). When none holds the files,
Chroma's own downloader fetches them into its cache (needs internet).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from connectors.config import EmbeddingsConfig
from connectors.embeddings.base import Embedder
from connectors.errors import EmbedderError

__all__ = ["INT8_NAME", "MODEL_FILES", "MODEL_NAME", "OnnxMiniLMEmbedder", "find_minilm_dir", "int8_model"]

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_FILES = (
    "config.json",
    "model.onnx",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
)
INT8_NAME = f"{MODEL_NAME}-int8"
MAX_TOKENS = 256  # the model's max_seq_length, as Chroma and sentence-transformers use
BATCH_TOKENS = 8_192
"""Padded tokens per session run: measured on 2 cores, larger batches gain nothing and
hold more memory; smaller ones pay the per-run overhead more often."""


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """ragbox's model cache: ``$XDG_CACHE_HOME/ragbox/models``, else ``~/.cache/ragbox/models``."""
    env = os.environ if env is None else env
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "ragbox" / "models"


def int8_model(fp32: Path, cache: Path | None = None) -> Path:
    """The int8 version of ``fp32``, quantized on first use into ``cache`` and kept there.

    The file is named after the fp32 file's sha256, so a changed model is quantized
    again; it is written to a temporary file and renamed, so a crash or a second
    process never leaves half a model under the final name.
    """
    digest = hashlib.sha256(fp32.read_bytes()).hexdigest()[:16]
    target = (cache or cache_dir()) / INT8_NAME / f"model-{digest}.onnx"
    if target.is_file():
        return target
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:  # onnx is a dependency; a trimmed install may lack it
        raise EmbedderError(
            f"Building the int8 embedder needs the 'onnx' package ({exc}); pip install onnx, "
            "or use provider = \"default\"."
        ) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=target.parent, suffix=".onnx.part")
    os.close(handle)
    try:
        # Per-channel scales with 7-bit weights: measured on AVX2 without VNNI, per-tensor
        # int8 saturates the u8 x s8 products (cosine to fp32 down to 0.53); this keeps
        # it at 0.96 or more and is also the fastest of the four variants tried.
        quantize_dynamic(str(fp32), scratch, weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=True)
        os.replace(scratch, target)
    except Exception as exc:
        raise EmbedderError(f"Cannot quantize {fp32} to int8 in {target.parent}: {exc}.") from exc
    finally:
        Path(scratch).unlink(missing_ok=True)
    return target


def _threads() -> int:
    """The cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def chroma_cache_dir() -> Path:
    """Where Chroma keeps its ONNX models (``~/.cache/chroma/onnx_models``)."""
    return Path.home() / ".cache" / "chroma" / "onnx_models"


def _has_model(models_dir: Path) -> bool:
    onnx = models_dir / MODEL_NAME / "onnx"
    return all((onnx / name).is_file() for name in MODEL_FILES)


def find_minilm_dir(
    models_dir: Path | None = None, env: Mapping[str, str] | None = None
) -> Path | None:
    """The first folder holding ``all-MiniLM-L6-v2/onnx/`` with all its files, or None."""
    env = os.environ if env is None else env
    candidates = [models_dir, Path(env["RAGBOX_MODELS_DIR"]) if env.get("RAGBOX_MODELS_DIR") else None]
    candidates.append(chroma_cache_dir())
    for candidate in candidates:
        if candidate is not None and _has_model(candidate.expanduser()):
            return candidate.expanduser()
    return None


def _download_with_chroma() -> Path:
    """Let Chroma's own ONNXMiniLM_L6_V2 fetch the model into its cache."""
    try:
        from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

        ONNXMiniLM_L6_V2()._download_model_if_not_exists()
    except Exception as exc:  # any network or archive failure means the same thing to the user
        raise EmbedderError(
            f"The embedding model {MODEL_NAME} is not on this machine and could not be "
            f"downloaded ({type(exc).__name__}: {exc}). Copy the folder {MODEL_NAME}/onnx/ "
            "somewhere and set [embeddings] models_dir (or RAGBOX_MODELS_DIR) to the folder "
            "that holds it, or use provider = \"hashing\" for an offline embedder."
        ) from exc
    found = find_minilm_dir(chroma_cache_dir(), env={})
    if found is None:
        raise EmbedderError(
            f"Chroma's download finished but {chroma_cache_dir()}/{MODEL_NAME}/onnx/ is "
            "incomplete; delete it and try again, or set [embeddings] models_dir."
        )
    return found


class OnnxMiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 (384 dims) with one reused ONNX session; ``int8=True`` for the quantized one."""

    dim = 384
    batch_size = 64

    def __init__(self, models_dir: Path, *, threads: int | None = None, int8: bool = False,
                 cache: Path | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx = models_dir / MODEL_NAME / "onnx"
        self.name = INT8_NAME if int8 else MODEL_NAME
        try:
            tokenizer = Tokenizer.from_file(str(onnx / "tokenizer.json"))
            model = int8_model(onnx / "model.onnx", cache) if int8 else onnx / "model.onnx"
            options = ort.SessionOptions()
            options.log_severity_level = 3
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.intra_op_num_threads = threads or _threads()
            options.inter_op_num_threads = 1
            self._session = ort.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except EmbedderError:
            raise
        except Exception as exc:
            raise EmbedderError(
                f"Cannot load the embedding model from {onnx}: {exc}. Check the files against "
                "the sha256 list in the models README, or download them again."
            ) from exc
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()  # each batch is padded here, to its own longest text
        self._tokenizer = tokenizer
        self.models_dir = models_dir

    def count_tokens(self, text: str) -> int:
        """Word pieces in ``text`` without special tokens or truncation."""
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for any number of texts, in order; batches are cut by token count."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not one string")
        encoded = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        vectors = np.empty((len(encoded), self.dim), dtype=np.float32)
        start = 0
        while start < len(order):
            # Sorted ascending, so the last text of a batch is its longest.
            end = start + 1
            while (end < len(order) and end - start < self.batch_size
                   and (end - start + 1) * len(encoded[order[end]]) <= BATCH_TOKENS):
                end += 1
            idx = order[start:end]
            vectors[idx] = self._run([encoded[i] for i in idx])
            start = end
        return vectors.tolist()

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return self.embed(texts)

    def _run(self, ids_list: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in ids_list)
        ids = np.zeros((len(ids_list), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, tokens in enumerate(ids_list):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        norms[norms == 0] = 1e-12
        return pooled / norms


def _minilm_dir(config: EmbeddingsConfig) -> Path:
    return find_minilm_dir(config.models_dir) or _download_with_chroma()


def default_factory(config: EmbeddingsConfig) -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder(_minilm_dir(config))


def int8_factory(config: EmbeddingsConfig) -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder(_minilm_dir(config), int8=True)
