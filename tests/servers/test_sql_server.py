"""The SQL MCP server, in memory and as a real subprocess over stdio and HTTP."""

import os
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
import sqlalchemy as sa
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from connectors.sql.engine import Limits, SqlDatabase
from connectors.sql.readonly import MiB, SQLiteBackend
from servers.sql import build_sql_server
from testkit.servers import free_port, running
from testkit.sql_corpus import HOSTILE, MEMORY_HOGS
from tests.support import run_async as run, EXAMPLES, REPO, data_digest, mcp_http_server




def stdio(*args: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "servers", "sql", *args], env=dict(os.environ), cwd=str(REPO)
    )


@pytest.fixture
def server(acme_sqlite: Path):
    return build_sql_server([SqlDatabase(f"sqlite:///{acme_sqlite}", name="sales", limits=Limits(max_rows=50))])


def test_tools_are_listed_with_schemas_and_read_only_annotations(server):
    async def check():
        async with Client(server) as client:
            return (await client.list_tools()).tools

    tools = {t.name: t for t in run(check)}
    assert set(tools) == {"list_tables", "describe_table", "find_values", "run_query"}
    for tool in tools.values():
        assert tool.annotations.read_only_hint is True
        assert tool.annotations.destructive_hint is False
        assert tool.output_schema is not None
    query = tools["run_query"]
    assert query.input_schema["required"] == ["sql"]
    assert query.input_schema["properties"]["limit"]["anyOf"][0]["maximum"] == 50
    assert "SQLite" in query.description and "read-only" in query.description
    assert tools["describe_table"].input_schema["required"] == ["table"]
    values = tools["find_values"]
    assert values.input_schema["required"] == ["text"]
    assert values.input_schema["properties"]["text"]["maxLength"] == 500
    assert "WHERE literals" in values.description


def test_several_databases_make_database_an_enum(acme_sqlite):
    a = SqlDatabase(f"sqlite:///{acme_sqlite}", name="sales")
    b = SqlDatabase(f"sqlite:///{acme_sqlite}", name="archive")

    async def check():
        async with Client(build_sql_server([a, b])) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            listed = await client.call_tool("list_tables", {"database": "archive"})
            wrong = await client.call_tool("list_tables", {"database": "nope"})
            return tools, listed, wrong

    tools, listed, wrong = run(check)
    schema = tools["run_query"].input_schema["properties"]["database"]
    assert schema["anyOf"][0]["enum"] == ["sales", "archive"]
    assert listed.structured_content["database"] == "archive"
    assert wrong.is_error


def test_run_query_returns_structured_rows_and_fenced_text(server):
    async def check():
        async with Client(server) as client:
            return await client.call_tool(
                "run_query", {"sql": "SELECT name, country FROM regions ORDER BY region_id", "limit": 2}
            )

    result = run(check)
    assert not result.is_error
    data = result.structured_content
    assert data["columns"] == ["name", "country"]
    assert data["rows"] == [["North America", "United States"], ["EMEA", "United Kingdom"]]
    assert (data["row_count"], data["truncated"]) == (2, True)
    assert data["sql"].endswith("LIMIT 3")  # one extra row detects truncation
    text = result.content[0].text
    assert text.startswith('<untrusted-data source="sales" kind="rows">')
    assert "North America | United States" in text


def test_describe_and_list_tables_over_mcp(server):
    async def check():
        async with Client(server) as client:
            return (
                await client.call_tool("list_tables", {}),
                await client.call_tool("describe_table", {"table": "customers"}),
            )

    tables, described = run(check)
    assert {"name": "orders", "row_count": 12000, "comment": "One customer order"} in tables.structured_content["tables"]
    d = described.structured_content
    assert "region_id -> regions.region_id" in d["foreign_keys"]
    assert len(d["sample_rows"]) == 3
    assert "region_id INTEGER NOT NULL" in described.content[0].text


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"sql": "DROP TABLE customers"}, "read_only"),
        ({"sql": "SELECT 1; DELETE FROM orders"}, "one statement"),
        ({"sql": "SELECT nope FROM orders"}, "no such column"),
        ({"sql": "SELECT 1", "limit": "many"}, "limit"),
        ({"sql": "SELECT 1", "limit": 10_000}, "limit"),
        ({}, "sql"),
    ],
)
def test_bad_calls_are_tool_errors_and_the_server_stays_up(server, arguments, expected):
    async def check():
        async with Client(server) as client:
            bad = await client.call_tool("run_query", arguments)
            good = await client.call_tool("run_query", {"sql": "SELECT count(*) AS n FROM regions"})
            return bad, good

    bad, good = run(check)
    assert bad.is_error
    assert expected in bad.content[0].text
    assert good.structured_content["rows"] == [[6]]


@pytest.mark.parametrize(
    ("sql", "limit"),
    [
        ("SELECT randomblob(900000000)", "max_value_bytes"),
        ("WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r WHERE length(s) < 1e9) "
         "SELECT max(length(s)) FROM r", "SQLITE_LIMIT_LENGTH"),
        ("SELECT zeroblob(4000000) FROM orders", "max_result_bytes"),
    ],
)  # fmt: skip
def test_memory_limits_are_tool_errors_that_name_the_limit(server, sql, limit):
    async def check():
        async with Client(server) as client:
            bad = await client.call_tool("run_query", {"sql": sql})
            good = await client.call_tool("run_query", {"sql": "SELECT count(*) AS n FROM regions"})
            return bad, good

    bad, good = run(check)
    assert bad.is_error
    text = bad.content[0].text
    assert limit in text and "select less data" in text.lower() and "Traceback" not in text
    assert good.structured_content["rows"] == [[6]]


def test_unknown_table_error_says_what_to_do(server):
    async def check():
        async with Client(server) as client:
            return await client.call_tool("describe_table", {"table": "clients"})

    result = run(check)
    assert result.is_error and "call list_tables" in result.content[0].text


def test_find_values_names_the_stored_values_in_the_question(server):
    async def check():
        async with Client(server) as client:
            return await client.call_tool("find_values", {"text": "How many orders did Harbor Pharma Inc cancel?"})

    result = run(check)
    assert not result.is_error
    data = result.structured_content
    assert data["database"] == "sales"
    assert data["matches"][:2] == [
        {"table": "customers", "column": "name", "value": "Harbor Pharma Inc"},
        {"table": "orders", "column": "status", "value": "cancelled"},
    ]
    text = result.content[0].text
    assert text.startswith('<untrusted-data source="sales" kind="values">')
    assert "customers.name = 'Harbor Pharma Inc'" in text


def test_find_values_with_nothing_named_says_so_and_too_long_text_is_a_tool_error(server):
    async def check():
        async with Client(server) as client:
            return (
                await client.call_tool("find_values", {"text": "How many rows are there?"}),
                await client.call_tool("find_values", {"text": "x" * 501}),
                await client.call_tool("find_values", {}),
            )

    nothing, long, missing = run(check)
    assert not nothing.is_error and nothing.structured_content["matches"] == []
    assert "no stored value" in nothing.content[0].text
    assert long.is_error and "500" in long.content[0].text
    assert missing.is_error and "text" in missing.content[0].text


def test_find_values_quotes_values_that_hold_quotes_as_sql_literals(tmp_path):
    path = tmp_path / "pubs.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE "pub list" ("pub name" TEXT)')
        conn.exec_driver_sql("INSERT INTO \"pub list\" VALUES ('O''Malley''s Bar'), ('The Anchor')")
    engine.dispose()

    async def check():
        async with Client(build_sql_server([SqlDatabase(f"sqlite:///{path}", name="pubs")])) as client:
            return await client.call_tool("find_values", {"text": "When does O'Malley's Bar open?"})

    result = run(check)
    assert result.structured_content["matches"] == [{"table": "pub list", "column": "pub name", "value": "O'Malley's Bar"}]
    assert "pub list.pub name = 'O''Malley''s Bar'" in result.content[0].text


# -- as a subprocess ----------------------------------------------------------


@pytest.mark.slow
def test_stdio_subprocess_from_the_example_config():
    async def check():
        async with Client(stdio("--config", str(EXAMPLES / "ragbox.toml"))) as client:
            tools = [t.name for t in (await client.list_tools()).tools]
            result = await client.call_tool("run_query", {"sql": "SELECT count(*) AS n FROM orders"})
            return tools, result

    tools, result = run(check)
    assert tools == ["list_tables", "describe_table", "find_values", "run_query"]
    assert result.structured_content["rows"] == [[12000]]


@pytest.mark.slow
def test_stdio_answers_the_handshake_claude_desktop_sends(acme_sqlite):
    async def check():
        async with Client(stdio("--db", f"sqlite:///{acme_sqlite}"), mode="legacy") as client:
            return client.protocol_version, await client.call_tool("list_tables", {})

    version, result = run(check)
    assert version in {"2025-06-18", "2025-11-25", "2024-11-05"}
    assert len(result.structured_content["tables"]) == 7


def hostile_through_stdio(url: str, dialect: str) -> list[tuple[str, object]]:
    statements = [sql for d, sql, _ in HOSTILE if d == dialect]
    assert len(statements) >= 50

    async def check():
        async with Client(stdio("--db", url, "--name", "sales")) as client:
            results = [(sql, await client.call_tool("run_query", {"sql": sql})) for sql in statements]
            alive = await client.call_tool("run_query", {"sql": "SELECT count(*) FROM orders"})
            return results, alive

    results, alive = run(check)
    assert alive.structured_content["rows"] == [[12000]]
    return [(sql, r) for sql, r in results if not r.is_error]


@pytest.mark.slow
def test_hostile_corpus_changes_nothing_in_sqlite(acme_sqlite, tmp_path):
    url = f"sqlite:///{acme_sqlite}"
    before = data_digest(url)
    passed = hostile_through_stdio(url, "sqlite")
    assert passed == []
    assert data_digest(url) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.db"]


@pytest.mark.postgres
@pytest.mark.slow
def test_hostile_corpus_changes_nothing_in_postgres(acme_pg):
    before = data_digest(acme_pg)
    passed = hostile_through_stdio(acme_pg, "postgres")
    assert passed == []
    assert data_digest(acme_pg) == before


# -- over HTTP ----------------------------------------------------------------


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc: this test needs Linux")


@pytest.mark.slow
def test_memory_hogs_in_parallel_over_http_leave_the_server_up_and_small(acme_sqlite, record_property):
    hogs = [sql for dialect, _, sql in MEMORY_HOGS if dialect == "sqlite"]
    assert len(hogs) >= 16
    port = free_port()
    args = [sys.executable, "-m", "servers", "sql", "--db", f"sqlite:///{acme_sqlite}",
            "--transport", "http", "--port", str(port)]  # fmt: skip

    async def fire(base: str, pid: int):
        async with httpx2.AsyncClient(timeout=120) as http:
            async with Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
                warm = await client.call_tool("run_query", {"sql": "SELECT count(*) FROM orders"})
                assert warm.structured_content["rows"] == [[12000]]
                before = peak_rss_mib(pid)
                results = {}

                async def one(i: int, sql: str) -> None:
                    results[i] = await client.call_tool("run_query", {"sql": sql})

                async with anyio.create_task_group() as group:  # all at once
                    for i, sql in enumerate(hogs):
                        group.start_soon(one, i, sql)
                after = await client.call_tool("run_query", {"sql": "SELECT count(*) FROM orders"})
                return before, [results[i] for i in range(len(hogs))], after

    with running(args, ready_url=f"http://127.0.0.1:{port}/healthz") as proc:
        before, results, after = run(fire, f"http://127.0.0.1:{port}", proc.pid)
        peak = peak_rss_mib(proc.pid)
        assert proc.poll() is None  # still up

    failed = [(sql, r.content[0].text[:120]) for sql, r in zip(hogs, results) if not r.is_error]
    assert failed == []
    assert all("Traceback" not in r.content[0].text for r in results)
    assert after.structured_content["rows"] == [[12000]]
    # SQLite's heap is capped for the whole process, and the driver copies at most as much
    # again, plus slack for the allocator (366-419 MiB measured); unlimited, these queries
    # ask for several GB (benchmarks/sql_memory.py).
    bound = before + 2 * SQLiteBackend.HEAP_LIMIT / MiB + 128
    print(f"server peak RSS: {before:.0f} MiB warm, {peak:.0f} MiB after {len(hogs)} hogs at once "
          f"(bound {bound:.0f} MiB)")  # fmt: skip
    record_property("peak_rss_mib", round(peak))
    assert peak < bound


async def http_tables(base: str, token: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
            result = await client.call_tool("list_tables", {})
            return len(result.structured_content["tables"])


@pytest.mark.slow
def test_http_serves_mcp_and_healthz(acme_sqlite):
    with mcp_http_server("sql", "--db", f"sqlite:///{acme_sqlite}") as base:
        assert httpx.get(f"{base}/healthz").text == "ok"
        assert run(http_tables, base) == 7


@pytest.mark.slow
def test_http_token_is_required_when_set(acme_sqlite):
    env = {"RAGBOX_AUTH_TOKEN": "s3cret-token-for-tests"}
    with mcp_http_server("sql", "--db", f"sqlite:///{acme_sqlite}", env=env) as base:
        assert httpx.get(f"{base}/healthz").status_code == 200  # probes need no token
        no_token = httpx.post(f"{base}/mcp", json={})
        assert no_token.status_code == 401
        wrong = httpx.post(f"{base}/mcp", json={}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert "s3cret" not in no_token.text
        assert run(http_tables, base, "s3cret-token-for-tests") == 7


@pytest.mark.slow
def test_http_refuses_foreign_host_and_origin_headers(acme_sqlite):
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    with mcp_http_server("sql", "--db", f"sqlite:///{acme_sqlite}") as base:
        rebound = httpx.post(f"{base}/mcp", json=body, headers={**accept, "Host": "evil.example:80"})
        assert rebound.status_code == 421
        cross = httpx.post(f"{base}/mcp", json=body, headers={**accept, "Origin": "http://evil.example"})
        assert cross.status_code == 403


@pytest.mark.slow
def test_binding_beyond_loopback_needs_a_token(acme_sqlite):
    env = {k: v for k, v in os.environ.items() if k != "RAGBOX_AUTH_TOKEN"}
    proc = subprocess.run(
        [sys.executable, "-m", "servers", "sql", "--db", f"sqlite:///{acme_sqlite}",
         "--transport", "http", "--host", "0.0.0.0", "--port", "1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode != 0
    assert "RAGBOX_AUTH_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_cli_reports_config_errors_without_a_traceback(tmp_path):
    bad = tmp_path / "ragbox.toml"
    bad.write_text('[[databases]]\nname = "s"\nurl = "sqlite:///x.db"\ncolour = "blue"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "servers", "sql", "--config", str(bad)],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1
    assert "unknown key 'databases[0].colour'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_list_tables_reports_the_dialect_to_write(server):
    async def check():
        async with Client(server) as client:
            return await client.call_tool("list_tables", {})

    result = run(check)
    assert result.structured_content["dialect"] == "SQLite"
    assert "dialect: SQLite" in result.content[0].text
