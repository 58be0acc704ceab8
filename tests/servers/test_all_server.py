"""``servers all`` (every source in one server) and ``servers check``."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from connectors.config import load_config
from connectors.docs import DocumentIndex
from servers.all import build_all_server
from tests.support import run_async as run, EXAMPLES, REPO, TICKETS_TOKEN, write_demo_config

ENV = {**os.environ, "TICKETS_TOKEN": TICKETS_TOKEN}




@pytest.fixture(scope="module")
def config_path(demo_config: Path) -> Path:
    return demo_config


def test_one_server_namespaces_every_source(config_path):
    server = build_all_server(load_config(config_path), ENV)

    async def check():
        async with Client(server) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            return client.instructions, tools, (
                await client.call_tool("handbook_search_documents", {"query": "parental leave", "top_k": 2}),
                await client.call_tool("sales_run_query", {"sql": "SELECT count(*) FROM customers"}),
                await client.call_tool("tickets_getTicket", {"ticket_id": 1}),
            )

    instructions, tools, (docs, sql, api) = run(check)
    assert {"handbook_search_documents", "handbook_list_sources", "handbook_get_document",
            "sales_list_tables", "sales_describe_table", "sales_run_query"} <= set(tools)
    assert any(name.startswith("tickets_") for name in tools)
    assert all(name.split("_", 1)[0] in {"handbook", "sales", "tickets"} for name in tools)
    for source in ("handbook (documents", "sales (SQL database", "tickets (HTTP API"):
        assert source in instructions
    assert not docs.is_error and docs.structured_content["hits"]
    assert sql.structured_content["rows"] == [[240]]
    assert not api.is_error and api.structured_content["data"]["id"] == 1
    # Writes stay hidden unless the config opts in.
    assert all(t.annotations.read_only_hint for n, t in tools.items() if n.startswith("tickets_"))


def test_documents_tools_are_pinned_to_their_source(tmp_path, tickets_api):
    manuals = tmp_path / "manuals"
    manuals.mkdir()
    (manuals / "pump.md").write_text("# Pump P9\n\nThe P9 pump needs a new seal every 400 hours.\n")
    path = write_demo_config(tmp_path, EXAMPLES / "acme" / "acme.db", tickets_api)
    text = path.read_text() + f"""
[[documents]]
name = "manuals"
paths = ["{manuals}"]
description = "Field manuals"
"""
    path.write_text(text)
    config = load_config(path)
    with DocumentIndex.open(config) as index:
        index.ingest()

    async def check():
        async with Client(build_all_server(config, ENV)) as client:
            return (
                await client.call_tool("manuals_search_documents", {"query": "seal hours", "mode": "keyword"}),
                await client.call_tool("handbook_search_documents", {"query": "seal every 400 hours", "mode": "keyword"}),
            )

    manuals_hits, handbook_hits = run(check)
    assert {h["source"] for h in manuals_hits.structured_content["hits"]} == {"manuals"}
    assert "manuals" not in {h["source"] for h in handbook_hits.structured_content["hits"]}


@pytest.mark.slow
def test_stdio_subprocess_speaks_every_protocol_version_clients_send(config_path):
    """Claude Desktop and other clients still send the 2024/2025 versions; each must get an answer."""
    answers = {}
    for version in ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"):
        request = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {},
            "clientInfo": {"name": "handshake-test", "version": "0"}}}
        proc = subprocess.run(
            [sys.executable, "-m", "servers", "all", "--config", str(config_path)],
            input=json.dumps(request) + "\n", capture_output=True, text=True, timeout=90, env=ENV, cwd=REPO,
        )
        reply = json.loads(proc.stdout.splitlines()[0])
        answers[version] = reply["result"]["protocolVersion"]
        assert reply["result"]["serverInfo"]["name"] == "ragbox"
    assert answers == {v: v for v in answers}


@pytest.mark.slow
def test_stdio_subprocess_lists_and_calls_tools(config_path):
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "servers", "all", "--config", str(config_path)], env=ENV, cwd=str(REPO)
    )

    async def check():
        async with Client(params) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            return names, await client.call_tool("sales_list_tables", {})

    names, tables = run(check)
    assert len(names) == len(set(names))
    assert len(tables.structured_content["tables"]) == 7


def check_cli(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "servers", "check", "--config", str(config)],
        capture_output=True, text=True, timeout=120, env=env, cwd=REPO,
    )


@pytest.mark.slow
def test_check_reports_every_source_ok(config_path):
    proc = check_cli(config_path, ENV)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for row in ("handbook", "sales", "tickets"):
        assert row in proc.stdout
    assert "7 tables" in proc.stdout and "broken" not in proc.stdout
    assert "operations" in proc.stdout and "documents," in proc.stdout


@pytest.mark.slow
def test_check_names_what_to_fix_and_exits_non_zero(tmp_path):
    dead_api = "http://127.0.0.1:9"  # discard port: nothing listens
    path = write_demo_config(tmp_path, tmp_path / "missing.db", dead_api)
    proc = check_cli(path, {k: v for k, v in ENV.items() if k != "TICKETS_TOKEN"})
    assert proc.returncode == 1
    out = " ".join(proc.stdout.split())
    assert "No SQLite database file" in out
    assert "docs ingest" in out  # nothing indexed yet
    assert "TICKETS_TOKEN" in out
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_allowed_hosts_and_origins_from_the_config_let_a_load_balancers_name_in(tmp_path, tickets_api):
    import httpx

    from tests.support import mcp_http_server

    config = write_demo_config(tmp_path, EXAMPLES / "acme" / "acme.db", tickets_api)
    config.write_text(config.read_text() + '\n[server]\naudit = false\nallowed_hosts = ["rag.example.com"]\n'
                      'allowed_origins = ["https://rag.example.com"]\n')
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
              "MCP-Protocol-Version": "2025-11-25"}
    with mcp_http_server("all", "--config", str(config), env={"TICKETS_TOKEN": TICKETS_TOKEN}) as base:
        named = httpx.post(f"{base}/mcp", json=body, headers={**accept, "Host": "rag.example.com",
                                                               "Origin": "https://rag.example.com"})
        assert named.status_code == 200, named.text
        assert httpx.post(f"{base}/mcp", json=body, headers={**accept, "Host": "evil.example"}).status_code == 421
        assert httpx.post(f"{base}/mcp", json=body, headers={**accept, "Origin": "https://evil.example"}).status_code == 403
