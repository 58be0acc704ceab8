"""Any Ollama embedding model (``nomic-embed-text``, ``bge-m3`` for Japanese, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import ollama

from connectors.config import EmbeddingsConfig
from connectors.embeddings.base import Embedder
from connectors.errors import EmbedderError

__all__ = ["OllamaEmbedder"]

DEFAULT_MODEL = "nomic-embed-text"
DEFAULT_HOST = "http://127.0.0.1:11434"


class OllamaEmbedder(Embedder):
    """Ollama's ``/api/embed``; the width is learned from one probe call at start."""

    batch_size = 32

    def __init__(self, model: str = DEFAULT_MODEL, host: str = DEFAULT_HOST, timeout_s: float = 60.0) -> None:
        self.model = model
        self.host = host
        self.name = f"ollama:{model}"
        self._client = ollama.Client(host=host, timeout=timeout_s)
        self.dim = len(self._call(["dimension probe"])[0])

    def _call(self, texts: list[str]) -> list[list[float]]:
        try:
            response: Any = self._client.embed(model=self.model, input=texts)
        except ollama.ResponseError as exc:
            hint = f"run 'ollama pull {self.model}'" if exc.status_code == 404 else "check the Ollama logs"
            raise EmbedderError(f"Ollama refused to embed with '{self.model}': {exc.error}; {hint}.") from exc
        except (ConnectionError, httpx.HTTPError) as exc:
            raise EmbedderError(
                f"Cannot reach Ollama at {self.host} ({exc}); start it with 'ollama serve' "
                "or set [embeddings] host."
            ) from exc
        return [list(map(float, v)) for v in response.embeddings]

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return self._call(list(texts))


def ollama_factory(config: EmbeddingsConfig) -> OllamaEmbedder:
    return OllamaEmbedder(model=config.model or DEFAULT_MODEL, host=config.host or DEFAULT_HOST)
