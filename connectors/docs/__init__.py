"""Documents: load, chunk, index (Chroma + SQLite FTS5) and search a company's files.

No MCP here; :mod:`servers.docs` exposes :class:`DocumentIndex` as tools. Every
failure is a :class:`connectors.errors.DocumentError` whose message says what to do.
"""

from __future__ import annotations

from connectors.docs.chunking import chunk_document, chunk_id, estimate_tokens
from connectors.docs.discovery import FoundFile, discover_files
from connectors.docs.encoding import BinaryContent, decode_bytes
from connectors.docs.globs import glob_match
from connectors.docs.index import MAX_PAGE_CHARS, MAX_QUERY_CHARS, MAX_TOP_K, DocumentIndex
from connectors.docs.loaders import load_bytes, load_document, supported_suffixes
from connectors.docs.models import (
    Chunk,
    DocumentInfo,
    DocumentPage,
    Hit,
    IngestProgress,
    IngestSummary,
    LoadedDocument,
    SearchMode,
    Section,
    SkippedFile,
    SourceInfo,
)
from connectors.docs.search import reciprocal_rank_fusion

__all__ = [
    "MAX_PAGE_CHARS",
    "MAX_QUERY_CHARS",
    "MAX_TOP_K",
    "BinaryContent",
    "Chunk",
    "DocumentIndex",
    "DocumentInfo",
    "DocumentPage",
    "FoundFile",
    "Hit",
    "IngestProgress",
    "IngestSummary",
    "LoadedDocument",
    "SearchMode",
    "Section",
    "SkippedFile",
    "SourceInfo",
    "chunk_document",
    "chunk_id",
    "decode_bytes",
    "discover_files",
    "estimate_tokens",
    "glob_match",
    "load_bytes",
    "load_document",
    "reciprocal_rank_fusion",
    "supported_suffixes",
]
