"""Question→SQL examples learned from answers a user confirmed, per database.

    store = ExampleStore(config.data_dir / "examples.db")
    candidate = learnable(answer, source)      # the SQL the answer ran, or why it cannot be kept
    store.add(source.name, answer.question, candidate.sql)
    store.for_source("sales")                  # few-shot material for the SQL route

What is stored is guarded, because it is shown to the model again for other questions:

- only SQL that the SQL server's guard accepted and that ran: the SQL of an answer's
  database citation, which the SQL route makes only for a query ``run_query`` ran;
- never SQL that names a masked column (``[[databases.mask]]``), so no literal
  compared with a masked value is kept; nor SQL that names a row-filtered table,
  whose literals could tell one caller's rows to another;
- nothing over :data:`MAX_SQL_CHARS` or :data:`MAX_QUESTION_CHARS`.

One SQLite file (WAL) in the data directory; the same question asked of the same
database again replaces its SQL. Thread-safe.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from agent.answer import Answer
from agent.errors import AgentError
from connectors.config import DatabaseSource, SqlExample

__all__ = ["MAX_QUESTION_CHARS", "MAX_SQL_CHARS", "ExampleStore", "Learnable", "StoredExample", "learnable", "unsafe_reason"]

MAX_SQL_CHARS = 4_000
MAX_QUESTION_CHARS = 1_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS examples (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    question TEXT NOT NULL,
    sql TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (source, question)
)
"""


@dataclass(frozen=True)
class StoredExample:
    id: int
    source: str
    question: str
    sql: str
    created_at: str

    def example(self) -> SqlExample:
        return SqlExample(question=self.question, sql=self.sql)


@dataclass(frozen=True)
class Learnable:
    """What an answer offers the store: a database's SQL, or why nothing (``reason``)."""

    source: str | None = None
    sql: str | None = None
    reason: str | None = None


class ExampleStore:
    """The examples file; it is created on the first :meth:`add`, so reading never writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    @contextmanager
    def _db(self, create: bool) -> Iterator[sqlite3.Connection | None]:
        with self._lock:
            if self._conn is None:
                if not create and not self.path.exists():
                    yield None
                    return
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA busy_timeout=5000")
                self._conn.execute(_SCHEMA)
            yield self._conn

    def add(self, source: str, question: str, sql: str) -> int:
        """Keep ``question`` → ``sql`` for ``source`` (replacing that question's SQL); its id."""
        question, sql = " ".join(question.split()), sql.strip()
        if not question or not sql:
            raise AgentError("An example needs a question and its SQL.")
        if len(question) > MAX_QUESTION_CHARS or len(sql) > MAX_SQL_CHARS:
            raise AgentError(f"An example's question may have {MAX_QUESTION_CHARS} characters and its SQL "
                             f"{MAX_SQL_CHARS}; this one is longer, so it was not kept.")
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._db(create=True) as conn:
            assert conn is not None
            conn.execute(
                "INSERT INTO examples (source, question, sql, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source, question) DO UPDATE SET sql = excluded.sql, created_at = excluded.created_at",
                (source, question, sql, now),
            )
            return int(conn.execute("SELECT id FROM examples WHERE source = ? AND question = ?",
                                    (source, question)).fetchone()[0])

    def list(self, source: str | None = None) -> list[StoredExample]:
        """Every stored example (of ``source``), oldest first."""
        with self._db(create=False) as conn:
            if conn is None:
                return []
            where, args = ("WHERE source = ?", (source,)) if source else ("", ())
            rows = conn.execute(f"SELECT id, source, question, sql, created_at FROM examples {where} ORDER BY id",
                                args).fetchall()
        return [StoredExample(*row) for row in rows]

    def remove(self, example_id: int) -> bool:
        """Delete one example; False when there is no such id."""
        with self._db(create=False) as conn:
            if conn is None:
                return False
            return conn.execute("DELETE FROM examples WHERE id = ?", (example_id,)).rowcount > 0

    def for_source(self, source: str) -> list[SqlExample]:
        return [e.example() for e in self.list(source)]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def learnable(answer: Answer, sources: dict[str, DatabaseSource]) -> Learnable:
    """The SQL ``answer`` ran against one of ``sources`` that may be kept, or why none."""
    cited = [c for _, c in answer.citations if c.sql and c.source in sources]
    if not cited:
        return Learnable(reason="the answer ran no SQL query, so there is nothing to learn")
    citation = cited[0]
    source = sources[citation.source]
    why = unsafe_reason(citation.sql or "", source)
    if why:
        return Learnable(source=source.name, reason=why)
    return Learnable(source=source.name, sql=citation.sql)


def unsafe_reason(sql: str, source: DatabaseSource) -> str | None:
    """Why ``sql`` must not become an example of ``source``; None when it may."""
    if len(sql) > MAX_SQL_CHARS:
        return f"the SQL is longer than {MAX_SQL_CHARS} characters"
    try:
        tree = sqlglot.parse_one(sql, read=_dialect(source))
    except SqlglotError:
        return "the SQL could not be parsed again"
    masked = {m.column.lower() for m in source.mask}
    named = {c.name.lower() for c in tree.find_all(exp.Column)}
    if masked & named:
        return f"the SQL uses a masked column ({', '.join(sorted(masked & named))})"
    filtered = {f.table.lower() for f in source.row_filter}
    tables = {t.name.lower() for t in tree.find_all(exp.Table)}
    if filtered & tables:
        return f"the SQL reads a row-filtered table ({', '.join(sorted(filtered & tables))})"
    return None


def _dialect(source: DatabaseSource) -> str | None:
    url = source.url or ""
    return "postgres" if url.startswith("postgres") else "sqlite" if url.startswith("sqlite") else None
