"""Row filters (``[[databases.row_filter]]``): a caller's token claims scope every reference to a table.

A hostile corpus, run for real on a SQLite file and on PostgreSQL by a caller of region 1,
tries to read region 2's rows through aliases, subqueries, CTEs, UNION, joins with and
without their condition, and the placeholders the scope binds. None may show a region-2
value, in a cell or in an error.
"""

from __future__ import annotations

import pytest

from connectors.config import RowFilter
from connectors.errors import SqlError, SqlRefused
from connectors.sql.engine import SqlDatabase
from connectors.sql.guard import ROW_SCOPE_RULE, RowScope, guard_sql
from tests.connectors.sql.conftest import load_tables

CLIENTS = (
    ["id INTEGER PRIMARY KEY", "name TEXT", "region_id INTEGER"],
    [(1, "Alpha Mills", 1), (2, "Bravo Labs", 2), (3, "Cobalt Farms", 1), (4, "Delta Docks", 2), (5, "Echo Inks", 3)],
)
DEALS = (
    ["id INTEGER PRIMARY KEY", "client_id INTEGER", "region_id INTEGER", "title TEXT", "amount INTEGER"],
    [(1, 1, 1, "north pipes", 100), (2, 2, 2, "south cables", 200), (3, 4, 2, "south docks", 300),
     (4, 3, 1, "north barns", 400), (5, 5, 3, "east inks", 500)],
)
PRODUCTS = (["id INTEGER PRIMARY KEY", "name TEXT"], [(1, "Widget"), (2, "Gadget")])

FILTERS = [
    RowFilter(table="clients", column="region_id", claim="region"),
    RowFilter(table="deals", column="region_id", claim="region"),
]
ME = {"sub": "alice", "region": 1}

# Region 1 may see these; any other region's name or title is a leak.
MINE = {"Alpha Mills", "Cobalt Farms", "north pipes", "north barns"}
OTHERS = ["Bravo Labs", "Delta Docks", "Echo Inks", "south cables", "south docks", "east inks"]

HOSTILE = [
    "SELECT * FROM clients",
    "SELECT name FROM clients WHERE region_id = 2",
    "SELECT name FROM clients WHERE region_id <> 1 OR 1 = 1",
    "SELECT c.name FROM clients AS c WHERE c.region_id = 2",
    "SELECT x.name FROM clients x",
    'SELECT "name" FROM "clients"',
    "SELECT NAME FROM CLIENTS",
    "SELECT name FROM (SELECT * FROM clients) AS t",
    "SELECT name FROM (SELECT name, region_id FROM clients WHERE region_id > 0) AS t WHERE region_id = 2",
    "WITH c AS (SELECT * FROM clients) SELECT name FROM c",
    "WITH clients AS (SELECT * FROM clients) SELECT name FROM clients",
    "WITH a AS (SELECT * FROM clients), b AS (SELECT * FROM a) SELECT name FROM b",
    "WITH RECURSIVE r(id, name) AS (SELECT id, name FROM clients WHERE id = 1 UNION "
    "SELECT c.id, c.name FROM clients c JOIN r ON c.id = r.id + 1) SELECT name FROM r",
    "SELECT name FROM clients UNION SELECT name FROM clients",
    "SELECT 'x' UNION ALL SELECT name FROM clients",
    "SELECT title FROM deals UNION SELECT name FROM clients",
    "SELECT (SELECT name FROM clients WHERE region_id = 2 LIMIT 1)",
    "SELECT name, (SELECT MAX(title) FROM deals) FROM clients",
    "SELECT d.title, c.name FROM deals d JOIN clients c ON c.id = d.client_id",
    "SELECT d.title, c.name FROM deals d LEFT JOIN clients c ON c.id = d.client_id",
    "SELECT c.name, d.title FROM clients c, deals d",
    "SELECT c.name FROM products p CROSS JOIN clients c",
    "SELECT p.name, c.name FROM products p LEFT JOIN clients c ON 1 = 1",
    "SELECT name FROM clients c WHERE EXISTS (SELECT 1 FROM clients d WHERE d.region_id = 2)",
    "SELECT name FROM clients WHERE id IN (SELECT client_id FROM deals WHERE region_id = 2)",
    "SELECT COUNT(*), MAX(name), MIN(name) FROM clients",
    "SELECT region_id, COUNT(*) FROM clients GROUP BY region_id",
    "SELECT name FROM clients ORDER BY region_id DESC LIMIT 1",
    "SELECT name, ROW_NUMBER() OVER (ORDER BY region_id DESC) FROM clients",
    "SELECT name FROM clients INTERSECT SELECT name FROM clients",
    "SELECT title FROM deals EXCEPT SELECT 'north pipes'",
    "SELECT SUM(amount) FROM deals",
    # the placeholders and inner alias the scope writes are reserved
    "SELECT name FROM clients WHERE region_id IN (:rbx_rf_0)",
    "SELECT name FROM clients AS rbx_rf_t",
    "SELECT name FROM clients WHERE name <> 'rbx_rf_0'",
    "SELECT name FROM clients -- rbx_rf_0\n",
]
SQLITE_ONLY = [
    "SELECT name FROM main.clients",
    "SELECT group_concat(name) FROM clients",
    "SELECT name FROM clients NATURAL JOIN deals",
]
POSTGRES_ONLY = [
    "SELECT name FROM public.clients",
    "SELECT string_agg(name, ',') FROM clients",
    "SELECT c.name FROM deals d, LATERAL (SELECT name FROM clients WHERE id = d.client_id) AS c",
    "SELECT name FROM clients WHERE CAST(name AS INTEGER) = 1",  # the error names a value: only one of ours
    "SELECT name FROM clients WHERE region_id = 2 AND CAST(name AS INTEGER) = 1",
    "SELECT array_agg(name) FROM clients",
]


TABLES = {"clients": CLIENTS, "deals": DEALS, "products": PRODUCTS}


@pytest.fixture
def scoped_db(governed_url) -> SqlDatabase:
    db = SqlDatabase(governed_url(TABLES), name="crm", row_filters=FILTERS)
    yield db
    db.close()


def leaked(text: str) -> list[str]:
    return [name for name in OTHERS if name in text]


def assert_no_leak(db: SqlDatabase, sql: str) -> None:
    try:
        result = db.run_query(sql, claims=ME)
    except SqlError as exc:
        assert not leaked(str(exc)), f"{sql!r} leaked in its error: {exc}"
        return
    assert not leaked(repr(result.rows)), f"{sql!r} leaked: {result.rows}"


@pytest.mark.parametrize("sql", HOSTILE)
def test_no_hostile_query_reads_another_regions_rows(scoped_db, sql):
    assert_no_leak(scoped_db, sql)


@pytest.mark.parametrize("sql", SQLITE_ONLY)
def test_no_sqlite_specific_query_reads_another_regions_rows(tmp_path, sql):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    load_tables(url, TABLES)
    assert_no_leak(SqlDatabase(url, row_filters=FILTERS), sql)


@pytest.mark.postgres
@pytest.mark.parametrize("sql", POSTGRES_ONLY)
def test_no_postgres_specific_query_reads_another_regions_rows(governed_pg_url, sql):
    load_tables(governed_pg_url, TABLES)
    db = SqlDatabase(governed_pg_url, row_filters=FILTERS)
    assert_no_leak(db, sql)
    db.close()


def test_without_the_scope_the_corpus_would_leak(scoped_db):
    """The corpus is hostile for real: read as the local operator, most of it shows other regions."""
    shown = 0
    for sql in HOSTILE:
        try:
            shown += bool(leaked(repr(scoped_db.run_query(sql).rows)))
        except SqlError:
            pass
    assert shown >= len(HOSTILE) // 2


def test_counts_and_sums_see_only_the_callers_rows(scoped_db):
    assert scoped_db.run_query("SELECT COUNT(*) FROM clients", claims=ME).rows == ((2,),)
    assert scoped_db.run_query("SELECT SUM(amount) FROM deals", claims=ME).rows == ((500,),)
    assert scoped_db.run_query("SELECT COUNT(*) FROM clients WHERE region_id = 2", claims=ME).rows == ((0,),)
    assert scoped_db.run_query("SELECT COUNT(*) FROM products", claims=ME).rows == ((2,),)  # not filtered


def test_the_caller_still_gets_its_own_rows_through_every_shape(scoped_db):
    for sql in ("SELECT name FROM clients ORDER BY id",
                "SELECT c.name FROM clients c JOIN deals d ON d.client_id = c.id ORDER BY c.id",
                "WITH c AS (SELECT * FROM clients) SELECT name FROM c ORDER BY id",
                "SELECT name FROM (SELECT * FROM clients) t ORDER BY id"):
        assert {r[0] for r in scoped_db.run_query(sql, claims=ME).rows} == {"Alpha Mills", "Cobalt Farms"}, sql


def test_a_list_claim_admits_each_of_its_values(scoped_db):
    rows = scoped_db.run_query("SELECT name FROM clients ORDER BY id", claims={"region": [2, 3]}).rows
    assert [r[0] for r in rows] == ["Bravo Labs", "Delta Docks", "Echo Inks"]


@pytest.mark.parametrize("claims", [{}, {"region": None}, {"region": []}, {"region": {"a": 1}}, {"region": True},
                                    {"region": [1, [2]]}])
def test_a_caller_without_a_usable_claim_is_refused_the_filtered_tables_only(scoped_db, claims):
    with pytest.raises(SqlRefused) as info:
        scoped_db.run_query("SELECT name FROM clients", claims=claims)
    assert info.value.rule == ROW_SCOPE_RULE and "'region' claim" in str(info.value)
    assert scoped_db.run_query("SELECT name FROM products ORDER BY id", claims=claims).rows == (("Widget",), ("Gadget",))


def test_the_local_operator_sees_every_row(scoped_db):
    assert scoped_db.run_query("SELECT COUNT(*) FROM clients").rows == ((5,),)


def test_describe_and_list_tables_show_no_other_regions_rows(scoped_db):
    d = scoped_db.describe_table("clients", sample_rows=10, claims=ME)
    assert {row[1] for row in d.sample_rows} == {"Alpha Mills", "Cobalt Farms"}
    assert scoped_db.describe_table("clients", claims={}).sample_rows == ()
    assert len(scoped_db.describe_table("clients", sample_rows=10).sample_rows) == 5
    counts = {t.name: t.row_count for t in scoped_db.list_tables(claims=ME)}
    assert counts["clients"] is None and counts["deals"] is None  # a count of every row would tell
    assert scoped_db.list_tables(claims=ME)[0] is not None


def test_filtered_tables_are_left_out_of_the_value_index(scoped_db):
    assert scoped_db.match_values("Bravo Labs and Widget") == [
        m for m in scoped_db.match_values("Bravo Labs and Widget") if m.table == "products"
    ]
    assert [m.value for m in scoped_db.match_values("Widget")] == ["Widget"]


def test_the_scope_rewrites_every_table_reference_and_binds_the_claim():
    scope = RowScope({"clients": FILTERS[0]}, {"region": "r1'; DROP TABLE x; --"})
    g = guard_sql("SELECT a.name FROM clients a JOIN (SELECT * FROM clients) b ON a.id = b.id "
                  "WHERE a.id IN (SELECT id FROM clients)", dialect="sqlite", max_rows=10, rows=scope)
    assert g.sql.count("FROM clients AS rbx_rf_t WHERE rbx_rf_t.region_id IN (") == 3
    assert "DROP" not in g.sql and set(g.params.values()) == {"r1'; DROP TABLE x; --"}
    pg = guard_sql("SELECT name FROM clients", dialect="postgres", max_rows=10, rows=scope)
    assert "OFFSET 0" in pg.sql  # the optimisation fence against pushed-down conditions


def test_row_filters_need_a_backend_that_binds_them():
    with pytest.raises(SqlError, match="row_filter"):
        SqlDatabase("mysql+pymysql://u:p@127.0.0.1/x", row_filters=FILTERS)


# -- PostgreSQL's own layer: row-level security under the caller's role and claims -------------

RLS = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ragbox_region_reader') THEN
    CREATE ROLE ragbox_region_reader NOLOGIN;
  END IF;
END $$;
GRANT USAGE ON SCHEMA public TO ragbox_region_reader;
GRANT SELECT ON clients TO ragbox_region_reader;
ALTER TABLE clients ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS by_region ON clients;
CREATE POLICY by_region ON clients FOR SELECT TO ragbox_region_reader USING (
  region_id = ANY (string_to_array(current_setting('ragbox.claim.region', true), ',')::int[]));
"""


@pytest.fixture
def rls_db(governed_pg_url):
    import sqlalchemy as sa

    load_tables(governed_pg_url, {"clients": CLIENTS})
    engine = sa.create_engine(governed_pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(RLS)
    engine.dispose()
    # No row_filter here: PostgreSQL's policy alone scopes the rows.
    db = SqlDatabase(governed_pg_url, session_claims=["region"], role_claim="db_role")
    yield db
    db.close()


@pytest.mark.postgres
def test_postgres_row_level_security_sees_the_callers_role_and_claims(rls_db):
    me = {"sub": "alice", "db_role": "ragbox_region_reader", "region": [1]}
    assert {r[0] for r in rls_db.run_query("SELECT name FROM clients", claims=me).rows} == {"Alpha Mills", "Cobalt Farms"}
    both = {**me, "region": [1, 2]}
    assert len(rls_db.run_query("SELECT name FROM clients", claims=both).rows) == 4
    assert rls_db.run_query("SELECT name FROM clients", claims={**me, "region": []}).rows == ()
    # The setting and the role last one transaction: the next caller starts clean.
    assert len(rls_db.run_query("SELECT name FROM clients").rows) == 5
    assert rls_db.run_query("SELECT current_user").rows != (("ragbox_region_reader",),)
    with pytest.raises(SqlRefused, match="'db_role' claim"):
        rls_db.run_query("SELECT name FROM clients", claims={"sub": "x", "region": [1]})
    with pytest.raises(SqlError):  # a role the login role may not become
        rls_db.run_query("SELECT 1", claims={**me, "db_role": "pg_read_server_files_nope"})
    # The caller cannot change its own settings: set_config is refused by the guard.
    with pytest.raises(SqlRefused):
        rls_db.run_query("SELECT set_config('ragbox.claim.region', '2', true)", claims=me)


def test_postgres_claims_need_postgres(tmp_path):
    with pytest.raises(SqlError, match="PostgreSQL"):
        SqlDatabase(f"sqlite:///{tmp_path / 'x.db'}", session_claims=["region"])
