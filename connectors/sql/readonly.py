"""Read-only connections, time and memory limits, one backend per database kind.

This is the layer below the sqlglot guard: if the guard ever lets a write
through, the connection itself still refuses it; if a query builds a huge
string, the database stops it.

- SQLite: a ``mode=ro`` URI, ``PRAGMA query_only``, no attachable databases,
  and an authorizer that allows only reads (``mode=ro`` alone does not stop
  ``ATTACH`` from creating a file; ``query_only`` can be switched off again).
  A progress handler stops a runaway query at its deadline. Memory:
  ``SQLITE_LIMIT_LENGTH`` caps every string, blob and row at ``max_value_bytes``
  (SQLite's default is 1 GB), and ``PRAGMA hard_heap_limit`` caps SQLite's heap
  for the whole process (see :class:`SQLiteBackend`).
- PostgreSQL: ``default_transaction_read_only``, ``statement_timeout`` and
  ``work_mem`` are set in the startup packet, so they hold from the first
  statement, and ``temp_file_limit`` too where the role may set it (see
  :class:`PostgresBackend`); statements are prepared, so psycopg refuses a
  multi-statement string; a returned connection is rolled back and ``RESET ALL``.
  PostgreSQL has no per-query memory cap, so a query's rows come one at a time
  and the server refuses to send a row larger than ``max_value_bytes``.
- Any other SQLAlchemy URL: every statement runs in a transaction that is
  always rolled back (the engine does that for every backend).

Each backend names the limit a failed query hit (:meth:`ReadOnlyBackend.too_large`),
so the caller learns what to select instead.

Each backend also owns what differs between database kinds: the dialect's
display name (for prompts and tool descriptions), sqlglot's name for it (for
the guard), how to count rows and where table and column comments live.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import QueuePool
from sqlglot.dialects.dialect import Dialect

from connectors.errors import SqlError, SqlTooLarge
from connectors.sql.guard import PARAM_PREFIX

__all__ = [
    "MAX_VALUE_BYTES",
    "Comments",
    "MiB",
    "PostgresBackend",
    "ReadOnlyBackend",
    "Rows",
    "SQLiteBackend",
    "backend_for",
    "mib",
    "register_backend",
]

Comments = tuple[str | None, dict[str, str]]
"""A table's comment, and its columns' comments keyed by lower-case column name."""

Rows = tuple[tuple[str, ...], Iterator[Sequence[Any]]]
"""A result's column names, and its rows, fetched one at a time as the iterator advances."""

MiB = 1024 * 1024
MAX_VALUE_BYTES = 4 * MiB
"""The default cap on one value (and one row): the demo's largest whole-table JSON is 2.6 MB."""


def mib(size: int) -> str:
    """``size`` bytes for a message: "4 MiB", "0.5 MiB", "954 MiB"."""
    return f"{size / MiB:.1f}".removesuffix(".0") + " MiB"


class ReadOnlyBackend(ABC):
    """Opens read-only engines for one kind of database, bounds query time, knows its dialect."""

    #: The dialect as people name it: "SQLite", "PostgreSQL".
    display_name: str = "SQL"
    #: sqlglot's name for the dialect, which the guard parses with.
    sqlglot_dialect: str = ""
    #: True when the backend enforces the time limit inside the database server.
    server_side_timeout: bool = False
    #: True when :meth:`execute` binds the row scope's ``:rbx_rf_N`` parameters.
    binds_row_filters: bool = False

    @abstractmethod
    def create_engine(self, url: URL, timeout_s: float, *, max_value_bytes: int = MAX_VALUE_BYTES) -> Engine:
        """A pooled engine whose every connection is read-only, with values capped where the database can."""

    @contextlib.contextmanager
    def time_limit(self, conn: Connection, seconds: float) -> Iterator[None]:
        """Bound the statements run on ``conn`` inside the block to ``seconds``."""
        yield

    @contextlib.contextmanager
    def execute(
        self, conn: Connection, sql: str, *, params: Mapping[str, Any] | None = None, max_value_bytes: int
    ) -> Iterator[Rows]:
        """Run ``sql`` as written; its rows are fetched one at a time, while the block lasts.

        ``params`` bind the ``:name`` placeholders of the row scope (backends that say
        :attr:`binds_row_filters`).
        """
        if params and not self.binds_row_filters:
            raise SqlError(f"{self.display_name} databases cannot bind row filters.")
        if conn.dialect.paramstyle in ("format", "pyformat"):
            sql = sql.replace("%", "%%")  # no parameters: a % is a %, not a placeholder
        result = conn.exec_driver_sql(sql, dict(params)) if params else conn.exec_driver_sql(sql)
        try:
            # The driver's own cursor: rows come one per step, about twice as fast as
            # SQLAlchemy's Row objects (textual SQL has no result types to process anyway).
            yield tuple(result.keys()), iter(result.cursor or ())
        finally:
            result.close()

    def too_large(self, exc: BaseException, max_value_bytes: int) -> SqlTooLarge | None:
        """Our error for ``exc`` (a driver error) when a size or memory limit stopped the query."""
        return None

    def bind_session(self, conn: Connection, settings: Mapping[str, str], role: str | None) -> None:
        """Make ``settings`` (``ragbox.claim.*``) and ``role`` hold for the rest of the transaction."""
        raise SqlError(f"{self.display_name} databases have no per-caller settings or roles; "
                       "use [[databases.row_filter]].")

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


def _sqlite_limits(max_value_bytes: int) -> dict[int, int]:
    """The ``sqlite3_limit`` values of every connection; the others keep SQLite's defaults.

    Each bounds what one statement can make SQLite allocate. They are set even where
    they equal this build's defaults, so a build compiled with looser ones holds too.
    """
    return {
        # Every string, blob and row: randomblob, zeroblob, printf widths, replace,
        # group_concat, recursive concatenation all stop here ("string or blob too big").
        sqlite3.SQLITE_LIMIT_LENGTH: max_value_bytes,
        # The guard passes at most 20,000 characters; its rendering, in UTF-8, fits.
        sqlite3.SQLITE_LIMIT_SQL_LENGTH: 256 * 1024,
        # Parser and code generator recursion; the guard's parser gives up sooner.
        sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 1_000,
        sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 500,
        sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 127,
        # A LIKE/GLOB pattern is matched on every row; no question needs a longer one.
        sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1_000,
        sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    }


class SQLiteBackend(ReadOnlyBackend):
    """A SQLite file, opened read-only with an authorizer, its values and heap capped.

    ``PRAGMA hard_heap_limit`` is process-wide: SQLite keeps one heap for every
    connection in the process (any other SQLite user's too, such as the documents
    index in the all-in-one server), the PRAGMA can only lower it, and the first
    database opened sets it. :attr:`HEAP_LIMIT` is therefore a budget for all of SQLite in
    the process, not per database: a query that would pass it fails with
    "out of memory", which :meth:`too_large` names, and SQLite itself stays usable.
    Above :attr:`SOFT_HEAP_LIMIT` SQLite first gives back cache pages. Temporary
    tables and indexes live in files (``temp_store = FILE``), not on that heap.
    """

    display_name = "SQLite"
    sqlglot_dialect = "sqlite"
    binds_row_filters = True  # sqlite3 binds :name placeholders from a dict
    PROGRESS_OPS = 1_000  # VM steps between deadline checks: about 10 µs of work
    #: All of SQLite's memory in this process. A read query needs little: a 2 MiB page
    #: cache per connection (14 per pool) and a few values of ``max_value_bytes``. The
    #: driver copies a row's values too, so a query can cost the process twice this.
    HEAP_LIMIT = 128 * MiB
    SOFT_HEAP_LIMIT = 64 * MiB

    def create_engine(self, url: URL, timeout_s: float, *, max_value_bytes: int = MAX_VALUE_BYTES) -> Engine:
        database = url.database
        if not database or database == ":memory:":
            raise SqlError("An in-memory SQLite database has nothing to read; give the path of a .db file.")
        path = Path(database).expanduser().resolve()
        if not path.is_file():
            raise SqlError(f"No SQLite database file at {path}; check the path in the URL.")
        uri = f"{path.as_uri()}?mode=ro"
        limits = _sqlite_limits(max_value_bytes)

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            # PRAGMAs before the authorizer, which denies them. The heap limits are
            # process-wide (see the class docstring); the others hold for this connection.
            conn.execute(f"PRAGMA hard_heap_limit = {self.HEAP_LIMIT}")
            conn.execute(f"PRAGMA soft_heap_limit = {self.SOFT_HEAP_LIMIT}")
            conn.execute("PRAGMA temp_store = FILE")
            for limit, value in limits.items():
                conn.setlimit(limit, value)
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

    def too_large(self, exc: BaseException, max_value_bytes: int) -> SqlTooLarge | None:
        orig = getattr(exc, "orig", None) or exc
        if isinstance(orig, MemoryError):  # what Python's sqlite3 raises for SQLITE_NOMEM
            return SqlTooLarge(
                "hard_heap_limit",
                f"The query needed more memory than SQLite's {mib(self.HEAP_LIMIT)} budget for this "
                "server (PRAGMA hard_heap_limit, shared by every query running at the time) and was "
                "stopped. Select less data: fewer columns, substr(col, 1, 1000) or length(col) "
                "instead of whole big values.",
            )
        if "string or blob too big" in str(orig):
            return SqlTooLarge(
                "SQLITE_LIMIT_LENGTH",
                f"A value or row would exceed SQLite's {mib(max_value_bytes)} value limit "
                "(SQLITE_LIMIT_LENGTH, set by this database's max_value_bytes), so the query was "
                "stopped. Select less data: substr(col, 1, 1000), length(col) or an aggregate, "
                "instead of building or returning huge strings or blobs.",
            )
        return None

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


# The rows of the caller's query, each checked on the server before it is sent: a row
# above the limit fails the statement instead of crossing the wire. The error is a cast
# that cannot succeed (PostgreSQL has no RAISE outside PL/pgSQL); it is not a constant,
# so it is evaluated only for a row that is too large. PostgreSQL never flattens a subquery
# with a LIMIT or ORDER BY (the guard always adds a LIMIT), so the row order is kept.
_ROW = "_ragbox_row"
_ROW_MARK = "ragbox:max_value_bytes:"
_ROW_CHECK = (
    "SELECT {row}.* FROM ({sql}) AS {row} WHERE CASE WHEN pg_column_size({row}.*) > {limit} "
    "THEN CAST('{mark}' || pg_column_size({row}.*) AS integer) = 0 ELSE true END"
)
_ROW_SIZE = re.compile(re.escape(_ROW_MARK) + r"(\d+)")
# The row scope's placeholders as sqlglot renders them for PostgreSQL, once % is doubled: %%(name)s,
# or :name.
_ROW_PARAM = re.compile(rf"%%\(({PARAM_PREFIX}\d+)\)s|:({PARAM_PREFIX}\d+)\b")


class _TempFileLimit:
    """A ``do_connect`` hook: ask for ``temp_file_limit`` while the role may set it.

    Only superusers, or roles granted ``SET`` on it (PostgreSQL 15+), may set
    ``temp_file_limit``; for anyone else PostgreSQL refuses the connection. The
    first refusal (one FATAL line in the server's log) is remembered, and
    connections go on without it.
    """

    def __init__(self, value: str) -> None:
        self.value = value
        self.permitted: bool | None = None  # unknown until the first connection

    def __call__(self, dialect: Any, conn_rec: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        if self.permitted is False:
            return None  # SQLAlchemy connects with the plain options
        options = f"{cparams.get('options', '')} -c temp_file_limit={self.value}".strip()
        try:
            conn = dialect.connect(*cargs, **{**cparams, "options": options})
        except dialect.loaded_dbapi.OperationalError as exc:
            if "permission denied to set parameter" not in str(exc):
                raise
            self.permitted = False
            return None
        self.permitted = True
        return conn


class PostgresBackend(ReadOnlyBackend):
    """PostgreSQL through psycopg 3, read-only from the startup packet on.

    Memory, in layers, since PostgreSQL 15 has no per-query memory cap:

    - ``work_mem`` (per sort or hash before it spills to disk) is set in the startup
      packet, so a server-wide or role setting cannot multiply it;
    - ``temp_file_limit`` caps the disk one query may spill to. Only a superuser, or a
      role granted ``SET`` on it, may set it; for any other role ragbox goes on without
      it, and an administrator should set it on the role instead::

          ALTER ROLE ragbox_reader SET temp_file_limit = '256MB';

    - a row larger than ``max_value_bytes`` is refused by the server before it is sent,
      and rows are streamed one at a time (libpq single-row mode), so ragbox never holds
      more than one row of a result. PostgreSQL itself stops one value at 1 GB.

    A value is still built inside the PostgreSQL server before it can be measured:
    the guard refuses literal sizes (``repeat('x', 1e9)``), ``statement_timeout`` bounds
    the rest, and the server's own memory is its administrator's to cap.
    """

    display_name = "PostgreSQL"
    sqlglot_dialect = "postgres"
    server_side_timeout = True
    binds_row_filters = True

    def __init__(self, *, work_mem: str = "4MB", temp_file_limit: str = "256MB") -> None:
        self.work_mem = work_mem
        self.temp_file_limit = temp_file_limit

    def create_engine(self, url: URL, timeout_s: float, *, max_value_bytes: int = MAX_VALUE_BYTES) -> Engine:
        if url.get_driver_name() not in ("psycopg", ""):
            raise SqlError(
                f"Use the psycopg 3 driver for PostgreSQL ('postgresql+psycopg://…'), not "
                f"'{url.get_driver_name()}': its prepared statements refuse stacked queries."
            )
        url = url.set(drivername="postgresql+psycopg")
        options = (
            f"-c default_transaction_read_only=on -c statement_timeout={int(timeout_s * 1000)} "
            f"-c work_mem={self.work_mem}"
        )
        engine = sa.create_engine(
            url,
            connect_args={"options": options, "prepare_threshold": 0, "connect_timeout": 10},
            pool_size=4,
            pool_pre_ping=True,
        )
        sa.event.listen(engine, "do_connect", _TempFileLimit(self.temp_file_limit))
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

    @contextlib.contextmanager
    def execute(
        self, conn: Connection, sql: str, *, params: Mapping[str, Any] | None = None, max_value_bytes: int
    ) -> Iterator[Rows]:
        if params:
            # psycopg's placeholders are %(name)s, so every other % is doubled. The guard refuses
            # the placeholders' prefix in a caller's SQL: each match is one the row scope wrote.
            sql = _ROW_PARAM.sub(lambda m: f"%({m.group(1) or m.group(2)})s", sql.replace("%", "%%"))
        checked = _ROW_CHECK.format(row=_ROW, sql=sql, limit=int(max_value_bytes), mark=_ROW_MARK)
        # psycopg's own cursor, in the transaction SQLAlchemy began: stream() is single-row
        # mode (SQLAlchemy's cursors hold the whole result), and still the extended protocol,
        # which refuses a second statement. Without parameters a % is sent as it is.
        cursor = conn.connection.driver_connection.cursor()
        stream = cursor.stream(checked, params or None)
        try:
            first = next(stream, None)
            if first is None:
                # stream() keeps no description for an empty result: ask for the columns
                # alone; with LIMIT 0 the executor never runs the query.
                cursor.execute(f"SELECT * FROM ({sql}) AS {_ROW} LIMIT 0", params or None)
                yield _column_names(cursor), iter(())
            else:
                yield _column_names(cursor), itertools.chain([first], stream)
        finally:
            stream.close()  # cancels a query still running, so the rollback can follow
            cursor.close()

    def too_large(self, exc: BaseException, max_value_bytes: int) -> SqlTooLarge | None:
        orig = getattr(exc, "orig", None) or exc
        state, message = getattr(orig, "sqlstate", None), (str(orig).strip().splitlines() or [""])[0]
        row = _ROW_SIZE.search(message)
        if row:
            return SqlTooLarge(
                "max_value_bytes",
                f"A row of the result is {mib(int(row.group(1)))}, above this database's "
                f"{mib(max_value_bytes)} row limit (max_value_bytes), so PostgreSQL did not send it. "
                "Select less data: substr(col, 1, 1000), length(col) or an aggregate, instead of "
                "building or returning huge values.",
            )
        if state == "53400" and "temp_file_limit" in message:
            return SqlTooLarge(
                "temp_file_limit",
                f"The query spilled more than {self.temp_file_limit} to temporary files "
                "(PostgreSQL's temp_file_limit) and was stopped. Make it cheaper: filter with WHERE "
                "before sorting, grouping or DISTINCT, and avoid cross joins and huge series.",
            )
        if state == "54000":  # program_limit_exceeded: PostgreSQL's MaxAllocSize, 1 GB per value
            return SqlTooLarge(
                "MaxAllocSize",
                f"PostgreSQL stopped the query at its 1 GB limit on one value (MaxAllocSize): {message}. "
                "Build less data: no huge repeat, string_agg, array_agg or padding; select substr(…) "
                "or length(…) instead.",
            )
        if state == "53200":
            return SqlTooLarge(
                "out_of_memory",
                f"The PostgreSQL server ran out of memory for this query (out_of_memory: {message}). "
                "Build less data: fewer and smaller values, no huge aggregates; filter first.",
            )
        return None

    def bind_session(self, conn: Connection, settings: Mapping[str, str], role: str | None) -> None:
        # set_config with is_local = true: bound values, undone by the rollback every read ends with.
        for name, value in settings.items():
            conn.execute(sa.text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})
        if role is not None:
            conn.execute(sa.text("SELECT set_config('role', :role, true)"), {"role": role})

    def row_count(self, conn: Connection, table: str) -> int | None:
        # The planner's estimate: an exact count(*) of a big table would eat the time limit.
        estimate = conn.execute(
            sa.text("SELECT c.reltuples::bigint FROM pg_class c WHERE c.oid = to_regclass(quote_ident(:name))"),
            {"name": table},
        ).scalar()
        return int(estimate) if estimate is not None and estimate >= 0 else None


def _column_names(cursor: Any) -> tuple[str, ...]:
    return tuple(column.name for column in cursor.description or ())


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

    def create_engine(self, url: URL, timeout_s: float, *, max_value_bytes: int = MAX_VALUE_BYTES) -> Engine:
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
