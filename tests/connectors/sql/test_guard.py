"""The read-only SQL guard: corpus of hostile and legitimate SQL, LIMIT clamp, allow-list."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Collection, Iterator
from pathlib import Path

import pytest
import sqlglot

from connectors.errors import ConnectorError, SqlRefused
from connectors.sql import guard, sizes
from connectors.sql.guard import MAX_SQL_CHARS, GuardedSql, guard_sql
from connectors.sql.engine import SqlDatabase
from testkit.sql_corpus import ALLOWED_TABLES, HOSTILE, LEGIT, RULES
from tests.support import ACME_DB

# Every refusal message tells the caller what to do next.
ACTION_WORDS = ("remove", "send", "use ", "rewrite", "query only", "fix", "flatten", "shorter")


def _ids(cases: list[tuple[str, ...]]) -> list[str]:
    return [f"{i}-{case[0]}" for i, case in enumerate(cases)]


def _refusal(
    sql: str, dialect: str = "postgres", allowed_tables: Collection[str] | None = None
) -> SqlRefused:
    with pytest.raises(SqlRefused) as info:
        guard_sql(sql, dialect=dialect, max_rows=100, allowed_tables=allowed_tables)
    return info.value


# --- the corpus ---------------------------------------------------------------------


def test_corpus_is_large_enough_and_covers_both_dialects() -> None:
    assert len(HOSTILE) >= 150
    assert len(LEGIT) >= 100
    assert {d for d, _, _ in HOSTILE} == {d for d, _ in LEGIT} == {"sqlite", "postgres"}
    assert all(rules and rules <= RULES for _, _, rules in HOSTILE)


def test_corpus_rules_are_the_rules_the_guard_names() -> None:
    trees = [ast.parse(Path(module.__file__).read_text(encoding="utf-8")) for module in (guard, sizes)]
    named = {
        node.args[0].value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "SqlRefused"
        and isinstance(node.args[0], ast.Constant)
    }
    assert named == RULES


@pytest.mark.parametrize(("dialect", "sql", "rules"), HOSTILE, ids=_ids(HOSTILE))
def test_guard_refuses_hostile_sql(dialect: str, sql: str, rules: frozenset[str]) -> None:
    refusal = _refusal(sql, dialect, allowed_tables=ALLOWED_TABLES)
    assert refusal.rule in rules, str(refusal)
    message = str(refusal)
    assert len(message) > 30
    assert any(word in message.lower() for word in ACTION_WORDS), message


@pytest.mark.parametrize(("dialect", "sql"), LEGIT, ids=_ids(LEGIT))
def test_guard_passes_legit_sql(dialect: str, sql: str) -> None:
    guarded = guard_sql(sql, dialect=dialect, max_rows=100, allowed_tables=ALLOWED_TABLES)
    assert guarded.tables <= ALLOWED_TABLES
    assert guard_sql(sql, dialect=dialect, max_rows=100) == guarded  # no allow-list: same
    statements = sqlglot.parse(guarded.sql, read=dialect)
    assert len(statements) == 1
    assert statements[0].args.get("limit") is not None  # clamped at the outermost level
    assert not any(node.comments for node in statements[0].walk())  # comments dropped


@pytest.fixture(scope="module")
def demo_sqlite() -> Iterator[SqlDatabase]:
    """The committed demo database, opened read-only: proves the guarded SQL really runs."""
    db = SqlDatabase(f"sqlite:///{ACME_DB}")
    yield db
    db.close()


SQLITE_LEGIT = [sql for dialect, sql in LEGIT if dialect == "sqlite"]
POSTGRES_LEGIT = [sql for dialect, sql in LEGIT if dialect == "postgres"]


@pytest.mark.parametrize("sql", SQLITE_LEGIT, ids=[str(i) for i in range(len(SQLITE_LEGIT))])
def test_guarded_legit_sql_runs_on_sqlite(demo_sqlite: SqlDatabase, sql: str) -> None:
    assert demo_sqlite.run_query(sql, limit=7).row_count <= 7


@pytest.mark.postgres
def test_guarded_legit_sql_runs_on_postgres(acme_pg: str) -> None:
    db = SqlDatabase(acme_pg)
    failures = []
    for sql in POSTGRES_LEGIT:
        try:
            assert db.run_query(sql, limit=7).row_count <= 7
        except ConnectorError as exc:
            failures.append(f"{sql}: {exc}")
    db.close()
    assert not failures, "\n".join(failures)


# --- rule details -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["pg_ls_tmpdir", "pg_ls_archive_statusdir", "lo_put", "dblink_send_query",
     "pg_advisory_unlock_all", "query_to_xmlschema", "cursor_to_xmlschema",
     "database_to_xml_and_xmlschema", "pg_read_binary_file", "writefile", "fts3_tokenizer"],
)  # fmt: skip
@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_guard_denies_function_families_in_every_dialect(name: str, dialect: str) -> None:
    assert _refusal(f"SELECT {name}('x')", dialect).rule == "denied_function"


def test_guard_allows_functions_that_only_share_a_prefix() -> None:
    for sql in ("SELECT lower(name), log(10, 100) FROM customers", "SELECT length('lo')"):
        guard_sql(sql, dialect="postgres", max_rows=10)


def test_guard_denies_duckdb_file_readers_only_in_duckdb() -> None:
    assert _refusal("SELECT * FROM read_csv('/etc/passwd')", "duckdb").rule == "denied_function"
    assert _refusal("SELECT * FROM glob('/etc/*')", "duckdb").rule == "denied_function"
    guard_sql("SELECT name FROM customers WHERE name GLOB 'A*'", dialect="sqlite", max_rows=5)


def test_guard_refuses_overlong_and_deeply_nested_sql() -> None:
    assert _refusal("SELECT 1" + " + 1" * MAX_SQL_CHARS).rule == "too_long"
    assert _refusal("SELECT " + "(" * 3000 + "1" + ")" * 3000).rule == "too_complex"


def test_guard_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        guard_sql("SELECT 1", dialect="no-such-dialect", max_rows=10)
    with pytest.raises(ValueError):
        guard_sql("SELECT 1", dialect="sqlite", max_rows=0)


def test_refusal_is_a_connector_error_that_names_its_rule() -> None:
    refusal = _refusal("DROP TABLE customers")
    assert isinstance(refusal, ConnectorError)
    assert refusal.rule == "read_only"
    assert "DROP" in str(refusal)


def test_guard_drops_comments_from_the_sql_it_returns() -> None:
    sql = "SELECT name /* note */ FROM customers -- why"
    guarded = guard_sql(sql, dialect="sqlite", max_rows=5)
    assert guarded.sql == "SELECT name FROM customers LIMIT 5"


def test_guard_keeps_quoted_function_names_as_written() -> None:
    # sqlglot upper-cases function names by default, even inside quotes, which would
    # call a different function in PostgreSQL.
    guarded = guard_sql('SELECT "my_Func"(1), my_other(2)', dialect="postgres", max_rows=5)
    assert '"my_Func"(1)' in guarded.sql and "my_other(2)" in guarded.sql


# --- LIMIT clamp --------------------------------------------------------------------

CLAMP = [
    ("sqlite", "SELECT * FROM orders", "SELECT * FROM orders LIMIT 50"),
    ("sqlite", "SELECT * FROM orders LIMIT 1000", "SELECT * FROM orders LIMIT 50"),
    ("sqlite", "SELECT * FROM orders LIMIT 10", "SELECT * FROM orders LIMIT 10"),
    ("sqlite", "SELECT * FROM orders LIMIT 0", "SELECT * FROM orders LIMIT 0"),
    ("sqlite", "SELECT * FROM orders LIMIT -1", "SELECT * FROM orders LIMIT 50"),
    ("sqlite", "SELECT * FROM orders LIMIT ?", "SELECT * FROM orders LIMIT 50"),
    ("sqlite", "SELECT * FROM orders LIMIT 20, 500",
     "SELECT * FROM orders LIMIT 50 OFFSET 20"),
    ("sqlite", "SELECT * FROM orders LIMIT 500 OFFSET 20",
     "SELECT * FROM orders LIMIT 50 OFFSET 20"),
    ("postgres", "SELECT * FROM orders LIMIT ALL", "SELECT * FROM orders LIMIT 50"),
    ("postgres", "SELECT * FROM orders LIMIT NULL", "SELECT * FROM orders LIMIT 50"),
    ("postgres", "SELECT * FROM orders LIMIT $1", "SELECT * FROM orders LIMIT 50"),
    ("postgres", "SELECT * FROM orders LIMIT (SELECT 5000)", "SELECT * FROM orders LIMIT 50"),
    ("postgres", "SELECT * FROM orders FETCH FIRST 500 ROWS ONLY",
     "SELECT * FROM orders FETCH FIRST 50 ROWS ONLY"),
    ("postgres", "SELECT * FROM orders FETCH FIRST 5 ROWS ONLY",
     "SELECT * FROM orders FETCH FIRST 5 ROWS ONLY"),
    ("postgres", "SELECT * FROM orders ORDER BY order_date FETCH FIRST 5 ROWS WITH TIES",
     "SELECT * FROM orders ORDER BY order_date LIMIT 50"),
    ("postgres", "SELECT * FROM orders ORDER BY order_date FETCH FIRST 5 PERCENT ROWS ONLY",
     "SELECT * FROM orders ORDER BY order_date LIMIT 50"),
    ("postgres", "SELECT 1 UNION SELECT 2", "SELECT 1 UNION SELECT 2 LIMIT 50"),
    ("postgres", "SELECT 1 UNION SELECT 2 LIMIT 900", "SELECT 1 UNION SELECT 2 LIMIT 50"),
    ("postgres", "(SELECT 1 LIMIT 900) UNION ALL (SELECT 2 LIMIT 3)",
     "(SELECT 1 LIMIT 900) UNION ALL (SELECT 2 LIMIT 3) LIMIT 50"),
    ("postgres", "SELECT * FROM (SELECT * FROM orders LIMIT 900) AS o",
     "SELECT * FROM (SELECT * FROM orders LIMIT 900) AS o LIMIT 50"),
    ("postgres", "SELECT (SELECT max(x) FROM (SELECT 1 AS x LIMIT 900) AS s)",
     "SELECT (SELECT MAX(x) FROM (SELECT 1 AS x LIMIT 900) AS s) LIMIT 50"),
    ("postgres", "WITH o AS (SELECT * FROM orders LIMIT 900) SELECT * FROM o",
     "WITH o AS (SELECT * FROM orders LIMIT 900) SELECT * FROM o LIMIT 50"),
    ("postgres", "(SELECT * FROM orders) LIMIT 900", "SELECT * FROM orders LIMIT 50"),
    ("sqlite", "VALUES (1), (2)", "SELECT * FROM (VALUES (1), (2)) AS _q LIMIT 50"),
    ("tsql", "SELECT TOP 500 * FROM orders", "SELECT TOP 50 * FROM orders"),
    ("tsql", "SELECT TOP 5 PERCENT * FROM orders", "SELECT TOP 50 * FROM orders"),
    ("postgres", "SELECT * FROM orders FETCH FIRST ROW ONLY",
     "SELECT * FROM orders FETCH FIRST 1 ROWS ONLY"),
]  # fmt: skip


@pytest.mark.parametrize(("dialect", "sql", "expected"), CLAMP, ids=_ids(CLAMP))
def test_guard_clamps_the_outermost_limit(dialect: str, sql: str, expected: str) -> None:
    assert guard_sql(sql, dialect=dialect, max_rows=50).sql == expected


# --- table allow-list and catalogs --------------------------------------------------


def _tables(sql: str, allowed: set[str] | None = None, dialect: str = "postgres") -> set[str]:
    return set(guard_sql(sql, dialect=dialect, max_rows=5, allowed_tables=allowed).tables)


def test_guard_reports_real_tables_not_ctes_or_aliases() -> None:
    sql = (
        "WITH recent AS (SELECT * FROM orders WHERE order_date > '2025-01-01') "
        "SELECT c.name FROM customers AS c JOIN recent r ON r.customer_id = c.customer_id "
        "WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = r.order_id)"
    )
    assert _tables(sql, {"orders", "customers", "invoices"}) == {"orders", "customers", "invoices"}


def test_guard_allow_list_is_case_insensitive_and_ignores_the_schema() -> None:
    assert _tables('SELECT * FROM public."Customers"', {"CUSTOMERS"}) == {"customers"}
    assert _tables("SELECT * FROM acme.customers", {"acme.customers"}) == {"customers"}
    assert _tables("SELECT * FROM main.customers", {"customers"}, "sqlite") == {"customers"}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM customers JOIN secrets USING (customer_id)",
        "SELECT * FROM customers WHERE customer_id IN (SELECT customer_id FROM secrets)",
        "SELECT * FROM customers c, LATERAL (SELECT * FROM secrets s) x",
        "SELECT name FROM customers UNION SELECT name FROM secrets",
        "WITH x AS (SELECT * FROM secrets) SELECT * FROM x",
        "WITH x AS (SELECT 1) SELECT * FROM x, (SELECT * FROM other.secrets) s",
        "SELECT * FROM (WITH secrets AS (SELECT 1) SELECT * FROM secrets) s, secrets",
    ],
)
def test_guard_checks_every_table_against_the_allow_list(sql: str) -> None:
    refusal = _refusal(sql, allowed_tables={"customers"})
    assert refusal.rule == "table_not_allowed"
    assert "secrets" in str(refusal) and "customers" in str(refusal)


def test_guard_lets_a_cte_named_like_a_table_pass_the_allow_list() -> None:
    assert _tables("WITH secrets AS (SELECT 1 AS a) SELECT * FROM secrets", {"customers"}) == set()
    recursive = (
        "WITH RECURSIVE walk(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM walk WHERE n < 3) "
        "SELECT * FROM walk"
    )
    assert _tables(recursive, {"customers"}) == set()


def test_guard_follows_each_dialects_cte_scoping() -> None:
    forward = "WITH a AS (SELECT * FROM secrets), secrets AS (SELECT 1 AS x) SELECT * FROM a"
    # SQLite resolves the forward reference to the CTE; PostgreSQL to a real table.
    assert _tables(forward, {"customers"}, "sqlite") == set()
    assert _refusal(forward, "postgres", {"customers"}).rule == "table_not_allowed"
    self_ref = "WITH secrets AS (SELECT 1 AS x UNION ALL SELECT x + 1 FROM secrets) SELECT 1"
    assert _tables(self_ref, {"customers"}, "sqlite") == set()
    assert _refusal(self_ref, "postgres", {"customers"}).rule == "table_not_allowed"


def test_guard_refuses_catalogs_unless_allow_listed() -> None:
    assert _refusal("SELECT * FROM pg_tables").rule == "system_catalog"
    assert _tables("SELECT * FROM pg_tables", {"pg_tables"}) == {"pg_tables"}
    assert _tables("SELECT * FROM sqlite_master", {"sqlite_master"}, "sqlite") == {"sqlite_master"}
    # a bare `tables` entry means the user's own table, not information_schema.tables
    refusal = _refusal("SELECT * FROM information_schema.tables", allowed_tables={"tables"})
    assert refusal.rule == "system_catalog"
    allowed = {"information_schema.tables"}
    assert _tables("SELECT * FROM information_schema.tables", allowed) == {"tables"}


# --- public surface -----------------------------------------------------------------


def test_guarded_sql_is_frozen_and_exports_are_honest() -> None:
    guarded = guard_sql("SELECT 1", dialect="sqlite", max_rows=1)
    assert guarded == GuardedSql(sql="SELECT 1 LIMIT 1", tables=frozenset())
    with pytest.raises(dataclasses.FrozenInstanceError):
        guarded.sql = "DROP TABLE customers"  # type: ignore[misc]
    assert all(hasattr(guard, name) for name in guard.__all__)

