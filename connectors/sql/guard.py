"""The read-only SQL guard: parse with sqlglot, check the tree, clamp LIMIT, re-render.

This is the first of the SQL layers in DESIGN.md ("Security stance"); the read-only
connection, the time limit and the row/cell caps in the engine are the others, and each
must hold on its own. The guard works in layers, cheapest and most general first:

1. **Text.** Empty input and NUL bytes are refused (drivers treat NUL differently).
2. **Parse, fail closed.** sqlglot parses in the source's dialect with
   ``ErrorLevel.RAISE``. Any ``SqlglotError`` (``TokenError`` is not a ``ParseError``)
   is a refusal; so is anything sqlglot only understood as an opaque ``Command``.
3. **One statement.** A trailing ``;`` or comment is fine; a second statement is not
   (PostgreSQL runs ``SET TRANSACTION READ WRITE; INSERT …`` sent as one string).
4. **Root allow-list.** Only SELECT, UNION/INTERSECT/EXCEPT, VALUES and parenthesised
   queries. Root types are allowed by name, never denied: sqlglot parses unknown syntax
   into odd shapes (``START TRANSACTION`` is an ``Alias``, ``CHECKPOINT`` a ``Column``).
5. **Whole-tree walk.** Writes can hide below a SELECT root (``WITH x AS (DELETE …
   RETURNING *) SELECT …``), so every node is checked: no statement nodes anywhere,
   every CTE and subquery body is itself a read query, no ``SELECT … INTO``, no
   ``FOR UPDATE/SHARE``, no denied function, no system catalog, only allow-listed tables,
   and, given ``max_value_bytes``, no function call whose literal arguments alone make it
   build a bigger value (``repeat('x', 1e9)``, ``zeroblob(5e8)``, ``printf('%900000000d')``);
   the database caps values too, whatever their size depends on.
6. **Row scope.** Given the caller's token claims, every reference to a table with a
   ``[[databases.row_filter]]`` becomes ``(SELECT * FROM t WHERE t.col IN (:bound)) AS t``,
   in subqueries, CTEs and joins alike; the claim's values are bound, never pasted.
7. **Clamp and re-render.** The outermost LIMIT becomes ``min(literal, max_rows)``;
   the tree is rendered back to SQL without comments, and that text is parsed and
   checked once more, so what the database runs is exactly what was checked (a tokenizer
   that disagrees with the database about a string or comment cannot smuggle text past).
8. **Masks.** When the query reads a table with ``[[databases.mask]]`` columns, the
   lineage of each output column of that re-parsed tree says which mask its cells get,
   or refuses the query (``policy.py``).

Function names are compared after unquoting, NFKC folding, dropping invisible format
characters, decoding PostgreSQL ``U&"\\0070g_sleep"`` escapes and lower-casing, so the
comparison is at least as wide as what the database would resolve.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, SqlglotError

from connectors.config import ColumnMask, RowFilter
from connectors.errors import SqlRefused
from connectors.sql.policy import Masks, Schema, masks_for
from connectors.sql.sizes import check_sizes

__all__ = [
    "MAX_SQL_CHARS", "PARAM_PREFIX", "ROW_SCOPE_RULE", "GuardedSql", "RowScope", "claim_values", "fold_name", "guard_sql",
]

ROW_SCOPE_RULE = "row_scope"
PARAM_PREFIX = "rbx_rf_"
"""Names of the parameters the row scope binds, and of its inner alias; refused in the caller's SQL."""
_INNER = f"{PARAM_PREFIX}t"


@dataclass(frozen=True)
class RowScope:
    """The row filters of a database, and the claims of the caller they bind to."""

    filters: Mapping[str, RowFilter]  # folded table name -> filter
    claims: Mapping[str, Any]


@dataclass(frozen=True)
class GuardedSql:
    """A statement the guard accepted: run ``sql`` with ``params``, never the original text."""

    sql: str  # re-rendered by sqlglot from the checked tree, same dialect, LIMIT clamped
    tables: frozenset[str]  # real tables touched: lower-cased, unqualified, CTEs excluded
    params: Mapping[str, Any] = field(default_factory=dict)  # the row scope's bound values
    masks: tuple[ColumnMask | None, ...] | None = None  # per output column; None: nothing masked


# Longer input is refused before parsing: sqlglot needs about 15 ms per 1,000 characters
# of pathological input, and no question needs a query this long.
MAX_SQL_CHARS = 20_000

# SQLAlchemy's dialect names where sqlglot's differ; anything else passes through.
# Functions with side effects, file or network access, sleeps, locks, or that run a SQL
# string the guard never sees. Applied to every dialect: a PostgreSQL name in a SQLite
# query is still refused, and no ordinary query needs any of them.
_DENIED_NAMES = frozenset(
    {
        # postgres: files, config, sequences, server signals, notifications, xids
        "pg_stat_file", "set_config", "nextval", "setval", "pg_terminate_backend",
        "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote",
        "pg_notify", "txid_current", "pg_current_xact_id", "pg_export_snapshot",
        "pg_import_system_collations", "pg_prewarm", "pg_log_backend_memory_contexts",
        "ts_stat",  # runs its SQL-string argument
        "pg_logdir_ls",
        # sqlite: extensions, files, the shell's editor and eval helpers
        "load_extension", "readfile", "writefile", "edit", "fts3_tokenizer", "fsdir",
        "zipfile", "zipfile_cds", "eval",
        # mysql / tsql
        "sleep", "benchmark", "load_file", "get_lock", "release_lock", "release_all_locks",
        "master_pos_wait", "source_pos_wait", "xp_cmdshell", "openrowset", "opendatasource",
        "openquery", "openxml",
    }
)  # fmt: skip
_DENIED_PREFIXES = (
    "pg_read_", "pg_ls_", "pg_file_", "lo_", "dblink", "pg_sleep", "pg_advisory",
    "pg_try_advisory", "pg_stat_reset", "pg_create_", "pg_drop_", "pg_replication_",
    "pg_logical_", "pg_switch_", "pg_backup_", "pg_start_backup", "pg_stop_backup",
    "pg_wal_replay_", "pg_copy_", "xp_", "sp_",
)  # fmt: skip
# query_to_xml, table_to_xml, cursor_to_xml, schema_to_xml, database_to_xml and their
# *_xmlschema / *_and_xmlschema variants all run a query or read whole tables by name.
_DENIED_INFIXES = ("_to_xml",)
# Names that are ordinary elsewhere but reach files in one dialect (duckdb's readers).
_DENIED_BY_DIALECT: dict[str, frozenset[str]] = {
    "duckdb": frozenset(
        {"glob", "read_csv", "read_csv_auto", "read_parquet", "read_json", "read_json_auto",
         "read_text", "read_blob", "parquet_scan", "sniff_csv"}
    ),  # fmt: skip
}

# Schemas whose tables describe the database itself (users, settings, other tables).
_CATALOG_SCHEMAS = frozenset(
    {"pg_catalog", "information_schema", "pg_toast", "mysql", "performance_schema", "sys"}
)
# Table-name prefixes of catalogs reachable without a schema (pg_shadow, sqlite_master,
# sqlite_dbpage, SQLite's pragma_* table-valued functions).
_CATALOG_PREFIXES = ("pg_", "sqlite_", "pragma_")
_CATALOG_NAMES = frozenset({"dbstat"})

# Keywords that open a statement sqlglot may parse as an Alias, Column or Command.
_TRANSACTION_WORDS = frozenset(
    {"begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release"}
)
_SESSION_WORDS = frozenset({"set", "reset", "discard"})

_READ_QUERIES = (exp.Select, exp.SetOperation, exp.Values, exp.Subquery)
# Statement nodes that must not appear anywhere in a read query.
_WRITE_NODES = (
    exp.DML, exp.DDL, exp.Alter, exp.Drop, exp.TruncateTable, exp.Command, exp.Pragma,
    exp.Set, exp.Transaction, exp.Commit, exp.Rollback, exp.Attach, exp.Detach, exp.Grant,
    exp.Revoke, exp.Analyze, exp.Use, exp.LoadData, exp.Cache, exp.Uncache, exp.Refresh,
    exp.Kill, exp.Declare, exp.Execute, exp.Comment, exp.Install, exp.Export,
    exp.Describe, exp.Show, exp.Returning,
)  # fmt: skip

_PG_UNICODE_ESCAPE = re.compile(r"\\(?:\+([0-9a-fA-F]{6})|([0-9a-fA-F]{4}))")

_READ_ONLY_HINT = (
    "Only read queries are allowed: one SELECT (optionally WITH … SELECT, UNION, "
    "INTERSECT, EXCEPT or VALUES). Rewrite the request as a single SELECT."
)


def guard_sql(
    sql: str,
    *,
    dialect: str,
    max_rows: int,
    allowed_tables: Collection[str] | None = None,
    max_value_bytes: int | None = None,
    masks: Masks | None = None,
    schema: Callable[[], Schema] | None = None,
    rows: RowScope | None = None,
) -> GuardedSql:
    """Check that ``sql`` is one read-only query and return it re-rendered with LIMIT clamped.

    ``dialect`` is a sqlglot dialect name; ``allowed_tables`` (case-insensitive, bare or
    ``schema.table``) limits the tables the query may touch; ``max_value_bytes`` refuses
    calls whose literal arguments build a larger value. ``masks`` (with ``schema``, called
    only when a masked table is read) says which output columns are masked; ``rows``
    scopes row-filtered tables to the caller. Raises ``SqlRefused`` naming the broken
    rule, ``ValueError`` for a bad ``dialect`` or ``max_rows``.
    """
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, not {max_rows}")
    Dialect.get_or_raise(dialect)
    allowed = None if allowed_tables is None else frozenset(fold_name(t) for t in allowed_tables)

    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefused(
            "too_long",
            f"the query is {len(sql)} characters long and the limit is {MAX_SQL_CHARS}; "
            "send a shorter query (fewer literal values, no repeated expressions)",
        )
    try:
        root = _unwrap_parentheses(_parse_one(sql, dialect))
        tables = _check(root, dialect, allowed, max_value_bytes)
        params = _scope_rows(root, rows, dialect, sql) if rows is not None and rows.filters else {}
        root = _clamp_limit(root, max_rows)
        rendered = root.sql(dialect=dialect, comments=False, normalize_functions=False)

        # Check what will run, not only what came in: the rendered text must parse back
        # to the same tree and pass the same checks.
        again = _parse_one(rendered, dialect)
        _check(again, dialect, allowed, max_value_bytes)
        if again.sql(dialect=dialect, comments=False, normalize_functions=False) != rendered:
            raise SqlRefused(
                "render_mismatch",
                "the query could not be checked reliably (it changes in a parse/render "
                "round trip); simplify it, avoiding unusual syntax and vendor extensions",
            )
        out_masks = None
        if masks is not None and tables & masks.tables:
            if schema is None:
                raise ValueError("masks need the database schema")
            out_masks = masks_for(again, masks, schema=schema(), dialect=dialect)
    except RecursionError as exc:  # sqlglot parses and renders recursively
        raise SqlRefused(
            "too_complex",
            "the query is nested too deeply to check; flatten it (fewer nested "
            "parentheses and subqueries)",
        ) from exc
    return GuardedSql(sql=rendered, tables=tables, params=params, masks=out_masks)


def _parse_one(sql: str, dialect: str) -> exp.Expr:
    """Parse exactly one statement, refusing anything sqlglot cannot fully understand."""
    if not sql or not sql.strip():
        raise SqlRefused("empty", "the query is empty; send one SELECT statement")
    if "\x00" in sql:
        raise SqlRefused(
            "invalid_character", "the query contains a NUL character; remove it and resend"
        )
    try:
        parsed = sqlglot.parse(sql, read=dialect, error_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        detail = str(exc).splitlines()[0][:200]
        raise SqlRefused(
            "parse_error",
            f"the query could not be parsed as {dialect} SQL ({detail}); fix the syntax "
            "and send one plain SELECT statement",
        ) from exc
    # `SELECT 1;` and `SELECT 1; -- note` leave a None or a comment-only Semicolon.
    for node in parsed:
        if isinstance(node, exp.Semicolon):
            _check_comments(node)
    statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
    if not statements:
        raise SqlRefused("empty", "the query holds only comments; send one SELECT statement")
    if len(statements) > 1:
        raise SqlRefused(
            "one_statement",
            "only one statement is allowed; remove everything after the first ';' and "
            "send the statements one at a time",
        )
    return statements[0]


def _unwrap_parentheses(root: exp.Expr) -> exp.Expr:
    """Drop outer parentheses, ``(SELECT …) LIMIT 5``, which SQLite would reject.

    Their ORDER BY / LIMIT / OFFSET move onto the inner query when it has none of its own;
    anything else is refused rather than guessed at.
    """
    while isinstance(root, exp.Subquery):
        inner = root.this
        extras = {k: v for k, v in root.args.items() if k != "this" and v not in (None, [])}
        if (
            not isinstance(inner, (exp.Select, exp.SetOperation, exp.Subquery))
            or not extras.keys() <= {"order", "limit", "offset"}
            or any(inner.args.get(key) for key in extras)
        ):
            raise SqlRefused(
                "unsupported_syntax",
                "the query is wrapped in parentheses in a way that cannot be checked; "
                "remove the parentheses around the whole query",
            )
        root = inner.pop()
        for key, value in extras.items():
            root.set(key, value)
    return root


def _check(
    root: exp.Expr, dialect: str, allowed: frozenset[str] | None, max_value_bytes: int | None = None
) -> frozenset[str]:
    """Apply every tree rule to ``root``; return the real tables it touches."""
    if not isinstance(root, _READ_QUERIES):
        raise _refuse_statement(root)

    # One walk collects; the rules then run in a fixed order so the rule named for a
    # query that breaks several is stable.
    writes: list[exp.Expr] = []
    bodies: list[exp.Expr] = []
    intos: list[exp.Into] = []
    locks: list[exp.Lock] = []
    funcs: list[exp.Func] = []
    tables: list[exp.Table] = []
    for node in root.walk():
        if node.comments:
            _check_comments(node)
        if isinstance(node, _WRITE_NODES):
            writes.append(node)
        elif isinstance(node, (exp.CTE, exp.Subquery)):
            bodies.append(node.this)
        elif isinstance(node, exp.SetOperation):
            bodies.extend((node.this, node.expression))
        elif isinstance(node, exp.Into):
            intos.append(node)
        elif isinstance(node, exp.Lock):
            locks.append(node)
        elif isinstance(node, exp.Table):
            tables.append(node)
        if isinstance(node, exp.Func):
            funcs.append(node)

    if writes:
        raise _refuse_statement(writes[0], nested=True)
    for body in bodies:
        if not isinstance(body, _READ_QUERIES):
            raise _refuse_statement(body, nested=True)
    if intos:
        raise SqlRefused(
            "select_into",
            "SELECT … INTO creates a table and is not allowed; remove the INTO clause "
            "and just SELECT the rows",
        )
    if locks:
        raise SqlRefused(
            "locking_clause",
            "FOR UPDATE / FOR SHARE locking clauses are not allowed in read-only queries; "
            "remove the FOR … clause",
        )
    for func in funcs:
        name = _denied_function(func, dialect)
        if name:
            raise SqlRefused(
                "denied_function",
                f"the function {name}() is not allowed here (it has side effects, reaches "
                "files or the server, or runs SQL the guard cannot check); remove it and "
                "use plain column expressions",
            )
    if max_value_bytes is not None:
        check_sizes(root, funcs, max_value_bytes, fold=fold_name)
    return _check_tables(tables, allowed, dialect)


def _scope_rows(root: exp.Expr, rows: RowScope, dialect: str, sql: str) -> dict[str, Any]:
    """Replace each reference to a row-filtered table by its caller's rows; return the bound values."""
    if PARAM_PREFIX in sql.lower():
        raise SqlRefused(ROW_SCOPE_RULE, f"names starting with '{PARAM_PREFIX}' are reserved; rename them")
    params: dict[str, Any] = {}
    for table in list(root.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier) or _is_cte_reference(table, dialect):
            continue
        rule = rows.filters.get(fold_name(table.name))
        if rule is None:
            continue
        values = claim_values(rows.claims.get(rule.claim))
        if not values:
            raise SqlRefused(
                ROW_SCOPE_RULE,
                f"table {table.name} shows each caller only the rows its token's '{rule.claim}' claim "
                "allows, and this caller's token has no usable such claim; query other tables, or ask "
                "the administrator for a token that carries it",
            )
        names = [f"{PARAM_PREFIX}{len(params) + i}" for i in range(len(values))]
        params.update(zip(names, values, strict=True))
        inner = table.copy()
        inner.set("alias", exp.TableAlias(this=exp.to_identifier(_INNER)))
        column = exp.column(rule.column, table=_INNER)
        filtered = exp.select("*").from_(inner).where(
            column.isin(*(exp.Placeholder(this=exp.to_identifier(n)) for n in names))
        )
        if dialect == "postgres":
            # OFFSET 0 fences the subquery: the planner may not push the outer query's
            # conditions below the filter, where an error (a failed CAST) could show another
            # caller's value. SQLite's errors carry no values.
            filtered = filtered.offset(0)
        alias = table.args.get("alias")
        alias = alias.copy() if isinstance(alias, exp.TableAlias) else exp.TableAlias(this=table.this.copy())
        table.replace(exp.Subquery(this=filtered, alias=alias))
    return params


def claim_values(claim: object) -> list[str | int | float]:
    """A claim's values that can be bound: a scalar, or a list of them; [] otherwise."""
    items = claim if isinstance(claim, list | tuple) else [claim]
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in items):
        return []
    return list(items)


def _check_comments(node: exp.Expr) -> None:
    """Refuse a comment holding ';': it reads as a stacked statement hidden from the parser.

    Comments never reach the database (the SQL is re-rendered without them), so this is
    not what keeps `SELECT 1--1;DROP TABLE t` harmless; it tells the caller plainly that
    such input is not welcome, and it keeps MySQL-style `--1` arithmetic out of doubt.
    """
    if any(";" in comment for comment in node.comments or ()):
        raise SqlRefused(
            "comment",
            "a comment in the query contains ';', which looks like a second statement "
            "hidden in a comment; remove the comment and send one statement",
        )


def _check_tables(
    tables: list[exp.Table], allowed: frozenset[str] | None, dialect: str
) -> frozenset[str]:
    """Refuse system catalogs and tables outside ``allowed``; return the real table names."""
    touched: set[str] = set()
    for table in tables:
        if not isinstance(table.this, exp.Identifier):
            # A table function, FROM f(...): denied names were refused already, but
            # SQLite's pragma_* functions read the schema like sqlite_master does.
            if fold_name(table.this.name).startswith(_CATALOG_PREFIXES):
                raise _catalog_refusal(fold_name(table.this.name) + "()")
            continue
        if _is_cte_reference(table, dialect):
            continue
        name, schema = fold_name(table.name), fold_name(table.db)
        qualified = f"{schema}.{name}" if schema else name
        is_catalog = schema in _CATALOG_SCHEMAS
        if is_catalog or name.startswith(_CATALOG_PREFIXES) or name in _CATALOG_NAMES:
            # A catalog table passes only when allow-listed by a name that means it: the
            # bare `tables` entry is someone's own table, not information_schema.tables.
            listed = allowed is not None and (
                qualified in allowed or (name in allowed and not is_catalog)
            )
            if not listed:
                raise _catalog_refusal(qualified)
        elif allowed is not None and name not in allowed and qualified not in allowed:
            listed = ", ".join(sorted(allowed)) or "none"
            raise SqlRefused(
                "table_not_allowed",
                f"table {qualified} is not in this source's allowed tables ({listed}); "
                "query only those tables",
            )
        touched.add(name)
    return frozenset(touched)


def _catalog_refusal(what: str) -> SqlRefused:
    return SqlRefused(
        "system_catalog",
        f"system catalog {what} is not available; use the list_tables and describe_table "
        "tools to learn the schema, and query only its tables",
    )


def _is_cte_reference(table: exp.Table, dialect: str) -> bool:
    """Whether ``table`` names a CTE in scope, not a real table.

    Scoping matters: a CTE defined inside a subquery is invisible outside it, and in
    PostgreSQL's non-recursive WITH a CTE sees only the CTEs before it (a later or its own
    name means a real table). SQLite lets every CTE of a WITH see all of them, RECURSIVE or
    not. Anything else named like a CTE is a real table and gets checked.
    """
    if table.db or table.catalog:
        return False  # CTE names cannot be qualified
    name = fold_name(table.name)
    child, node = table, table.parent
    while node is not None:
        if isinstance(node, exp.With):
            ctes = node.expressions
            index = next((i for i, cte in enumerate(ctes) if cte is child), None)
            if index is None:  # e.g. a SEARCH/CYCLE clause: assume nothing is visible
                visible = []
            elif dialect == "sqlite":
                visible = ctes
            else:
                visible = ctes[: index + 1] if node.args.get("recursive") else ctes[:index]
            if any(fold_name(cte.alias) == name for cte in visible):
                return True
            child, node = node.parent, node.parent.parent if node.parent else None
            continue
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With) and child is not with_:
            if any(fold_name(cte.alias) == name for cte in with_.expressions):
                return True
        child, node = node, node.parent
    return False


def _denied_function(func: exp.Func, dialect: str) -> str | None:
    """The denied name ``func`` is called by, or None."""
    if isinstance(func, exp.Anonymous):
        names = [func.name]
    else:
        names = [func.key, *type(func).sql_names()]
    extra = _DENIED_BY_DIALECT.get(dialect, frozenset())
    for raw in names:
        name = fold_name(raw).rsplit(".", 1)[-1]  # a quoted "schema.name" is one identifier
        if (
            name in _DENIED_NAMES
            or name in extra
            or name.startswith(_DENIED_PREFIXES)
            or any(part in name for part in _DENIED_INFIXES)
        ):
            return name
    return None


def fold_name(name: str) -> str:
    """Normalise an identifier for comparison, at least as wide as any database would."""
    name = _PG_UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), name)
    name = unicodedata.normalize("NFKC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    return name.strip().lower()


def _clamp_limit(root: exp.Expr, max_rows: int) -> exp.Expr:
    """Cap the rows the outermost query returns at ``max_rows``."""
    if not isinstance(root, (exp.Select, exp.SetOperation)):
        # A bare VALUES takes no LIMIT in every dialect (SQLite rejects `VALUES … LIMIT`),
        # so wrap it in a SELECT that does; the column names (column1, …) stay the same.
        alias = exp.TableAlias(this=exp.to_identifier("_q"))
        root = exp.select("*").from_(exp.Subquery(this=root, alias=alias))
    limit = root.args.get("limit")
    if isinstance(limit, (exp.Limit, exp.Fetch)):
        # LIMIT n keeps its count in `expression`, FETCH FIRST n and T-SQL's TOP in `count`
        # / `expression`; a FETCH FIRST ROW ONLY without a count means one row.
        key = "count" if isinstance(limit, exp.Fetch) else "expression"
        node = limit.args.get(key)
        count = 1 if node is None and key == "count" else _literal_int(node)
        opts = limit.args.get("limit_options")
        widening = opts is not None and (opts.args.get("percent") or opts.args.get("with_ties"))
        if count is not None and not widening:
            limit.set(key, exp.Literal.number(min(count, max_rows)))
            return root
    # Missing, non-literal (ALL, NULL, -1, a parameter, a subquery), PERCENT or WITH TIES
    # (both can return more than the count): a plain LIMIT replaces it. Not `.limit(n)`,
    # which would also replace a smaller literal limit.
    root.set("limit", exp.Limit(expression=exp.Literal.number(max_rows)))
    return root


def _literal_int(node: exp.Expr | None) -> int | None:
    """A non-negative integer literal's value; None for ALL, NULL, -1, parameters, subqueries."""
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            value = int(node.this)
        except ValueError:
            return None
        return value if value >= 0 else None
    return None


def _refuse_statement(node: exp.Expr, *, nested: bool = False) -> SqlRefused:
    """The refusal for a statement (or fragment) that is not a read query."""
    where = " inside the query" if nested else ""
    word = _leading_word(node)
    if isinstance(node, exp.Command) and word == "explain":
        return SqlRefused(
            "explain",
            "EXPLAIN is not allowed (EXPLAIN ANALYZE runs the statement, and the plan text "
            "cannot be checked); send the SELECT itself",
        )
    if isinstance(node, exp.Pragma) or word == "pragma":
        return SqlRefused(
            "pragma", f"PRAGMA statements are not allowed{where}. {_READ_ONLY_HINT}"
        )
    if isinstance(node, (exp.Attach, exp.Detach)) or word in ("attach", "detach"):
        return SqlRefused(
            "attach", f"ATTACH/DETACH DATABASE is not allowed{where}; query only this database"
        )
    if isinstance(node, (exp.Transaction, exp.Commit, exp.Rollback)) or word in _TRANSACTION_WORDS:
        return SqlRefused(
            "transaction_control",
            f"transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT …) is not allowed"
            f"{where}; the server manages transactions, so send only the SELECT",
        )
    if isinstance(node, exp.Set) or word in _SESSION_WORDS:
        return SqlRefused(
            "session_setting",
            f"changing session settings (SET, RESET, DISCARD) is not allowed{where}; "
            "send only the SELECT",
        )
    what = word.upper() if word else type(node).__name__.upper()
    return SqlRefused(
        "read_only", f"{what} is not a read query and is not allowed{where}. {_READ_ONLY_HINT}"
    )


def _leading_word(node: exp.Expr) -> str:
    """The keyword a statement starts with, as far as sqlglot's tree still shows it."""
    if isinstance(node, exp.Command):
        return str(node.this).lower()
    # sqlglot parses `START TRANSACTION`, `SAVEPOINT a`, `CHECKPOINT` as an alias or column.
    if isinstance(node, exp.Alias):
        node = node.this
    if isinstance(node, exp.Column) and not node.table:
        return node.name.lower()
    return type(node).__name__.lower() if isinstance(node, exp.Expr) else ""
