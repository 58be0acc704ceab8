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

Each backend also owns what differs between database kinds: the dialect's
display name (for prompts and tool descriptions), sqlglot's name for it (for
the guard), how to count rows and where table and column comments live.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import QueuePool
from sqlglot.dialects.dialect import Dialect

from connectors.errors import SqlError

__all__ = ["Comments", "ReadOnlyBackend", "backend_for", "register_backend"]

Comments = tuple[str | None, dict[str, str]]
"""A table's comment, and its columns' comments keyed by lower-case column name."""


class ReadOnlyBackend(ABC):
    """Opens read-only engines for one kind of database, bounds query time, knows its dialect."""

    #: The dialect as people name it: "SQLite", "PostgreSQL".
    display_name: str = "SQL"
    #: sqlglot's name for the dialect, which the guard parses with.
    sqlglot_dialect: str = ""
    #: True when the backend enforces the time limit inside the database server.
    server_side_timeout: bool = False

    @abstractmethod
    def create_engine(self, url: URL, timeout_s: float) -> Engine:
        """A pooled engine whose every connection is read-only."""

    @contextlib.contextmanager
    def time_limit(self, conn: Connection, seconds: float) -> Iterator[None]:
        """Bound the statements run on ``conn`` inside the block to ``seconds``."""
        yield

    def row_count(self, conn: Connection, table: str) -> int | None:
        """Rows in ``table`` (a name from the inspector), exact unless the backend estimates."""
        return conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar()

    def comments(self, conn: Connection, table: str) -> Comments:
        """The comments the database keeps for ``table`` and its columns."""
        try:
            return sa.inspect(conn).get_table_comment(table).get("text"), {}
        except NotImplementedError:
            return None, {}


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


_DDL_COMMENT = re.compile(r"^\s*\"?(\w+)\"?[^\n]*?--\s*(.+?)\s*$", re.MULTILINE)
_TABLE_COMMENT = re.compile(r"^\s*CREATE\s+TABLE[^\n(]*\(\s*--\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def sqlite_comments(ddl: str) -> Comments:
    """Table and column comments written as ``-- …`` in SQLite DDL (SQLite keeps the text)."""
    table = _TABLE_COMMENT.search(ddl)
    body = ddl.split("\n", 1)[1] if "\n" in ddl else ""
    columns = {m.group(1).lower(): m.group(2) for m in _DDL_COMMENT.finditer(body)}
    return (table.group(1) if table else None), columns


class SQLiteBackend(ReadOnlyBackend):
    """A SQLite file, opened read-only with an authorizer."""

    display_name = "SQLite"
    sqlglot_dialect = "sqlite"
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

    def comments(self, conn: Connection, table: str) -> Comments:
        # SQLite has no COMMENT ON; the demo (and many teams) write them into the DDL.
        ddl = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": table}).scalar()
        return sqlite_comments(ddl or "")


# -- PostgreSQL ---------------------------------------------------------------


def _reset_session(dbapi_connection: Any, connection_record: Any) -> None:
    """Whatever a statement managed to SET does not outlive its checkout."""
    dbapi_connection.rollback()
    with dbapi_connection.cursor() as cursor:
        cursor.execute("RESET ALL")
    dbapi_connection.commit()


class PostgresBackend(ReadOnlyBackend):
    """PostgreSQL through psycopg 3, read-only from the startup packet on."""

    display_name = "PostgreSQL"
    sqlglot_dialect = "postgres"
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

    def row_count(self, conn: Connection, table: str) -> int | None:
        # The planner's estimate: an exact count(*) of a big table would eat the time limit.
        estimate = conn.execute(
            sa.text("SELECT c.reltuples::bigint FROM pg_class c WHERE c.oid = to_regclass(quote_ident(:name))"),
            {"name": table},
        ).scalar()
        return int(estimate) if estimate is not None and estimate >= 0 else None


class GenericBackend(ReadOnlyBackend):
    """Any other SQLAlchemy URL: relies on the guard and the always-rolled-back transaction."""

    def __init__(self, display_name: str, sqlglot_dialect: str) -> None:
        try:
            Dialect.get_or_raise(sqlglot_dialect)
        except ValueError:
            raise SqlError(
                f"ragbox cannot check SQL for '{display_name}' databases: sqlglot has no such dialect."
            ) from None
        self.display_name = display_name
        self.sqlglot_dialect = sqlglot_dialect

    def create_engine(self, url: URL, timeout_s: float) -> Engine:
        return sa.create_engine(url, pool_pre_ping=True)


# Keyed by SQLAlchemy's backend name (``URL.get_backend_name()``).
_BACKENDS: dict[str, ReadOnlyBackend] = {
    "sqlite": SQLiteBackend(),
    "postgresql": PostgresBackend(),
}
_GENERIC_NAMES = {"mysql": ("MySQL", "mysql"), "mariadb": ("MariaDB", "mysql"),
                  "mssql": ("SQL Server", "tsql"), "oracle": ("Oracle", "oracle")}


def register_backend(name: str, backend: ReadOnlyBackend) -> None:
    """Use ``backend`` for SQLAlchemy URLs whose backend name is ``name``."""
    _BACKENDS[name] = backend


def backend_for(url: URL) -> ReadOnlyBackend:
    """The read-only backend for ``url``; other kinds get a generic one, if sqlglot knows the dialect."""
    name = url.get_backend_name().lower()
    if name in _BACKENDS:
        return _BACKENDS[name]
    return GenericBackend(*_GENERIC_NAMES.get(name, (name, name)))
