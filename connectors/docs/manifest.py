"""The manifest: one row per indexed file, with its content hash and state.

A file is marked ``pending`` (committed) before its chunks are written anywhere,
and ``done`` with its new hash in the same transaction that rewrites its keyword
rows. A run killed in between leaves ``pending``, which the next run treats as
changed (or, if the file is gone, removes), so the index converges.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone

from connectors.docs.models import DocumentInfo

__all__ = ["FileRecord", "Manifest"]


@dataclass(frozen=True, kw_only=True)
class FileRecord:
    source: str
    path: str
    sha256: str | None
    state: str
    size: int | None
    mtime_ns: int | None
    settings: str | None
    chunks: int

    def unchanged(self, *, sha256: str, settings: str) -> bool:
        return self.state == "done" and self.sha256 == sha256 and self.settings == settings


class Manifest:
    """Rows of the ``files`` table."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def records(self, source: str) -> dict[str, FileRecord]:
        rows = self._conn.execute(
            "SELECT source, path, sha256, state, size, mtime_ns, settings, chunks "
            "FROM files WHERE source = ?", (source,),
        )
        return {row[1]: FileRecord(
            source=row[0], path=row[1], sha256=row[2], state=row[3], size=row[4],
            mtime_ns=row[5], settings=row[6], chunks=row[7],
        ) for row in rows}

    def mark_pending(self, source: str, path: str) -> None:
        self._conn.execute(
            "INSERT INTO files (source, path, state) VALUES (?, ?, 'pending') "
            "ON CONFLICT (source, path) DO UPDATE SET state = 'pending', sha256 = NULL",
            (source, path),
        )

    def finish(
        self, *, source: str, path: str, sha256: str, size: int, mtime_ns: int, settings: str,
        title: str, text: str, chunks: int,
    ) -> None:
        self._conn.execute(
            "UPDATE files SET sha256 = ?, state = 'done', size = ?, mtime_ns = ?, settings = ?, "
            "title = ?, text = ?, chunks = ?, indexed_at = ? WHERE source = ? AND path = ?",
            (sha256, size, mtime_ns, settings, title, text, chunks,
             datetime.now(timezone.utc).isoformat(timespec="seconds"), source, path),
        )

    def touch(self, source: str, path: str, size: int, mtime_ns: int) -> None:
        """Same content, new stat: remember it so the next run skips hashing."""
        self._conn.execute(
            "UPDATE files SET size = ?, mtime_ns = ? WHERE source = ? AND path = ?",
            (size, mtime_ns, source, path),
        )

    def remove(self, source: str, path: str) -> None:
        self._conn.execute("DELETE FROM files WHERE source = ? AND path = ?", (source, path))

    def documents(self, source: str) -> list[DocumentInfo]:
        rows = self._conn.execute(
            "SELECT path, title, chunks, length(text), indexed_at FROM files "
            "WHERE source = ? AND state = 'done' ORDER BY path", (source,),
        )
        return [DocumentInfo(
            source=source, path=path, title=title or path, chunks=chunks, chars=chars or 0,
            indexed_at=datetime.fromisoformat(indexed_at),
        ) for path, title, chunks, chars, indexed_at in rows]

    def document_text(self, source: str, path: str) -> tuple[str, str] | None:
        """(title, full text) of an indexed document, or None."""
        row = self._conn.execute(
            "SELECT title, text FROM files WHERE source = ? AND path = ? AND state = 'done'",
            (source, path),
        ).fetchone()
        return None if row is None else (row[0] or path, row[1] or "")

    def sources_with(self, path: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT source FROM files WHERE path = ? AND state = 'done' ORDER BY source", (path,)
        )
        return [source for (source,) in rows]

    def paths(self, source: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT path FROM files WHERE source = ? AND state = 'done' ORDER BY path", (source,)
        )
        return [path for (path,) in rows]
