"""Read-only connections and time limits, one backend per database kind.

This is the layer below the sqlglot guard: if the guard ever lets a write
through, the connection itself still refuses it.

- SQLite: a ``mode=ro`` URI, ``PRAGMA query_only``, no attachable databases,
  and an authorizer that allows only reads (``mode=ro`` alone does not stop
  ``ATTACH`` from creating a file; ``query_only`` can be switched off again).
  A progress handler stops a runaway query at its deadline.
- PostgreSQL: ``default_transaction_read_only`` and ``statement_timeout`` are
  set in the startup packet, so they hold from the first statement;
  statements are prepared, so psycopg refuses a multi-statement string; and a
  returned connection is rolled back and ``RESET ALL``.
- Any other SQLAlchemy URL: every statement runs in a transaction that is
  always rolled back (the engine does that for every backend).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import QueuePool

from connectors.errors import SqlError

__all__ = ["ReadOnlyBackend", "backend_for", "register_backend"]


class ReadOnlyBackend(ABC):
    """Opens read-only engines for one kind of database and bounds query time."""

    #: True when the backend enforces the time limit inside the database server.
    server_side_timeout: bool = False

    @abstractmethod
    def create_engine(self, url: URL, timeout_s: float) -> Engine:
        """A pooled engine whose every connection is read-only."""

    @contextlib.contextmanager
    def time_limit(self, conn: Connection, seconds: float) -> Iterator[None]:
        """Bound the statements run on ``conn`` inside the block to ``seconds``."""
        yield


# -- SQLite -------------------------------------------------------------------

# What the authorizer lets through: reads, plus the PRAGMAs SQLAlchemy's
# inspector uses to describe tables. Everything else, ATTACH and every write
# included, is denied inside SQLite itself.
_SQLITE_READ_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}
_SQLITE_READ_PRAGMAS = {
    "table_info", "table_xinfo", "foreign_key_list", "index_list", "index_info", "index_xinfo",
}
# Read without an argument only: SQLAlchemy asks for the isolation level on connect.
_SQLITE_GETTER_PRAGMAS = {"read_uncommitted"}
_SQLITE_DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}


def _sqlite_authorizer(action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None) -> int:
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        # Table-valued functions (json_each, json_tree) declare their virtual table by
        # compiling a CREATE TABLE, which asks for this; nothing is written. A real
        # UPDATE of sqlite_master is refused by SQLite itself without writable_schema,
        # a PRAGMA this authorizer denies, and by the mode=ro file handle.
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_DENY if (arg2 or "").lower() in _SQLITE_DENIED_FUNCTIONS else sqlite3.SQLITE_OK
    if action in _SQLITE_READ_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA:
        pragma = (arg1 or "").lower()
        if pragma in _SQLITE_READ_PRAGMAS or (pragma in _SQLITE_GETTER_PRAGMAS and arg2 is None):
            return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


class SQLiteBackend(ReadOnlyBackend):
    """A SQLite file, opened read-only with an authorizer."""

    PROGRESS_OPS = 1_000  # VM steps between deadline checks: about 10 µs of work

    def create_engine(self, url: URL, timeout_s: float) -> Engine:
        database = url.database
        if not database or database == ":memory:":
            raise SqlError("An in-memory SQLite database has nothing to read; give the path of a .db file.")
        path = Path(database).expanduser().resolve()
        if not path.is_file():
            raise SqlError(f"No SQLite database file at {path}; check the path in the URL.")
        uri = f"{path.as_uri()}?mode=ro"

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
            conn.set_authorizer(_sqlite_authorizer)
            return conn

        # "sqlite://" would otherwise get a SingletonThreadPool meant for :memory:.
        return sa.create_engine("sqlite://", creator=connect, poolclass=QueuePool, pool_size=4)

    @contextlib.contextmanager
    def time_limit(self, conn: Connection, seconds: float) -> Iterator[None]:
        raw: Any = conn.connection.driver_connection
        deadline = time.monotonic() + seconds
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), self.PROGRESS_OPS)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)


# -- PostgreSQL ---------------------------------------------------------------


def _reset_session(dbapi_connection: Any, connection_record: Any) -> None:
    """Whatever a statement managed to SET does not outlive its checkout."""
    dbapi_connection.rollback()
    with dbapi_connection.cursor() as cursor:
        cursor.execute("RESET ALL")
    dbapi_connection.commit()


class PostgresBackend(ReadOnlyBackend):
    """PostgreSQL through psycopg 3, read-only from the startup packet on."""

    server_side_timeout = True

    def create_engine(self, url: URL, timeout_s: float) -> Engine:
        if url.get_driver_name() not in ("psycopg", ""):
            raise SqlError(
                f"Use the psycopg 3 driver for PostgreSQL ('postgresql+psycopg://…'), not "
                f"'{url.get_driver_name()}': its prepared statements refuse stacked queries."
            )
        url = url.set(drivername="postgresql+psycopg")
        options = f"-c default_transaction_read_only=on -c statement_timeout={int(timeout_s * 1000)}"
        engine = sa.create_engine(
            url,
            connect_args={"options": options, "prepare_threshold": 0, "connect_timeout": 10},
            pool_size=4,
            pool_pre_ping=True,
        )
        sa.event.listen(engine, "checkin", _reset_session)
        return engine

    @contextlib.contextmanager
    def time_limit(self, conn: Connection, seconds: float) -> Iterator[None]:
        # Transaction-local, so it ends with the (always rolled back) transaction.
        conn.execute(
            sa.text("SELECT set_config('statement_timeout', :ms, true)"),
            {"ms": str(max(1, int(seconds * 1000)))},
        )
        yield


class GenericBackend(ReadOnlyBackend):
    """Any other SQLAlchemy URL: relies on the guard and the always-rolled-back transaction."""

    def create_engine(self, url: URL, timeout_s: float) -> Engine:
        return sa.create_engine(url, pool_pre_ping=True)


_BACKENDS: dict[str, ReadOnlyBackend] = {
    "sqlite": SQLiteBackend(),
    "postgresql": PostgresBackend(),
}
_GENERIC = GenericBackend()


def register_backend(name: str, backend: ReadOnlyBackend) -> None:
    """Use ``backend`` for SQLAlchemy URLs whose backend name is ``name``."""
    _BACKENDS[name] = backend


def backend_for(url: URL) -> ReadOnlyBackend:
    """The read-only backend for ``url``; unknown kinds get the generic one."""
    return _BACKENDS.get(url.get_backend_name(), _GENERIC)
