"""Memory limits: a query that builds or returns a huge value is stopped by a limit it names.

Each layer is tested on its own as well as together: the guard's literal-size rule, the
database connection (SQLite's limits and heap cap, PostgreSQL's row check and settings),
and the engine's byte budget per result.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from connectors.config import parse_config
from connectors.errors import ConfigError, SqlError, SqlRefused, SqlTooLarge
from connectors.sql.engine import Limits, SqlDatabase
from connectors.sql.guard import guard_sql
from connectors.sql.readonly import MAX_VALUE_BYTES, MiB, PostgresBackend, SQLiteBackend, backend_for
from testkit.sql_corpus import MEMORY_HOGS
from tests.support import REPO, need

POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)
ACTIONS = ("select less data", "build less data", "use a smaller", "make it cheaper")
SPIDER = REPO.parent / "shared" / "data" / "spider-dev-subset"


def _hogs(dialect: str | None = None, *layers: str) -> list:
    marks = {"postgres": [pytest.mark.postgres], "sqlite": []}
    return [
        pytest.param(d, layer, sql, marks=marks[d], id=f"{i}-{d}-{layer}")
        for i, (d, layer, sql) in enumerate(MEMORY_HOGS)
        if (dialect is None or d == dialect) and (not layers or layer in layers)
    ]


def url_for(dialect: str, request: pytest.FixtureRequest) -> str:
    if dialect == "sqlite":
        return f"sqlite:///{request.getfixturevalue('acme_sqlite')}"
    return request.getfixturevalue("acme_pg")


def open_db(url: str, **limits) -> SqlDatabase:
    return SqlDatabase(url, name="sales", limits=Limits(**limits))


def assert_names_its_limit(exc: SqlError, layer: str) -> None:
    message = str(exc)
    if layer == "guard":
        assert isinstance(exc, SqlRefused) and exc.rule == "too_large", message
        assert "max_value_bytes" in message
    else:
        assert isinstance(exc, SqlTooLarge), message
        assert exc.limit in message
        assert (exc.limit == "max_result_bytes") == (layer == "engine"), exc.limit
    assert any(action in message.lower() for action in ACTIONS), message
    assert "Traceback" not in message and len(message) < 600


# -- the corpus, through every layer ---------------------------------------------------


def test_corpus_covers_every_layer_in_both_dialects():
    assert {(d, layer) for d, layer, _ in MEMORY_HOGS} == {
        (d, layer) for d in ("sqlite", "postgres") for layer in ("guard", "database", "engine")
    }
    assert all(sum(d == dialect for d, _, _ in MEMORY_HOGS) >= 12 for dialect in ("sqlite", "postgres"))


@pytest.mark.parametrize(("dialect", "layer", "sql"), _hogs())
def test_memory_hog_is_stopped_by_a_limit_it_names(dialect, layer, sql, request):
    db = open_db(url_for(dialect, request))
    with pytest.raises(SqlError) as info:
        db.run_query(sql)
    assert_names_its_limit(info.value, layer)
    assert db.run_query("SELECT count(*) FROM regions").rows == ((6,),)  # the connection is fine
    db.close()


@pytest.mark.parametrize(("dialect", "layer", "sql"), _hogs())
def test_guard_refuses_literal_sizes_and_passes_sizes_that_data_decides(dialect, layer, sql):
    if layer == "guard":
        with pytest.raises(SqlRefused) as info:
            guard_sql(sql, dialect=dialect, max_rows=201, max_value_bytes=MAX_VALUE_BYTES)
        assert info.value.rule == "too_large"
    else:  # the other layers are what stops these: the tests below run them without the guard
        guard_sql(sql, dialect=dialect, max_rows=201, max_value_bytes=MAX_VALUE_BYTES)
    guard_sql(sql, dialect=dialect, max_rows=201)  # the size rule applies only with a limit


@pytest.mark.parametrize(
    ("sql", "size"),
    [
        ("SELECT repeat('ab', 3000000)", 6_000_000),
        ("SELECT repeat('x', 10 ^ 9)", 10**9),
        ("SELECT rpad(name, CAST(5e8 AS INT)) FROM customers", 500_000_000),
        ("SELECT format('%s-%1000000000s', 'a', 'b')", 1_000_000_015),
        ("SELECT 'a' || repeat('b', 5000000)", 5_000_000),
        ("SELECT replace(repeat('a', 100000), 'a', repeat('b', 100))", 10_000_000),
    ],
)
def test_guard_estimates_sizes_from_literals(sql, size):
    with pytest.raises(SqlRefused, match=f"about {size:,} bytes") as info:
        guard_sql(sql, dialect="postgres", max_rows=10, max_value_bytes=MAX_VALUE_BYTES)
    assert "max_value_bytes" in str(info.value)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT repeat('-', 40), lpad(CAST(customer_id AS TEXT), 6, '0') FROM customers",
        "SELECT repeat('#', count(*) / 100) FROM orders GROUP BY status",
        "SELECT format('%s: %10s %%', name, industry) FROM customers",
        "SELECT repeat('ab', 2000000)",
        "SELECT to_char(12345.678, '99999.99')",
    ],
)
def test_guard_passes_ordinary_sizes(sql):
    guard_sql(sql, dialect="postgres", max_rows=10, max_value_bytes=MAX_VALUE_BYTES)


# -- the SQLite connection alone ---------------------------------------------------------


def sqlite_engine(path: Path, **kwargs) -> tuple[SQLiteBackend, sa.Engine]:
    url = make_url(f"sqlite:///{path}")
    backend = backend_for(url)
    assert isinstance(backend, SQLiteBackend)
    return backend, backend.create_engine(url, timeout_s=5, **kwargs)


def run_alone(backend, engine, sql: str, max_value_bytes: int = MAX_VALUE_BYTES) -> list:
    """``sql`` through the backend only (no guard, no engine budget); values, or the named error."""
    try:
        with engine.connect() as conn, backend.execute(conn, sql, max_value_bytes=max_value_bytes) as (_, rows):
            return [len(v) if isinstance(v, str | bytes) else v for row in rows for v in row]
    except Exception as exc:  # noqa: BLE001 - the driver's own error is what is under test
        named = backend.too_large(exc, max_value_bytes)
        assert named is not None, f"{type(exc).__name__}: {exc}"
        return [named]


@pytest.mark.parametrize(("dialect", "layer", "sql"), _hogs("sqlite", "guard", "database"))
def test_sqlite_connection_alone_caps_every_value(dialect, layer, sql, acme_sqlite):
    backend, engine = sqlite_engine(acme_sqlite)
    outcome = run_alone(backend, engine, sql)
    # Stopped with a named limit, or (printf past the limit) an empty value: nothing big is built.
    assert all(isinstance(v, SqlTooLarge) or v is None or v <= MAX_VALUE_BYTES for v in outcome), outcome
    if layer == "database":
        assert isinstance(outcome[0], SqlTooLarge)
    engine.dispose()


def test_sqlite_limits_hold_on_every_connection(acme_sqlite):
    backend, engine = sqlite_engine(acme_sqlite, max_value_bytes=2 * MiB)
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw.getlimit(sqlite3.SQLITE_LIMIT_LENGTH) == 2 * MiB
        assert raw.getlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH) == 256 * 1024
        assert raw.getlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH) == 1_000
        assert raw.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED) == 0
        raw.set_authorizer(None)  # the authorizer denies even reading a PRAGMA
        assert raw.execute("PRAGMA temp_store").fetchone() == (1,)  # FILE
    engine.dispose()
    # The heap limits are SQLite's, for the whole process: any connection reads them.
    other = sqlite3.connect(":memory:")
    assert 0 < other.execute("PRAGMA hard_heap_limit").fetchone()[0] <= SQLiteBackend.HEAP_LIMIT
    assert 0 < other.execute("PRAGMA soft_heap_limit").fetchone()[0] <= SQLiteBackend.HEAP_LIMIT
    other.close()


def test_sqlite_stored_values_above_the_limit_are_named_and_their_length_still_reads(tmp_path):
    path = tmp_path / "big.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, body BLOB)")
        conn.execute("INSERT INTO docs VALUES (1, zeroblob(3000000)), (2, zeroblob(100))")
    conn.close()
    small = open_db(f"sqlite:///{path}", max_value_bytes=2 * MiB)
    with pytest.raises(SqlTooLarge, match="2 MiB value limit") as info:
        small.run_query("SELECT body FROM docs")
    assert info.value.limit == "SQLITE_LIMIT_LENGTH"
    assert small.run_query("SELECT id, length(body) FROM docs ORDER BY id").rows == ((1, 3000000), (2, 100))
    # A database that keeps bigger values gets a bigger limit.
    assert open_db(f"sqlite:///{path}").run_query("SELECT body FROM docs WHERE id = 1").rows == (
        ("<3000000 bytes>",),
    )


@pytest.mark.parametrize("dialect", ["sqlite", POSTGRES])
def test_a_value_at_the_limit_runs_and_a_larger_one_is_stopped(dialect, request):
    db = open_db(url_for(dialect, request), max_value_bytes=MiB)
    # Sizes that come from a subquery, so that the guard cannot see them: the database stops them.
    if dialect == "sqlite":
        at, above = "SELECT length(zeroblob(1048576 + (SELECT 0)))", "SELECT length(zeroblob(1048577 + (SELECT 0)))"
    else:  # the row check counts the row's header too
        at, above = "SELECT repeat('x', 1048000 + (SELECT 0))", "SELECT repeat('x', 1048577 + (SELECT 0))"
    assert db.run_query(at).row_count == 1
    with pytest.raises(SqlTooLarge, match="1 MiB"):
        db.run_query(above)


# -- PostgreSQL alone --------------------------------------------------------------------


def pg_engine(url: str, backend: PostgresBackend | None = None) -> tuple[PostgresBackend, sa.Engine]:
    backend = backend or PostgresBackend()
    return backend, backend.create_engine(make_url(url), timeout_s=30)


@pytest.mark.postgres
@pytest.mark.parametrize(("dialect", "layer", "sql"), _hogs("postgres", "database"))
def test_postgres_row_check_alone_stops_every_big_row(dialect, layer, sql, acme_pg):
    backend, engine = pg_engine(acme_pg)
    outcome = run_alone(backend, engine, sql)
    assert len(outcome) == 1 and isinstance(outcome[0], SqlTooLarge), outcome
    assert outcome[0].limit in ("max_value_bytes", "MaxAllocSize")
    engine.dispose()


@pytest.mark.postgres
def test_postgres_streamed_rows_keep_order_names_and_types(acme_pg):
    backend, engine = pg_engine(acme_pg)
    with engine.connect() as conn:
        sql = "SELECT order_id, order_id AS order_id, 'a%b' AS p FROM orders ORDER BY order_id DESC LIMIT 3"
        with backend.execute(conn, sql, max_value_bytes=MiB) as (columns, rows):
            assert columns == ("order_id", "order_id", "p")
            assert list(rows) == [(12000, 12000, "a%b"), (11999, 11999, "a%b"), (11998, 11998, "a%b")]
        with backend.execute(conn, "SELECT name, 1 AS n FROM regions WHERE false LIMIT 5", max_value_bytes=MiB) as (
            columns, rows,
        ):  # fmt: skip
            assert (columns, list(rows)) == (("name", "n"), [])
        conn.rollback()
    engine.dispose()


@pytest.mark.postgres
def test_postgres_row_check_stops_a_big_row_after_small_ones(acme_pg):
    db = open_db(acme_pg)
    with pytest.raises(SqlTooLarge, match="4.8 MiB, above"):
        db.run_query("SELECT order_id, repeat('x', CASE WHEN order_id = 5 THEN 5000000 ELSE 10 END) "
                     "FROM orders ORDER BY order_id")  # fmt: skip
    assert db.run_query("SELECT count(*) FROM regions").rows == ((6,),)
    db.close()


@pytest.mark.postgres
def test_postgres_sessions_carry_work_mem_and_temp_file_limit(acme_pg):
    _, engine = pg_engine(acme_pg)
    for _ in range(2):  # and again after the checkin's RESET ALL
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW work_mem").scalar() == "4MB"
            assert conn.exec_driver_sql("SHOW temp_file_limit").scalar() == "256MB"
    engine.dispose()


@pytest.mark.postgres
def test_postgres_temp_file_limit_stops_a_query_that_spills(acme_pg):
    backend, engine = pg_engine(acme_pg, PostgresBackend(temp_file_limit="1MB"))
    # generate_series in FROM is stored in a tuplestore, which spills past work_mem.
    (outcome,) = run_alone(backend, engine, "SELECT count(*) FROM generate_series(1, 3000000)")
    assert isinstance(outcome, SqlTooLarge) and outcome.limit == "temp_file_limit"
    assert "1MB" in str(outcome) and "temp_file_limit" in str(outcome)
    engine.dispose()


@pytest.fixture
def pg_reader(acme_pg):
    """A login role without superuser, which may not set temp_file_limit; yields its URL."""
    admin = sa.create_engine(acme_pg)
    with admin.begin() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = 'ragbox_mem_reader'").scalar() is None:
            conn.exec_driver_sql("CREATE ROLE ragbox_mem_reader LOGIN PASSWORD 'ragbox_mem_reader'")
        conn.exec_driver_sql("GRANT SELECT ON regions TO ragbox_mem_reader")
    url = make_url(acme_pg).set(username="ragbox_mem_reader", password="ragbox_mem_reader")
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.exec_driver_sql("DROP OWNED BY ragbox_mem_reader")
        conn.exec_driver_sql("DROP ROLE ragbox_mem_reader")
    admin.dispose()


@pytest.mark.postgres
def test_postgres_role_that_may_not_set_temp_file_limit_still_works_with_the_rest(pg_reader):
    db = open_db(pg_reader)
    assert db.run_query("SELECT count(*) FROM regions").rows == ((6,),)
    with pytest.raises(SqlTooLarge, match="max_value_bytes"):
        db.run_query("SELECT repeat('x', 5000000 + (SELECT 0))")
    with db._engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW work_mem").scalar() == "4MB"
        assert conn.exec_driver_sql("SHOW temp_file_limit").scalar() == "-1"  # the server's default
    db.close()


# -- the engine's budget per result ------------------------------------------------------


@pytest.mark.parametrize("dialect", ["sqlite", POSTGRES])
def test_result_budget_counts_raw_bytes_before_cells_are_cut(dialect, request):
    db = open_db(url_for(dialect, request), max_result_bytes=MiB, max_cell_chars=20)
    big = "hex(randomblob(100000))" if dialect == "sqlite" else "repeat('ab', 100000)"
    with pytest.raises(SqlTooLarge, match="1 MiB into ragbox") as info:
        db.run_query(f"SELECT order_id, {big} AS blob FROM orders ORDER BY order_id LIMIT 20")
    assert info.value.limit == "max_result_bytes"
    small = db.run_query(f"SELECT order_id, {big} AS blob FROM orders ORDER BY order_id LIMIT 3")
    assert small.row_count == 3 and small.rows[0][1].endswith("[cut: 199980 more chars]")
    db.close()


# -- nothing legitimate breaks -----------------------------------------------------------

BIG_BUT_FINE = {
    "sqlite": [
        # The demo's largest table as one JSON array: 2.6 MB, under the 4 MiB default.
        "SELECT json_group_array(json_object('order_item_id', order_item_id, 'order_id', order_id, "
        "'product_id', product_id, 'quantity', quantity, 'unit_price', unit_price)) FROM order_items",
        "SELECT group_concat(name, ', ') FROM customers",
        "SELECT printf('%-20s|%8.2f', name, unit_price) FROM products",
        "SELECT hex(randomblob(16)), zeroblob(8) FROM orders LIMIT 5",
    ],
    "postgres": [
        "SELECT json_agg(i) FROM order_items i",
        "SELECT string_agg(name, ', ' ORDER BY name) FROM customers",
        "SELECT format('%-20s|%8s', name, unit_price) FROM products",
        "SELECT count(*) FROM generate_series(1, 100000)",
        "SELECT lpad(CAST(order_id AS TEXT), 8, '0') FROM orders ORDER BY order_id LIMIT 5",
    ],
}


@pytest.mark.parametrize("dialect", ["sqlite", POSTGRES])
def test_big_but_ordinary_queries_run_under_the_limits(dialect, request):
    db = open_db(url_for(dialect, request))
    for sql in BIG_BUT_FINE[dialect]:
        assert db.run_query(sql).row_count >= 1, sql
    db.close()


@pytest.mark.slow
def test_spider_gold_queries_run_under_the_limits():
    if not (SPIDER / "questions.jsonl").is_file():
        need(f"the Spider dev subset is not at {SPIDER}")
    questions = [json.loads(line) for line in (SPIDER / "questions.jsonl").read_text().splitlines()]
    dbs = {db_id: open_db(f"sqlite:///{SPIDER / 'dbs' / f'{db_id}.sqlite'}") for db_id in {q["db_id"] for q in questions}}
    failed = []
    for q in questions:
        try:
            dbs[q["db_id"]].run_query(q["query"])
        except SqlTooLarge as exc:
            failed.append((q["query"], str(exc)))
        except SqlError:
            pass  # a gold query the guard or SQLite rejects for other reasons is not this test's
    assert failed == []
    for db in dbs.values():
        db.close()


# -- config --------------------------------------------------------------------------------


def test_max_value_bytes_comes_from_the_config_and_widens_the_result_budget(acme_sqlite):
    config = parse_config(
        {"databases": [{"name": "sales", "url": f"sqlite:///{acme_sqlite}", "max_value_bytes": 8 * MiB}]},
        base_dir=Path.cwd(),
    )
    db = SqlDatabase.from_source(config.databases[0], {})
    assert (db.limits.max_value_bytes, db.limits.max_result_bytes) == (8 * MiB, 32 * MiB)
    assert db.run_query("SELECT length(zeroblob(6000000 + (SELECT 0)))").rows == ((6_000_000,),)
    db.close()
    default = parse_config({"databases": [{"name": "s", "url": "sqlite:///x.db"}]}, base_dir=Path.cwd())
    assert default.databases[0].max_value_bytes == MAX_VALUE_BYTES == Limits().max_value_bytes
    with pytest.raises(ConfigError, match="max_value_bytes"):
        parse_config({"databases": [{"name": "s", "url": "sqlite:///x.db", "max_value_bytes": 2**30}]},
                     base_dir=Path.cwd())  # fmt: skip
