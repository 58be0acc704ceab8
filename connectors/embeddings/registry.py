"""Embedders by provider name: a plain dict, filled by each backend module."""

from __future__ import annotations

from collections.abc import Callable

from connectors.config import EmbeddingsConfig
from connectors.embeddings.base import Embedder
from connectors.errors import EmbedderError

__all__ = ["EmbedderFactory", "available_embedders", "get_embedder", "register_embedder"]

EmbedderFactory = Callable[[EmbeddingsConfig], Embedder]

_FACTORIES: dict[str, EmbedderFactory] = {}


def register_embedder(provider: str, factory: EmbedderFactory) -> None:
    """Make ``factory`` the embedder for ``provider`` (replaces an earlier one)."""
    _FACTORIES[provider] = factory


def available_embedders() -> list[str]:
    """Registered provider names, sorted."""
    return sorted(_FACTORIES)


def get_embedder(config: EmbeddingsConfig | None = None) -> Embedder:
    """Build the embedder that ``config.provider`` names."""
    config = config or EmbeddingsConfig()
    try:
        factory = _FACTORIES[config.provider]
    except KeyError:
        raise EmbedderError(
            f"Unknown embeddings provider '{config.provider}'; "
            f"use one of: {', '.join(available_embedders())}."
        ) from None
    return factory(config)
