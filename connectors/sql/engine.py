"""A read-only SQL database: list tables, describe one, run a guarded query.

Each call passes four layers, each of which holds on its own:

1. the sqlglot guard (``guard.py``) checks the statement, refuses literal sizes above
   ``max_value_bytes`` and clamps its LIMIT;
2. the connection is read-only at the database level, and caps values and memory there
   (``readonly.py``);
3. rows, cell sizes, the bytes a result pulls into this process, and time are bounded here;
4. every statement runs in a transaction that is rolled back, never committed.

Identifiers are never pasted into SQL text: table names come from SQLAlchemy's
inspector and queries about them are built by SQLAlchemy, values are bound.

:meth:`SqlDatabase.match_values` says which stored text values a question names
(``status = 'cancelled'``), from an index of the short text columns' distinct
values that is built on first use and kept for the life of the object.

Governed data (``policy.py``, ``guard.py``): masked columns (``[[databases.mask]]``)
reach no caller as stored, neither in query results (each output column's lineage
picks its mask, or refuses) nor in ``describe_table``'s samples nor in the value
index; row-filtered tables (``[[databases.row_filter]]``) show a caller with token
``claims`` only their rows. ``claims=None`` is the local operator: every row.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from connectors.config import ColumnMask, DatabaseSource, RowFilter
from connectors.errors import SqlError, SqlExecutionError, SqlRefused, SqlTimeout, SqlTooLarge
from connectors.sql.guard import ROW_SCOPE_RULE, RowScope, claim_values, fold_name, guard_sql
from connectors.sql.policy import MASKED_RULE, Masks, Schema, mask_cell
from connectors.sql.readonly import MAX_VALUE_BYTES, MiB, backend_for, mib
from connectors.sql.values import ValueIndex, ValueMatch

__all__ = [
    "MASK_KEY_ENV",
    "ColumnInfo",
    "Limits",
    "QueryResult",
    "SqlDatabase",
    "TableDescription",
    "TableInfo",
    "ValueMatch",
]

Cell = str | int | float | bool | None
Claims = Mapping[str, Any]

MASK_KEY_ENV = "RAGBOX_MASK_KEY"
"""The key of the ``hash`` mask; unset, a random one per process (hashes then differ across restarts)."""
DENIED = "[denied]"
"""What ``describe_table``'s samples show for a ``deny`` column."""
_SCHEMA_TTL_S = 60.0


@dataclass(frozen=True)
class _Catalog:
    columns: Schema  # {table: {column: type}}
    views: frozenset[str]  # folded names


@dataclass(frozen=True, kw_only=True)
class Limits:
    """The most a single call may cost. Callers may lower these, never raise them."""

    max_rows: int = 200
    timeout_s: float = 5.0
    max_cell_chars: int = 1_000
    max_value_bytes: int = MAX_VALUE_BYTES
    """The largest string, blob or row a query may build or return (SQLite's SQLITE_LIMIT_LENGTH,
    a per-row check on PostgreSQL); literal sizes above it are refused before the query runs."""
    max_result_bytes: int = 16 * MiB
    """Raw bytes one result may pull into this process, counted row by row before cells are cut."""
    index_tables: int = 50
    """Tables whose text values :meth:`SqlDatabase.match_values` indexes."""
    index_values: int = 2_000
    """Distinct values per column; a column with more holds free text and is not indexed."""
    index_value_chars: int = 80
    """Longer values are prose, not names: they are left out of the index."""


@dataclass(frozen=True)
class TableInfo:
    name: str
    row_count: int | None  # exact for SQLite, an estimate for PostgreSQL, None if unknown
    comment: str | None = None


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    nullable: bool
    primary_key: bool
    comment: str | None = None


@dataclass(frozen=True)
class TableDescription:
    name: str
    columns: tuple[ColumnInfo, ...]
    foreign_keys: tuple[str, ...]  # "col -> table.col"
    sample_rows: tuple[tuple[Cell, ...], ...]
    comment: str | None = None


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    truncated: bool  # more rows existed than were returned
    elapsed_ms: float
    sql: str  # what actually ran: the guard's rendering of the caller's SQL

    @property
    def row_count(self) -> int:
        return len(self.rows)


def _cell(value: Any, max_chars: int) -> Cell:
    """A JSON-safe, size-capped copy of one value."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, dt.date | dt.time | dt.datetime):
        text = value.isoformat()
    elif isinstance(value, uuid.UUID):
        text = str(value)
    else:
        text = value if isinstance(value, str) else str(value)
    if len(text) > max_chars:
        return f"{text[:max_chars]}… [cut: {len(text) - max_chars} more chars]"
    return text


@dataclass
class SqlDatabase:
    """One database, reached read-only. Thread-safe; create once, share for the process."""

    url: str
    name: str = "db"
    description: str = ""
    allowed_tables: Collection[str] | None = None
    limits: Limits = field(default_factory=Limits)
    masks: Collection[ColumnMask] = ()
    row_filters: Collection[RowFilter] = ()
    mask_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    session_claims: Collection[str] = ()
    """PostgreSQL: claims a caller's queries see as ``ragbox.claim.<name>``, for row-level security."""
    role_claim: str | None = None
    """PostgreSQL: the claim naming the role a caller's queries run as."""

    def __post_init__(self) -> None:
        try:
            url = make_url(self.url)
        except ArgumentError as exc:
            raise SqlError(f"Database '{self.name}': not a SQLAlchemy URL ({exc}).") from None
        self._backend = backend_for(url)
        self._masks = Masks.build(list(self.masks), self.mask_key, fold_name) if self.masks else None
        self._filters = {fold_name(f.table): f for f in self.row_filters}
        if self._filters and not self._backend.binds_row_filters:
            raise SqlError(
                f"Database '{self.name}': row_filter needs SQLite or PostgreSQL, not {self._backend.display_name}."
            )
        if (self.session_claims or self.role_claim) and self._backend.sqlglot_dialect != "postgres":
            raise SqlError(f"Database '{self.name}': postgres_claims and postgres_role_claim need PostgreSQL.")
        try:
            self._engine = self._backend.create_engine(
                url, self.limits.timeout_s, max_value_bytes=self.limits.max_value_bytes
            )
        except (NoSuchModuleError, ImportError) as exc:
            raise SqlError(
                f"Database '{self.name}': no driver for '{url.drivername}' ({exc}); "
                "install it, e.g. pip install 'ragbox[postgres]'."
            ) from None
        self.dialect = self._backend.sqlglot_dialect
        self.dialect_name = self._backend.display_name
        # Errors the driver raises itself, where SQLAlchemy does not wrap them (PostgreSQL's
        # streamed rows come straight from psycopg).
        self._driver_error = getattr(self._engine.dialect.loaded_dbapi, "Error", DBAPIError)
        self._allowed = {t.lower() for t in self.allowed_tables} if self.allowed_tables else None
        self._comments: dict[str, tuple[str | None, dict[str, str]]] = {}
        self._values: ValueIndex | None = None
        self._values_lock = threading.Lock()
        self._schema: tuple[float, _Catalog] | None = None

    @classmethod
    def from_source(cls, source: DatabaseSource, env: Mapping[str, str] = os.environ) -> SqlDatabase:
        """Build from a ``[[databases]]`` config entry; ``env`` supplies ``url_env`` and the mask key."""
        key = env.get(MASK_KEY_ENV)
        return cls(
            url=source.resolve_url(env),
            name=source.name,
            description=source.description,
            allowed_tables=source.tables,
            limits=Limits(
                max_rows=source.max_rows,
                timeout_s=source.timeout_s,
                max_cell_chars=source.max_cell_chars,
                max_value_bytes=source.max_value_bytes,
                max_result_bytes=max(Limits.max_result_bytes, 4 * source.max_value_bytes),
            ),
            masks=source.mask,
            row_filters=source.row_filter,
            session_claims=source.postgres_claims,
            role_claim=source.postgres_role_claim,
            **({"mask_key": key.encode()} if key else {}),
        )

    def close(self) -> None:
        self._engine.dispose()

    # -- schema ---------------------------------------------------------------

    def _table_names(self, conn: Connection) -> list[str]:
        inspector = sa.inspect(conn)
        # A governed database shows no views: run_query refuses them (see _refuse_views).
        names = [*inspector.get_table_names(), *([] if self.governed else inspector.get_view_names())]
        if self._allowed is not None:
            names = [n for n in names if n.lower() in self._allowed]
        return sorted(names)

    def _resolve_table(self, conn: Connection, table: str) -> str:
        wanted = table.strip().strip('"`[]').lower()
        for name in self._table_names(conn):
            if name.lower() == wanted:
                return name
        raise SqlError(
            f"Unknown table '{table}' in database '{self.name}'; call list_tables to see the "
            "tables you may use."
        )

    def _table_comments(self, conn: Connection, table: str) -> tuple[str | None, dict[str, str]]:
        if table not in self._comments:
            self._comments[table] = self._backend.comments(conn, table)
        return self._comments[table]

    @property
    def governed(self) -> bool:
        """True when masks or row filters apply to this database."""
        return self._masks is not None or bool(self._filters)

    def _catalog(self) -> _Catalog:
        """The tables' columns (for the masks' lineage) and the views, cached for a minute."""
        now = time.monotonic()
        if self._schema is not None and now - self._schema[0] < _SCHEMA_TTL_S:
            return self._schema[1]
        with self._read() as conn:
            inspector = sa.inspect(conn)
            views = frozenset(fold_name(v) for v in inspector.get_view_names())
            columns = {name: {c["name"]: "text" for c in inspector.get_columns(name)}
                       for name in self._table_names(conn)}
        catalog = _Catalog(columns, views)
        self._schema = (now, catalog)
        return catalog

    def _bind_caller(self, conn: Connection, claims: Claims | None) -> None:
        """On PostgreSQL, the caller's claims as transaction settings and its role, when configured."""
        if claims is None or not (self.session_claims or self.role_claim):
            return
        settings = {f"ragbox.claim.{name}": ",".join(map(str, claim_values(claims.get(name))))
                    for name in self.session_claims}
        role = claims.get(self.role_claim) if self.role_claim else None
        if self.role_claim and not (isinstance(role, str) and role):
            raise SqlRefused(
                ROW_SCOPE_RULE,
                f"database '{self.name}' runs each caller's queries as the role its token's "
                f"'{self.role_claim}' claim names, and this caller's token has none; ask the administrator "
                "for a token that carries it",
            )
        self._backend.bind_session(conn, settings, role if self.role_claim else None)

    def _refuse_views(self, tables: Collection[str]) -> None:
        """A governed database refuses views: masks and row filters cannot see through their definitions."""
        views = sorted(set(tables) & self._catalog().views)
        if views:
            raise SqlRefused(
                "governed_view",
                f"{', '.join(views)} is a view, and this database masks columns or scopes rows, which a "
                "view's definition could bypass; query the tables themselves",
            )

    def _filter(self, table: str) -> RowFilter | None:
        return self._filters.get(fold_name(table))

    def list_tables(self, claims: Claims | None = None) -> list[TableInfo]:
        """Every table and view the caller may query, with row counts and comments.

        Given ``claims``, a row-filtered table's count is left out: it would count every row.
        """
        with self._read() as conn:
            tables = []
            for name in self._table_names(conn):
                comment, _ = self._table_comments(conn, name)
                hidden = claims is not None and self._filter(name) is not None
                tables.append(TableInfo(name, None if hidden else self._backend.row_count(conn, name), comment))
            return tables

    def describe_table(self, table: str, sample_rows: int = 3, claims: Claims | None = None) -> TableDescription:
        """Columns, keys, foreign keys and a few sample rows of one table.

        Samples show masked columns masked (``deny`` as ``[denied]``), and, given ``claims``,
        only the caller's rows of a row-filtered table (none without a usable claim).
        """
        with self._read() as conn:
            self._bind_caller(conn, claims)
            name = self._resolve_table(conn, table)
            inspector = sa.inspect(conn)
            pk = set(inspector.get_pk_constraint(name).get("constrained_columns") or [])
            comment, column_comments = self._table_comments(conn, name)
            raw_columns = inspector.get_columns(name)
            masks = [self._column_mask(name, c["name"]) for c in raw_columns]
            columns = tuple(
                ColumnInfo(
                    name=c["name"],
                    type=str(c["type"]),
                    nullable=bool(c.get("nullable", True)),
                    primary_key=c["name"] in pk,
                    comment=_with_mask(c.get("comment") or column_comments.get(c["name"].lower()), mask),
                )
                for c, mask in zip(raw_columns, masks, strict=True)
            )
            foreign_keys = tuple(
                f"{col} -> {fk['referred_table']}.{ref}"
                for fk in inspector.get_foreign_keys(name)
                for col, ref in zip(fk["constrained_columns"], fk["referred_columns"], strict=False)
            )
            source = sa.table(name, *(sa.column(c.name) for c in columns))
            query = sa.select(source).limit(sample_rows)
            rule = self._filter(name) if claims is not None else None
            values = claim_values(claims.get(rule.claim)) if rule is not None and claims is not None else []
            if rule is not None:
                query = query.where(sa.column(rule.column).in_(values))
            rows = conn.execute(query).fetchall() if rule is None or values else []
        cap = self.limits.max_cell_chars
        samples = tuple(
            tuple(self._sample_cell(v, mask, cap) for v, mask in zip(row, masks, strict=True)) for row in rows
        )
        return TableDescription(name, columns, foreign_keys, samples, comment)

    def _column_mask(self, table: str, column: str) -> ColumnMask | None:
        return self._masks.columns.get((fold_name(table), fold_name(column))) if self._masks else None

    def _sample_cell(self, value: Any, mask: ColumnMask | None, cap: int) -> Cell:
        if mask is None:
            return _cell(value, cap)
        if mask.policy == "deny":
            return DENIED
        assert self._masks is not None
        return _cell(mask_cell(value, mask, self._masks.hash_key), cap)

    # -- values ---------------------------------------------------------------

    def match_values(self, text: str, limit: int = 8) -> list[ValueMatch]:
        """The stored text values that ``text`` (a question) names, longest first, at most ``limit``."""
        if limit < 1:
            raise SqlError("limit must be at least 1.")
        with self._values_lock:
            if self._values is None:
                self._values = ValueIndex(self._indexed_values())
        return self._values.match(text, limit)

    def _indexed_values(self) -> Iterator[tuple[str, str, list[str]]]:
        """(table, column, distinct values) of each short text column, within one time budget.

        A column whose query fails or runs out of time is skipped, not fatal: the index
        only ever helps. Each column gets its own transaction, since on PostgreSQL a
        failed statement spoils the rest of its transaction.
        """
        limits = self.limits
        deadline = time.monotonic() + limits.timeout_s
        with self._read() as conn:
            tables = []
            for name in self._table_names(conn)[: limits.index_tables]:
                if self._filter(name) is not None:
                    continue  # its values would tell one caller about another's rows
                try:
                    tables.append(sa.Table(name, sa.MetaData(), autoload_with=conn))
                except SQLAlchemyError:
                    continue  # a table SQLAlchemy cannot reflect has no values we can offer
        for table in tables:
            for column in table.columns:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                if not isinstance(column.type, sa.String) or self._column_mask(table.name, column.name):
                    continue
                query = (
                    sa.select(column).where(column.is_not(None)).distinct().limit(limits.index_values + 1)
                )
                try:
                    with self._read(left) as conn:
                        values = conn.execute(query).scalars().all()
                except (SqlError, SQLAlchemyError):
                    continue
                if len(values) <= limits.index_values:
                    short = [v for v in values if isinstance(v, str) and len(v) <= limits.index_value_chars]
                    yield table.name, column.name, short

    # -- queries --------------------------------------------------------------

    def run_query(
        self, sql: str, *, limit: int | None = None, timeout_s: float | None = None, claims: Claims | None = None
    ) -> QueryResult:
        """Run one read-only statement; at most ``limit`` rows (capped by the limits).

        ``claims`` (a caller's token claims) scope the row-filtered tables; None reads every row.
        """
        if limit is not None and limit < 1:
            raise SqlError("limit must be at least 1.")
        if timeout_s is not None and timeout_s <= 0:
            raise SqlError("timeout_s must be positive.")
        limits = self.limits
        cap = min(limit or limits.max_rows, limits.max_rows)
        seconds = min(timeout_s or limits.timeout_s, limits.timeout_s)
        # One row past the cap tells us whether the result was truncated.
        guarded = guard_sql(
            sql, dialect=self.dialect, max_rows=cap + 1, allowed_tables=self._allowed,
            max_value_bytes=limits.max_value_bytes, masks=self._masks, schema=lambda: self._catalog().columns,
            rows=RowScope(self._filters, claims) if claims is not None and self._filters else None,
        )
        if self.governed:
            self._refuse_views(guarded.tables)
        started = time.perf_counter()
        rows: list[tuple[Cell, ...]] = []
        pulled = 0
        with self._read(seconds) as conn:
            self._bind_caller(conn, claims)
            with self._backend.execute(
                conn, guarded.sql, params=guarded.params, max_value_bytes=limits.max_value_bytes
            ) as (columns, fetched):
                masks = self._output_masks(guarded.masks, columns)
                key = self._masks.hash_key if self._masks else b""
                # Row by row: each raw row is cut to cells before the next is fetched, so at most
                # one row of big values is held. The guard's LIMIT ends the stream after cap + 1.
                for raw in fetched:
                    pulled += sum(map(sys.getsizeof, raw))  # what the row's values cost this process
                    if pulled > limits.max_result_bytes:
                        raise SqlTooLarge(
                            "max_result_bytes",
                            f"The result would pull more than {mib(limits.max_result_bytes)} into ragbox "
                            f"(max_result_bytes) after {len(rows) + 1} rows, so the query was stopped. Select "
                            "less data: fewer rows or columns, substr(col, 1, 1000) or length(col) for "
                            "long values, or an aggregate.",
                        )
                    if len(rows) <= cap:
                        if masks is not None:
                            raw = tuple(v if m is None else mask_cell(v, m, key) for v, m in zip(raw, masks, strict=True))
                        rows.append(tuple(_cell(v, limits.max_cell_chars) for v in raw))
        elapsed_ms = (time.perf_counter() - started) * 1000
        return QueryResult(columns, tuple(rows[:cap]), len(rows) > cap, round(elapsed_ms, 2), guarded.sql)

    @staticmethod
    def _output_masks(
        masks: tuple[ColumnMask | None, ...] | None, columns: tuple[str, ...]
    ) -> tuple[ColumnMask | None, ...] | None:
        """Each result column's mask, or None when nothing is masked."""
        if masks is None or not any(masks):
            return None
        if len(masks) != len(columns):  # the lineage and the database disagree: fail closed
            raise SqlRefused(MASKED_RULE, "the masked columns of the result could not be matched to its "
                                          "columns; name each column instead of using '*'")
        return masks

    def _read(self, seconds: float | None = None) -> _ReadTransaction:
        return _ReadTransaction(self, seconds or self.limits.timeout_s)


class _ReadTransaction:
    """A connection inside a time limit, always rolled back, with errors mapped to ours."""

    def __init__(self, db: SqlDatabase, seconds: float) -> None:
        self._db = db
        self._seconds = seconds

    def __enter__(self) -> Connection:
        try:
            self._conn = self._db._engine.connect()
        except SQLAlchemyError as exc:
            raise SqlExecutionError(
                f"Cannot connect to database '{self._db.name}': {_first_line(exc)}. "
                "Check that the server is up and the URL is right."
            ) from None
        self._limit = self._db._backend.time_limit(self._conn, self._seconds)
        self._deadline = time.monotonic() + self._seconds
        try:
            self._limit.__enter__()
        except BaseException:
            self._conn.close()
            raise
        return self._conn

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        try:
            self._limit.__exit__(None, None, None)
            self._conn.rollback()
        finally:
            self._conn.close()
        # MemoryError: Python's sqlite3 raises it for SQLITE_NOMEM, which the heap limit causes.
        if isinstance(exc, (DBAPIError, self._db._driver_error, MemoryError)):
            raise self._map(exc) from None

    def _map(self, exc: BaseException) -> Exception:
        too_large = self._db._backend.too_large(exc, self._db.limits.max_value_bytes)
        if too_large is not None:
            return too_large
        if isinstance(exc, MemoryError):
            return SqlTooLarge(
                "memory",
                "The query ran out of memory and was stopped. Select less data: fewer rows and "
                "columns, substr(col, 1, 1000) or length(col) instead of whole big values.",
            )
        message = _first_line(exc)
        timed_out = time.monotonic() >= self._deadline - 0.01 or "statement timeout" in message
        if timed_out or "interrupted" in message:
            return SqlTimeout(
                f"The query ran longer than {self._seconds:g} s and was stopped. Make it cheaper: "
                "filter with WHERE, aggregate, avoid cross joins and unbounded recursion."
            )
        if "not authorized" in message or "read-only transaction" in message:
            return SqlRefused("read_only", f"The database refused a write ({message}); only reads are allowed.")
        return SqlExecutionError(
            f"The database rejected the query: {message}. Check table and column names with "
            "describe_table and fix the SQL."
        )


def _with_mask(comment: str | None, mask: ColumnMask | None) -> str | None:
    if mask is None:
        return comment
    note = f"masked: {mask.policy}" + ("" if mask.in_conditions == "allow" else "; not usable in conditions")
    return f"{comment} ({note})" if comment else note


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]

