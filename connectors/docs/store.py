"""The vector store: one Chroma collection per documents source.

Chroma runs in the data directory (``PersistentClient``) unless the config names
a Chroma server (``chroma run``) by URL. Each collection records the embedder's
name and width in its metadata; opening it with another embedder is an error.
Chroma's own errors become :class:`DocumentError` where they enter our code.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from connectors.docs.models import Chunk
from connectors.embeddings import Embedder
from connectors.errors import DocumentError

__all__ = ["ChromaStore", "collection_name"]


def collection_name(source: str) -> str:
    return f"ragbox_docs_{source}"


def _client(data_dir: Path, url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if url is None:
        try:
            return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=settings)
        except Exception as exc:
            raise DocumentError(
                f"Cannot open Chroma in {data_dir / 'chroma'}: {exc}. Check the data directory "
                "is writable and no other version of Chroma wrote it."
            ) from exc
    parsed = urlparse(url)
    try:
        return chromadb.HttpClient(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=settings,
        )
    except Exception as exc:
        raise DocumentError(
            f"Cannot reach the Chroma server at {url}: {exc}. Start it with "
            "'chroma run --path DIR --port N', or remove [vector_store] url to keep vectors locally."
        ) from exc


class ChromaStore:
    """Vectors for chunks, one collection per source; ids are chunk ids."""

    def __init__(self, embedder: Embedder, *, data_dir: Path, url: str | None = None) -> None:
        self.embedder = embedder
        self.location = url or str(data_dir / "chroma")
        self._url = url
        self._client = _client(data_dir, url)
        self._collections: dict[str, Any] = {}
        self._max_batch = int(self._client.get_max_batch_size())

    @contextmanager
    def _chroma(self, action: str, source: str) -> Iterator[None]:
        """Chroma's errors (and the HTTP client's, in server mode) as a DocumentError saying what to do."""
        from chromadb.errors import ChromaError

        try:
            yield
        # Chroma raises ChromaError subclasses, plain ValueError from its argument
        # checks, and httpx errors when its server is gone.
        except (ChromaError, ValueError, httpx.HTTPError) as exc:
            if self._url is not None:
                hint = (f"check the Chroma server at {self._url} is running "
                        "('chroma run --path DIR --port N')")
            else:
                hint = (f"rebuild the index with 'python -m servers docs ingest --rebuild', "
                        f"or delete {self.location} and ingest again")
            raise DocumentError(
                f"Chroma could not {action} for source '{source}' ({type(exc).__name__}: {exc}); {hint}."
            ) from exc

    def _collection(self, source: str) -> Any:
        if source in self._collections:
            return self._collections[source]
        metadata = {"embedder": self.embedder.name, "dim": self.embedder.dim}
        with self._chroma("open the collection", source):
            collection = self._client.get_or_create_collection(
                collection_name(source), embedding_function=None, metadata=metadata,
                configuration={"hnsw": {"space": "cosine"}},
            )
        found = collection.metadata or {}
        if (found.get("embedder"), found.get("dim")) != (self.embedder.name, self.embedder.dim):
            raise DocumentError(
                f"The index for source '{source}' was built with the embedder "
                f"'{found.get('embedder')}' ({found.get('dim')} dims), but the config now uses "
                f"'{self.embedder.name}' ({self.embedder.dim} dims). Vectors from different "
                "embedders cannot be compared: switch [embeddings] back, or rebuild the index "
                "with 'python -m servers docs ingest --rebuild'."
            )
        self._collections[source] = collection
        return collection

    def check(self, source: str) -> None:
        """Open the source's collection now, so a wrong embedder fails at start-up."""
        self._collection(source)

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        for start in range(0, len(chunks), self._max_batch):
            batch = chunks[start : start + self._max_batch]
            collection = self._collection(batch[0].source)
            with self._chroma("store vectors", batch[0].source):
                collection.upsert(
                    ids=[c.id for c in batch],
                    embeddings=[list(v) for v in vectors[start : start + self._max_batch]],
                    documents=[c.text for c in batch],
                    metadatas=[{"path": c.path, "ordinal": c.ordinal, "page": c.page or 0} for c in batch],
                )

    def ids_for_path(self, source: str, path: str) -> set[str]:
        collection = self._collection(source)
        with self._chroma("list the vectors of a file", source):
            return set(collection.get(where={"path": path}, include=[])["ids"])

    def delete_ids(self, source: str, ids: Sequence[str]) -> None:
        ids = list(ids)
        collection = self._collection(source)
        with self._chroma("delete vectors", source):
            for start in range(0, len(ids), self._max_batch):
                collection.delete(ids=ids[start : start + self._max_batch])

    def delete_path(self, source: str, path: str) -> None:
        collection = self._collection(source)
        with self._chroma("delete the vectors of a file", source):
            collection.delete(where={"path": path})

    def query(
        self, source: str, vector: Sequence[float], *, limit: int, paths: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first; ``paths`` restricts to those files."""
        collection = self._collection(source)
        if paths is not None and not paths:
            return []
        where = None if paths is None else {"path": {"$in": list(paths)}}
        with self._chroma("search the vectors", source):
            result = collection.query(
                query_embeddings=[list(vector)], n_results=limit, where=where, include=["distances"]
            )
        return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], result["distances"][0])]

    def count(self, source: str) -> int:
        collection = self._collection(source)
        with self._chroma("count the vectors", source):
            return int(collection.count())

    def ids(self, source: str) -> set[str]:
        collection = self._collection(source)
        found: set[str] = set()
        offset = 0
        while True:
            with self._chroma("list the vectors", source):
                batch = collection.get(include=[], limit=5000, offset=offset)["ids"]
            found.update(batch)
            if len(batch) < 5000:
                return found
            offset += len(batch)

    def drop(self, source: str) -> None:
        """Delete the source's collection (for a rebuild with another embedder)."""
        from chromadb.errors import NotFoundError

        self._collections.pop(source, None)
        with self._chroma("delete the collection", source):
            try:
                self._client.delete_collection(collection_name(source))
            except NotFoundError:
                pass  # never indexed (a first ingest with --rebuild): nothing to drop
