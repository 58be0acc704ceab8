"""Embeddings for the router and schema linking, cached by text for the whole command."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from connectors.embeddings import Embedder

__all__ = ["VectorCache", "cosine"]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


@dataclass
class VectorCache:
    """Embeds each distinct text once; the embedder is built on first use (models load slowly)."""

    make_embedder: Callable[[], Embedder]
    _embedder: Embedder | None = None
    _vectors: dict[str, list[float]] = field(default_factory=dict)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self.make_embedder()
        return self._embedder

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            self._vectors.update(zip(missing, self.embedder.embed(missing)))
        return [self._vectors[t] for t in texts]

    def similarities(self, query: str, texts: Sequence[str]) -> list[float]:
        """Cosine of ``query`` against each of ``texts``."""
        if not texts:
            return []
        q, *rest = self.embed([query, *texts])
        return [cosine(q, v) for v in rest]
