"""all-MiniLM-L6-v2 run from the ONNX files in the layout Chroma's cache uses.

Chroma's stock ``DefaultEmbeddingFunction`` builds a new ``InferenceSession`` per
call and pads every text to 256 tokens. Here one session is built once and each
batch is padded to its longest text; the vectors are the same (mean pooling over
the attention mask, then L2 normalisation).

Where the model lives, in order: ``models_dir`` from the config, ``$RAGBOX_MODELS_DIR``,
then Chroma's cache (``~/.cache/chroma/onnx_models``). When none holds the files,
Chroma's own downloader fetches them into its cache (needs internet).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from connectors.config import EmbeddingsConfig
from connectors.embeddings.base import Embedder
from connectors.errors import EmbedderError

__all__ = ["MODEL_FILES", "MODEL_NAME", "OnnxMiniLMEmbedder", "find_minilm_dir"]

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_FILES = (
    "config.json",
    "model.onnx",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
)
MAX_TOKENS = 256  # the model's max_seq_length, as Chroma and sentence-transformers use


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
    """all-MiniLM-L6-v2 (384 dims) with one reused ONNX session."""

    dim = 384
    batch_size = 32
    name = MODEL_NAME

    def __init__(self, models_dir: Path, *, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx = models_dir / MODEL_NAME / "onnx"
        try:
            tokenizer = Tokenizer.from_file(str(onnx / "tokenizer.json"))
            options = ort.SessionOptions()
            options.log_severity_level = 3
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            if threads:
                options.intra_op_num_threads = threads
            self._session = ort.InferenceSession(
                str(onnx / "model.onnx"), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise EmbedderError(
                f"Cannot load the embedding model from {onnx}: {exc}. Check the files against "
                "the sha256 list in the models README, or download them again."
            ) from exc
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in each batch
        self._tokenizer = tokenizer
        self.models_dir = models_dir

    def count_tokens(self, text: str) -> int:
        """Word pieces in ``text`` without special tokens or truncation."""
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        encoded = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        norms[norms == 0] = 1e-12
        return (pooled / norms).astype(np.float32).tolist()


def default_factory(config: EmbeddingsConfig) -> OnnxMiniLMEmbedder:
    models_dir = find_minilm_dir(config.models_dir)
    if models_dir is None:
        models_dir = _download_with_chroma()
    return OnnxMiniLMEmbedder(models_dir)
