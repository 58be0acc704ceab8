"""The SQLite file beside Chroma: manifest, full texts, chunks and their FTS5 index.

One file, so that the manifest and the keyword index change in one transaction.
WAL mode keeps a committed transaction through ``kill -9``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from connectors.docs.globs import glob_match
from connectors.errors import DocumentError

__all__ = ["SCHEMA_VERSION", "WORDS_TOKENIZER", "open_database"]

SCHEMA_VERSION = 2
WORDS_TOKENIZER = "porter unicode61 remove_diacritics 2"
"""How ``chunks_words`` splits text into terms; a query must be stemmed the same way."""

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT,                      -- NULL while a write is in flight (state 'pending')
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    size INTEGER, mtime_ns INTEGER,
    settings TEXT,                    -- chunking settings and embedder the chunks were made with
    title TEXT, text TEXT,
    chunks INTEGER NOT NULL DEFAULT 0,
    indexed_at TEXT,
    PRIMARY KEY (source, path)
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, path TEXT NOT NULL, ordinal INTEGER NOT NULL,
    title TEXT NOT NULL, heading TEXT NOT NULL, heading_json TEXT NOT NULL,
    page INTEGER, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_file ON chunks (source, path, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, title, heading, content='chunks', content_rowid='rowid', tokenize='trigram'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, text, title, heading) VALUES (new.rowid, new.text, new.title, new.heading);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text, title, heading)
    VALUES ('delete', old.rowid, old.text, old.title, old.heading);
END;
-- Words (schema 2): Latin-script text is searched here, where a term is one token and its
-- posting list is read once, instead of as a phrase of trigrams. Porter stemming keeps what
-- the trigram index gave for free: "leave" finds "leaves".
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_words USING fts5(
    text, title, heading, content='chunks', content_rowid='rowid',
    tokenize='{WORDS_TOKENIZER}'
);
CREATE TRIGGER IF NOT EXISTS chunks_words_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_words (rowid, text, title, heading) VALUES (new.rowid, new.text, new.title, new.heading);
END;
CREATE TRIGGER IF NOT EXISTS chunks_words_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_words (chunks_words, rowid, text, title, heading)
    VALUES ('delete', old.rowid, old.text, old.title, old.heading);
END;
"""


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring an index written by an older ragbox up to :data:`SCHEMA_VERSION`, in place."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is not None and int(row[0]) < 2:
        # The words table was just created empty beside existing chunks: fill it from them.
        conn.execute("INSERT INTO chunks_words (chunks_words) VALUES ('rebuild')")
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
    )


def open_database(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the docs database at ``path``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        _migrate(conn)
    except sqlite3.Error as exc:
        raise DocumentError(
            f"Cannot open the document index at {path}: {exc}. Check the data directory "
            "is writable, or delete the file to rebuild the index with 'docs ingest'."
        ) from exc
    conn.create_function("glob_match", 2, glob_match, deterministic=True)
    return conn
