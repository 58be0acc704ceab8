"""Embedders: one interface (``name``, ``dim``, ``embed``), looked up by provider name.

    from connectors.embeddings import get_embedder
    embedder = get_embedder(config.embeddings)      # "default" | "minilm-int8" | "ollama" | "hashing"
    vectors = embedder.embed(["a passage", "another"])

A pure library (no MCP): the docs connector and the agent's router both use it.
Errors are :class:`connectors.errors.EmbedderError` (a ``DocumentError``) with a message
saying what to do.
"""

from __future__ import annotations

from connectors.embeddings.base import Embedder
from connectors.embeddings.hashing import HashingEmbedder, hashing_factory
from connectors.embeddings.ollama_embedder import OllamaEmbedder, ollama_factory
from connectors.embeddings.onnx_minilm import (
    OnnxMiniLMEmbedder,
    default_factory,
    find_minilm_dir,
    int8_factory,
)
from connectors.embeddings.registry import (
    EmbedderFactory,
    available_embedders,
    get_embedder,
    register_embedder,
)

__all__ = [
    "Embedder",
    "EmbedderFactory",
    "HashingEmbedder",
    "OllamaEmbedder",
    "OnnxMiniLMEmbedder",
    "available_embedders",
    "find_minilm_dir",
    "get_embedder",
    "register_embedder",
]

register_embedder("default", default_factory)
register_embedder("minilm-int8", int8_factory)
register_embedder("ollama", ollama_factory)
register_embedder("hashing", hashing_factory)
