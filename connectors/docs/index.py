"""The document index: what the docs server and CLI hold open for their lifetime.

    index = DocumentIndex.open(config)              # loads the embedder, opens Chroma once
    index.ingest(prune=True, progress=callback)     # -> [IngestSummary]
    index.search("how many days of leave?")         # -> [Hit]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from connectors.config import Config, DocumentsSource
from connectors.docs.database import open_database
from connectors.docs.globs import glob_match
from connectors.docs.ingest import Ingester, ProgressCallback
from connectors.docs.keyword import KeywordIndex
from connectors.docs.manifest import Manifest
from connectors.docs.models import DocumentPage, Hit, IngestSummary, SearchMode, SourceInfo
from connectors.docs.search import merge_neighbours, reciprocal_rank_fusion, to_hits
from connectors.docs.store import ChromaStore
from connectors.embeddings import Embedder, get_embedder
from connectors.errors import DocumentError

__all__ = ["DATABASE_NAME", "MAX_PAGE_CHARS", "MAX_TOP_K", "DocumentIndex"]

DATABASE_NAME = "docs.sqlite3"
MAX_TOP_K = 50
MAX_QUERY_CHARS = 2_000
"""A question or keywords; a longer query costs seconds to embed and match, and finds nothing better."""
MAX_PAGE_CHARS = 20_000
QUERY_VECTORS = 512
"""Query embeddings kept: an agent searches one question several times (routing, then its answer)."""
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "semantic", "keyword")


class DocumentIndex:
    """Documents sources, their vectors (Chroma) and keyword index (SQLite FTS5)."""

    def __init__(
        self,
        *,
        sources: Sequence[DocumentsSource],
        data_dir: Path,
        embedder: Embedder,
        store_url: str | None = None,
    ) -> None:
        if not sources:
            raise DocumentError("No documents sources configured; add a [[documents]] section.")
        self.sources = {s.name: s for s in sources}
        self.data_dir = data_dir
        self.embedder = embedder
        self._conn = open_database(data_dir / DATABASE_NAME)
        self.store = ChromaStore(embedder, data_dir=data_dir, url=store_url)
        self.manifest = Manifest(self._conn)
        self.keyword = KeywordIndex(self._conn)
        self._ingester = Ingester(conn=self._conn, store=self.store, embedder=embedder)
        self._query_vectors: dict[tuple[str, str], list[float]] = {}

    @classmethod
    def open(cls, config: Config, embedder: Embedder | None = None) -> DocumentIndex:
        """Open the index for every ``[[documents]]`` source in ``config``."""
        return cls(
            sources=config.documents, data_dir=config.data_dir,
            embedder=embedder or get_embedder(config.embeddings), store_url=config.vector_store.url,
        )

    def check(self) -> None:
        """Fail now, not on the first search, when a collection was built with another embedder."""
        for name in self.sources:
            self.store.check(name)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> DocumentIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ----------------------------------------------------------------------------

    def ingest(
        self, source: str | None = None, *, prune: bool = False, rebuild: bool = False,
        progress: ProgressCallback | None = None,
    ) -> list[IngestSummary]:
        """Index new and changed files of one source (or all); ``prune`` removes gone files."""
        summaries = []
        for name in self._source_names(source):
            if rebuild:
                self._ingester.rebuild(name)
            summaries.append(self._ingester.ingest(self.sources[name], prune=prune, progress=progress))
        return summaries

    # --- reading ----------------------------------------------------------------------------

    def _source_names(self, source: str | None) -> list[str]:
        if source is None:
            return list(self.sources)
        if source not in self.sources:
            raise DocumentError(
                f"Unknown documents source '{source}'; use one of: {', '.join(self.sources)}."
            )
        return [source]

    def search(
        self,
        query: str,
        *,
        top_k: int = 5,
        source: str | None = None,
        path_glob: str | None = None,
        mode: SearchMode = "hybrid",
        merge: bool = True,
    ) -> list[Hit]:
        """The best passages for ``query``, best first."""
        if not query.strip():
            raise DocumentError("The query is empty; pass the question or keywords to look for.")
        if len(query) > MAX_QUERY_CHARS:
            raise DocumentError(
                f"The query is {len(query):,} characters long and the limit is {MAX_QUERY_CHARS:,}; "
                "send the question or a few keywords."
            )
        if mode not in SEARCH_MODES:
            raise DocumentError(f"Unknown search mode '{mode}'; use one of: {', '.join(SEARCH_MODES)}.")
        if not 1 <= top_k <= MAX_TOP_K:
            raise DocumentError(f"top_k must be between 1 and {MAX_TOP_K}; got {top_k}.")
        names = self._source_names(source)
        pool = max(top_k * 4, 20)
        rankings: list[list[tuple[str, float]]] = []
        if mode in ("hybrid", "semantic"):
            rankings.append(self._semantic(query, names, path_glob, pool))
        if mode in ("hybrid", "keyword"):
            rankings.append(self.keyword.search(query, limit=pool, sources=names, path_glob=path_glob))
        ranked_ids = reciprocal_rank_fusion(*rankings) if mode == "hybrid" else rankings[0]
        chunks = self.keyword.chunks(i for i, _ in ranked_ids)
        ranked = [(chunks[i], score) for i, score in ranked_ids if i in chunks]
        if not merge:
            return to_hits(ranked, top_k)
        texts: dict[tuple[str, str], str | None] = {}

        def document_text(src: str, path: str) -> str | None:
            if (src, path) not in texts:
                found = self.manifest.document_text(src, path)
                texts[(src, path)] = None if found is None else found[1]
            return texts[(src, path)]

        return merge_neighbours(ranked, top_k, document_text)

    def _semantic(
        self, query: str, names: list[str], path_glob: str | None, limit: int
    ) -> list[tuple[str, float]]:
        vector = self._query_vector(query)
        found: list[tuple[str, float]] = []
        for name in names:
            paths = None
            if path_glob is not None:
                paths = [p for p in self.manifest.paths(name) if glob_match(p, path_glob)]
            found.extend(self.store.query(name, vector, limit=limit, paths=paths))
        return sorted(found, key=lambda entry: -entry[1])[:limit]

    def _query_vector(self, query: str) -> list[float]:
        """``query``'s embedding, from the last :data:`QUERY_VECTORS` queries when it is one of them."""
        key = (self.embedder.name, query)
        vector = self._query_vectors.get(key)
        if vector is None:
            vector = self.embedder.embed([query])[0]
            if len(self._query_vectors) >= QUERY_VECTORS:
                self._query_vectors.clear()
            self._query_vectors[key] = vector
        return vector

    def list_sources(self) -> list[SourceInfo]:
        """Every source with its indexed documents (chunk counts, when indexed)."""
        return [
            SourceInfo(name=name, description=s.description,
                       documents=tuple(self.manifest.documents(name)))
            for name, s in self.sources.items()
        ]

    def get_document(
        self, path: str, *, source: str | None = None, offset: int = 0, length: int = 4_000
    ) -> DocumentPage:
        """A window of an indexed document's full text."""
        if offset < 0:
            raise DocumentError("offset must be 0 or more.")
        if not 1 <= length <= MAX_PAGE_CHARS:
            raise DocumentError(f"length must be between 1 and {MAX_PAGE_CHARS}; got {length}.")
        candidates = [n for n in self._source_names(source) if self.manifest.document_text(n, path)]
        if not candidates:
            raise DocumentError(
                f"No indexed document at '{path}'. Use the path exactly as search results or "
                "list_sources give it."
            )
        if len(candidates) > 1:
            raise DocumentError(
                f"'{path}' exists in several sources ({', '.join(candidates)}); pass the source too."
            )
        found = self.manifest.document_text(candidates[0], path)
        assert found is not None
        title, text = found
        if offset > len(text):
            raise DocumentError(f"offset {offset} is past the end of '{path}' ({len(text)} characters).")
        return DocumentPage(
            source=candidates[0], path=path, title=title, text=text[offset : offset + length],
            offset=offset, total_chars=len(text),
        )
