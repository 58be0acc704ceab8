"""Incremental ingest of one documents source.

For each file: skip it when its hash (and the chunking settings) match the
manifest; otherwise load and chunk it. Changed files are gathered into batches of
about :data:`BATCH_CHUNKS` chunks, embedded in one call (so small files batch as
well as big ones), and written, batch by batch, in an order that survives ``kill -9``
at any point:

1. mark the batch's files ``pending`` in the manifest (committed);
2. upsert their chunks into Chroma (ids derive from content, so a repeat is a no-op);
3. delete each file's Chroma chunks that are no longer among its new ids;
4. in one SQLite transaction: replace their keyword rows and mark them ``done`` with
   their new hashes.

One writer thread does every write of the run, in order, while the calling thread
parses and embeds the next batch; at most one batch waits to be written. Progress is
reported, from the calling thread, once a file's write has committed.

A killed run leaves at most ``pending`` files, which the next run rewrites (or,
when the file has gone, removes), so every run converges to the same index.
Bad input never stops a run: the file is skipped, with the reason, and any
chunks it had are removed so the index never serves stale text for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from connectors.config import DocumentsSource
from connectors.docs.chunking import chunk_document
from connectors.docs.discovery import discover_files
from connectors.docs.keyword import KeywordIndex
from connectors.docs.loaders import load_bytes
from connectors.docs.manifest import FileRecord, Manifest
from connectors.docs.models import Chunk, IngestProgress, IngestSummary, LoadedDocument, SkippedFile
from connectors.docs.store import ChromaStore
from connectors.embeddings import Embedder
from connectors.errors import DocumentError

__all__ = ["BATCH_CHUNKS", "LOADER_VERSION", "Ingester", "ProgressCallback"]

LOADER_VERSION = 1
"""Bump when loaders or chunking change output, so every file is re-indexed once."""
BATCH_CHUNKS = 256
"""Chunks gathered, across files, before they are embedded in one call and written."""

ProgressCallback = Callable[[IngestProgress], None]


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@dataclass
class _Tally:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    chunks: int = 0
    embed_seconds: float = 0.0


@dataclass
class _File:
    """A changed file, loaded and chunked, waiting to be embedded and written."""

    rel: str
    sha256: str
    size: int
    mtime_ns: int
    document: LoadedDocument
    chunks: list[Chunk]
    outcome: str  # "added" or "updated"


@dataclass
class _Batch:
    """The writes of a run's next stretch of files, in order, and what to report after."""

    removals: list[str] = field(default_factory=list)
    touches: list[tuple[str, int, int]] = field(default_factory=list)
    files: list[_File] = field(default_factory=list)
    vectors: list[list[float]] = field(default_factory=list)
    reports: list[tuple[str, str]] = field(default_factory=list)

    @property
    def chunks(self) -> int:
        return sum(len(f.chunks) for f in self.files)


class Ingester:
    """Writes files into the manifest, the keyword index and the vector store together."""

    def __init__(
        self, *, conn: sqlite3.Connection, store: ChromaStore, embedder: Embedder
    ) -> None:
        self._conn = conn
        self.manifest = Manifest(conn)
        self.keyword = KeywordIndex(conn)
        self.store = store
        self.embedder = embedder

    def settings_key(self, source: DocumentsSource) -> str:
        return json.dumps({
            "loader": LOADER_VERSION, "chunk_tokens": source.chunk_tokens,
            "chunk_overlap": source.chunk_overlap, "embedder": self.embedder.name,
        }, sort_keys=True)

    def ingest(
        self, source: DocumentsSource, *, prune: bool = False, progress: ProgressCallback | None = None
    ) -> IngestSummary:
        """Bring the index for ``source`` up to date with its folders."""
        started = time.perf_counter()
        self.store.check(source.name)
        files, skipped = discover_files(source)
        tally = _Tally(skipped=list(skipped))
        records = self.manifest.records(source.name)
        present = {f.rel for f in files}
        gone = [p for p, r in sorted(records.items()) if p not in present and (prune or r.state == "pending")]
        total = len(files) + len(gone)
        done = 0

        def report(path: str, outcome: str) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(IngestProgress(source=source.name, path=path, outcome=outcome,  # type: ignore[arg-type]
                                        done=done, total=total))

        for path in gone:
            self.remove(source.name, path)
            if records[path].state == "done":
                tally.removed.append(path)
            report(path, "removed")

        settings = self.settings_key(source)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") as writer:
            writing: Future[None] | None = None
            writing_reports: list[tuple[str, str]] = []

            def flush(batch: _Batch) -> None:
                """Embed ``batch``, wait for the batch before it, and hand this one to the writer."""
                nonlocal writing, writing_reports
                if batch.files:
                    embed_started = time.perf_counter()
                    batch.vectors = self.embedder.embed([c.embedding_text() for f in batch.files for c in f.chunks])
                    tally.embed_seconds += time.perf_counter() - embed_started
                if writing is not None:
                    writing.result()  # a failed write stops the run here, with its error
                    for path, outcome in writing_reports:
                        report(path, outcome)
                writing = writer.submit(self._write, source.name, settings, batch)
                writing_reports = batch.reports

            batch = _Batch()
            for found in files:
                self._prepare(source, found.rel, found.path, records.get(found.rel), settings, tally, batch)
                if batch.chunks >= BATCH_CHUNKS:
                    flush(batch)
                    batch = _Batch()
            flush(batch)
            assert writing is not None
            writing.result()
            for path, outcome in writing_reports:
                report(path, outcome)

        return IngestSummary(
            source=source.name, added=tuple(tally.added), updated=tuple(tally.updated),
            unchanged=tuple(tally.unchanged), removed=tuple(tally.removed),
            skipped=tuple(tally.skipped), chunks_written=tally.chunks,
            seconds=time.perf_counter() - started, embed_seconds=tally.embed_seconds,
        )

    def _prepare(
        self, source: DocumentsSource, rel: str, path: Path, record: FileRecord | None,
        settings: str, tally: _Tally, batch: _Batch,
    ) -> None:
        """Decide what ``rel`` needs and add it to ``batch``; read and parse it if it changed."""
        def skip(reason: str) -> None:
            tally.skipped.append(SkippedFile(path=rel, reason=reason))
            if record is not None:
                batch.removals.append(rel)
            batch.reports.append((rel, "skipped"))

        try:
            stat = path.stat()
        except OSError as exc:
            return skip(f"cannot read the file: {exc.strerror or exc}")
        if stat.st_size > source.max_file_bytes:
            return skip(f"larger than the size cap ({stat.st_size:,} > {source.max_file_bytes:,} bytes; "
                        "raise max_file_bytes to index it)")
        if stat.st_size == 0:
            return skip("empty file")
        if (record is not None and record.state == "done" and record.settings == settings
                and (record.size, record.mtime_ns) == (stat.st_size, stat.st_mtime_ns)):
            tally.unchanged.append(rel)
            batch.reports.append((rel, "unchanged"))
            return None
        try:
            data = path.read_bytes()
        except OSError as exc:
            return skip(f"cannot read the file: {exc.strerror or exc}")
        sha256 = hashlib.sha256(data).hexdigest()
        if record is not None and record.unchanged(sha256=sha256, settings=settings):
            batch.touches.append((rel, stat.st_size, stat.st_mtime_ns))
            tally.unchanged.append(rel)
            batch.reports.append((rel, "unchanged"))
            return None
        try:
            document = load_bytes(data, path.suffix, path.stem)
        except DocumentError as exc:
            return skip(str(exc))
        except Exception as exc:  # a loader library choking on hostile input must not stop the run
            return skip(f"could not be parsed ({type(exc).__name__}: {exc})")
        chunks = chunk_document(document, source=source.name, path=rel,
                                max_tokens=source.chunk_tokens, overlap=source.chunk_overlap)
        if not chunks:
            return skip("no text in the file")
        outcome = "updated" if record is not None and record.state == "done" else "added"
        batch.files.append(_File(rel=rel, sha256=sha256, size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                                 document=document, chunks=chunks, outcome=outcome))
        batch.reports.append((rel, outcome))
        tally.chunks += len(chunks)
        (tally.updated if outcome == "updated" else tally.added).append(rel)
        return None

    def _write(self, source: str, settings: str, batch: _Batch) -> None:
        """Every write of ``batch``, in the order that survives ``kill -9`` (the writer thread)."""
        for rel in batch.removals:
            self.remove(source, rel)
        for rel, size, mtime_ns in batch.touches:
            self.manifest.touch(source, rel, size, mtime_ns)
        if not batch.files:
            return
        with transaction(self._conn):
            for f in batch.files:
                self.manifest.mark_pending(source, f.rel)
        self.store.upsert([c for f in batch.files for c in f.chunks], batch.vectors)
        for f in batch.files:
            stale = self.store.ids_for_path(source, f.rel) - {c.id for c in f.chunks}
            if stale:
                self.store.delete_ids(source, sorted(stale))
        with transaction(self._conn):
            for f in batch.files:
                self.keyword.replace(source, f.rel, f.chunks)
                self.manifest.finish(
                    source=source, path=f.rel, sha256=f.sha256, size=f.size, mtime_ns=f.mtime_ns,
                    settings=settings, title=f.document.title, text=f.document.text, chunks=len(f.chunks),
                )

    def remove(self, source: str, path: str) -> None:
        """Remove a file everywhere; the manifest row goes last, so a crash retries."""
        self.manifest.mark_pending(source, path)
        self.store.delete_path(source, path)
        with transaction(self._conn):
            self.keyword.delete(source, path)
            self.manifest.remove(source, path)

    def rebuild(self, source: str) -> None:
        """Forget everything indexed for ``source`` (e.g. to switch embedders)."""
        self.store.drop(source)
        with transaction(self._conn):
            self._conn.execute("DELETE FROM chunks WHERE source = ?", (source,))
            self._conn.execute("DELETE FROM files WHERE source = ?", (source,))
