"""The one interface every embedder implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from connectors.errors import EmbedderError

__all__ = ["Embedder"]


class Embedder(ABC):
    """Turns texts into vectors of a fixed width.

    Subclasses implement :meth:`embed_batch` for at most ``batch_size`` texts;
    :meth:`embed` does the batching and checks the vectors once, here.
    ``name`` identifies the vectors (model and settings): a collection built with
    one name is never queried with another.
    """

    name: str
    dim: int
    batch_size: int = 32

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for up to ``batch_size`` texts, in order."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for any number of texts, in order."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not one string")
        texts = list(texts)
        if not texts:
            return []
        # Batches of similar length waste less padding; put results back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float] | None] = [None] * len(texts)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = self.embed_batch([texts[i] for i in idx])
            if len(batch) != len(idx):
                raise EmbedderError(
                    f"Embedder '{self.name}' returned {len(batch)} vectors for {len(idx)} texts."
                )
            for i, vector in zip(idx, batch):
                if len(vector) != self.dim:
                    raise EmbedderError(
                        f"Embedder '{self.name}' returned a vector of width {len(vector)}, "
                        f"expected {self.dim}."
                    )
                vectors[i] = vector
        return vectors  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim})"
