"""SqlDatabase against real SQLite files and a real PostgreSQL server."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from connectors.errors import SqlError, SqlExecutionError, SqlRefused, SqlTimeout
from connectors.sql.engine import Limits, SqlDatabase
from connectors.sql.readonly import backend_for
from tests.support import data_digest

RUNAWAY = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
    "postgres": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
}


POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)


@pytest.fixture(params=["sqlite", POSTGRES])
def db_url(request, acme_sqlite: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{acme_sqlite}"
    return request.getfixturevalue("acme_pg")


def open_db(url: str, **limits) -> SqlDatabase:
    return SqlDatabase(url, name="sales", limits=Limits(**limits))


def test_list_tables_counts_rows_and_reads_comments(db_url):
    tables = {t.name: t for t in open_db(db_url).list_tables()}
    assert set(tables) == {"regions", "employees", "customers", "products", "orders", "order_items", "invoices"}
    assert tables["orders"].row_count == 12_000  # exact on SQLite, ANALYZE'd estimate on PostgreSQL
    assert tables["customers"].comment == "Companies that buy from Acme"


def test_describe_table_gives_columns_keys_and_three_samples(db_url):
    d = open_db(db_url).describe_table("ORDERS")  # names are matched case-insensitively
    assert d.name == "orders"
    columns = {c.name: c for c in d.columns}
    assert list(columns) == ["order_id", "customer_id", "employee_id", "order_date", "status"]
    assert columns["order_id"].primary_key and not columns["status"].nullable
    assert set(d.foreign_keys) == {"customer_id -> customers.customer_id", "employee_id -> employees.employee_id"}
    assert len(d.sample_rows) == 3 and len(d.sample_rows[0]) == 5


def test_sqlite_column_comments_come_from_the_ddl(acme_sqlite):
    d = open_db(f"sqlite:///{acme_sqlite}").describe_table("invoices")
    assert {c.name: c.comment for c in d.columns}["paid_on"] == "NULL while unpaid"


def test_unknown_table_says_to_call_list_tables(db_url):
    with pytest.raises(SqlError, match="call list_tables"):
        open_db(db_url).describe_table("nope")


def test_allow_list_hides_and_refuses_other_tables(acme_sqlite):
    db = SqlDatabase(f"sqlite:///{acme_sqlite}", allowed_tables=["Orders", "customers"])
    assert [t.name for t in db.list_tables()] == ["customers", "orders"]
    with pytest.raises(SqlError, match="Unknown table"):
        db.describe_table("invoices")
    with pytest.raises(SqlRefused):
        db.run_query("SELECT * FROM invoices")
    assert db.run_query("SELECT count(*) FROM orders o JOIN customers c USING (customer_id)").rows == ((12_000,),)


def test_truncated_flag_and_row_cap(db_url):
    db = open_db(db_url, max_rows=50)
    r = db.run_query("SELECT order_id FROM orders ORDER BY order_id")
    assert (r.row_count, r.truncated) == (50, True)
    assert r.rows[-1] == (50,)
    small = db.run_query("SELECT order_id FROM orders ORDER BY order_id LIMIT 7")
    assert (small.row_count, small.truncated) == (7, False)
    exact = db.run_query("SELECT region_id FROM regions")
    assert (exact.row_count, exact.truncated) == (6, False)


def test_caller_may_lower_the_row_cap_never_raise_it(db_url):
    db = open_db(db_url, max_rows=20)
    assert db.run_query("SELECT order_id FROM orders", limit=5).row_count == 5
    assert db.run_query("SELECT order_id FROM orders LIMIT 1000", limit=500).row_count == 20
    with pytest.raises(SqlError, match="at least 1"):
        db.run_query("SELECT 1", limit=0)


def test_cells_are_capped_and_json_safe(db_url):
    db = open_db(db_url, max_cell_chars=20)
    r = db.run_query("SELECT name || name || name || name AS long_name, 1.5 AS x, NULL AS n FROM customers "
                     "WHERE customer_id = 1")
    text, number, null = r.rows[0]
    assert text == "Cedar Farms LtdCedar… [cut: 40 more chars]"  # 4 × "Cedar Farms Ltd" is 60 chars
    assert number == 1.5 and null is None
    assert r.columns == ("long_name", "x", "n")


@pytest.mark.parametrize("dialect", ["sqlite", POSTGRES])
def test_runaway_query_is_stopped_on_time_and_the_connection_stays_usable(dialect, request):
    url = f"sqlite:///{request.getfixturevalue('acme_sqlite')}" if dialect == "sqlite" else request.getfixturevalue("acme_pg")
    db = open_db(url, timeout_s=0.5)
    with pytest.raises(SqlTimeout, match="longer than 0.5 s"):
        db.run_query(RUNAWAY[dialect])
    assert db.run_query("SELECT count(*) FROM regions").rows == ((6,),)
    # A caller may lower the time limit too.
    with pytest.raises(SqlTimeout, match="longer than 0.2 s"):
        db.run_query(RUNAWAY[dialect], timeout_s=0.2)


def test_database_errors_name_the_problem(db_url):
    with pytest.raises(SqlExecutionError, match="describe_table") as info:
        open_db(db_url).run_query("SELECT no_such_column FROM orders")
    assert "no_such_column" in str(info.value)


def test_executes_the_guarded_rendering_not_the_input(acme_sqlite):
    r = open_db(f"sqlite:///{acme_sqlite}", max_rows=10).run_query("SELECT 1 AS a -- trailing comment")
    assert "comment" not in r.sql and "LIMIT 11" in r.sql


def test_sql_with_colons_and_percent_signs_runs_verbatim(db_url):
    r = open_db(db_url).run_query("SELECT '10:30' AS t, 'a%b' AS p FROM regions WHERE name LIKE 'E%'")
    assert r.rows == (("10:30", "a%b"),)


def test_missing_sqlite_file_and_bad_urls_are_clear_errors(tmp_path):
    with pytest.raises(SqlError, match="No SQLite database file"):
        SqlDatabase(f"sqlite:///{tmp_path / 'missing.db'}")
    with pytest.raises(SqlError, match="in-memory"):
        SqlDatabase("sqlite://")
    with pytest.raises(SqlError, match="not a SQLAlchemy URL"):
        SqlDatabase("nonsense")


def test_unreachable_postgres_is_a_clear_error():
    db = SqlDatabase("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(SqlExecutionError, match="Cannot connect"):
        db.list_tables()


# -- the read-only connection alone, with no guard in front -------------------

SQLITE_WRITES = [
    "INSERT INTO regions VALUES (99, 'x', 'y')",
    "UPDATE customers SET name = 'x'",
    "DELETE FROM orders",
    "DROP TABLE invoices",
    "CREATE TABLE t (x)",
    "PRAGMA query_only = 0",
    "PRAGMA query_only(0)",
    "PRAGMA writable_schema = 1",
    "ATTACH DATABASE '{tmp}/evil.db' AS evil",
    "VACUUM INTO '{tmp}/copy.db'",
    "SELECT load_extension('/tmp/x')",
    "UPDATE sqlite_master SET sql = 'CREATE TABLE orders (x)' WHERE name = 'orders'",
    "SELECT value FROM json_each('[1]'); DELETE FROM orders",
]


@pytest.mark.parametrize("statement", SQLITE_WRITES)
def test_sqlite_connection_refuses_writes_without_the_guard(statement, acme_sqlite, tmp_path):
    before = acme_sqlite.read_bytes()
    url = make_url(f"sqlite:///{acme_sqlite}")
    engine = backend_for(url).create_engine(url, timeout_s=5)
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError):
        conn.exec_driver_sql(statement.format(tmp=tmp_path))
        conn.commit()
    engine.dispose()
    assert acme_sqlite.read_bytes() == before  # not one byte written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.db"]  # no file was created


def test_sqlite_connection_still_reads_and_inspects(acme_sqlite):
    url = make_url(f"sqlite:///{acme_sqlite}")
    engine = backend_for(url).create_engine(url, timeout_s=5)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM customers").scalar() == 240
        assert "customers" in sa.inspect(conn).get_table_names()
    engine.dispose()


PG_WRITES = [
    "INSERT INTO regions VALUES (99, 'x', 'y')",
    "SET TRANSACTION READ WRITE; INSERT INTO regions VALUES (98, 'x', 'y')",
    "UPDATE customers SET name = 'x'",
    "CREATE TABLE evil (x int)",
    "SELECT set_config('default_transaction_read_only', 'off', false); DELETE FROM orders",
]


@pytest.mark.parametrize("statement", PG_WRITES)
@pytest.mark.postgres
def test_postgres_connection_refuses_writes_without_the_guard(statement, acme_pg):
    before = data_digest(acme_pg)
    url = make_url(acme_pg)
    engine = backend_for(url).create_engine(url, timeout_s=5)
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError):
        conn.exec_driver_sql(statement)
        conn.commit()
    engine.dispose()
    assert data_digest(acme_pg) == before


@pytest.mark.postgres
def test_postgres_session_settings_do_not_survive_a_checkout(acme_pg):
    url = make_url(acme_pg)
    engine = backend_for(url).create_engine(url, timeout_s=5)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT set_config('default_transaction_read_only', 'off', false)")
        conn.commit()  # even a committed session change is undone on return to the pool
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "5s"
    engine.dispose()


@pytest.mark.postgres
def test_postgres_needs_psycopg3(acme_pg):
    with pytest.raises(SqlError, match="psycopg 3"):
        SqlDatabase(acme_pg.replace("+psycopg", "+pg8000"))



@pytest.mark.parametrize(
    ("url", "display", "sqlglot"),
    [("sqlite:///x.db", "SQLite", "sqlite"), ("postgresql+psycopg://h/db", "PostgreSQL", "postgres"),
     ("mssql+pyodbc://h/db", "SQL Server", "tsql"), ("mysql://h/db", "MySQL", "mysql"),
     ("mariadb://h/db", "MariaDB", "mysql"), ("oracle://h/db", "Oracle", "oracle"),
     ("duckdb:///x.db", "duckdb", "duckdb")],
)  # fmt: skip
def test_the_backend_owns_the_dialect_names(url, display, sqlglot):
    backend = backend_for(make_url(url))
    assert (backend.display_name, backend.sqlglot_dialect) == (display, sqlglot)


def test_a_dialect_sqlglot_cannot_parse_is_refused_by_name():
    with pytest.raises(SqlError, match="firebird"):
        backend_for(make_url("firebird://h/db"))


def test_the_database_reports_its_dialect_when_its_url_comes_from_the_environment(acme_sqlite):
    from connectors.config import parse_config

    config = parse_config({"databases": [{"name": "sales", "url_env": "SALES_URL"}]}, base_dir=Path.cwd())
    db = SqlDatabase.from_source(config.databases[0], {"SALES_URL": f"sqlite:///{acme_sqlite}"})
    try:
        assert (db.dialect, db.dialect_name) == ("sqlite", "SQLite")
    finally:
        db.close()
