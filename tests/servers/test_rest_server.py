"""The REST MCP server: in memory, over stdio against the example API, and over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from connectors.config import ApiSource
from servers.rest import build_rest_server
from tests.connectors.rest.helpers import DATA
from tests.connectors.rest.recorder import recording_server
from tests.support import run_async as run, EXAMPLES, REPO, TICKETS_TOKEN as TOKEN, mcp_http_server

SPEC = EXAMPLES / "tickets" / "openapi.yaml"




@pytest.fixture(scope="module")
def tickets_url(tickets_api: str) -> str:
    return tickets_api


def source(base_url: str, **fields) -> ApiSource:
    data = {"name": "tickets", "openapi": str(SPEC), "base_url": base_url, "description": "Acme support desk",
            "auth": {"type": "bearer", "token_env": "TICKETS_TOKEN"}, **fields}
    return ApiSource.model_validate(data, context={"base_dir": REPO})


def test_tools_carry_the_spec_schema_and_method_annotations(tickets_url):
    async def check(server):
        async with Client(server) as client:
            return {t.name: t for t in (await client.list_tools()).tools}

    reads = run(check, build_rest_server([source(tickets_url)], {"TICKETS_TOKEN": TOKEN}))
    assert "tickets_addTicketComment" not in reads  # writes hidden unless allowed
    get = reads["tickets_getTicket"]
    assert get.input_schema == {"type": "object", "properties": {"ticket_id": {"type": "integer"}},
                                "additionalProperties": False, "required": ["ticket_id"]}
    assert get.annotations.read_only_hint and get.annotations.idempotent_hint and not get.annotations.destructive_hint
    assert "GET /tickets/{ticket_id}" in get.description
    both = run(check, build_rest_server([source(tickets_url, methods=["GET", "POST"])], {"TICKETS_TOKEN": TOKEN}))
    add = both["tickets_addTicketComment"]
    assert add.annotations.read_only_hint is False and add.annotations.idempotent_hint is False
    assert add.input_schema["properties"]["body"]["required"] == ["author", "body"]


def test_calls_return_structured_json_and_fenced_text_and_errors_name_the_problem(tickets_url):
    server = build_rest_server([source(tickets_url)], {"TICKETS_TOKEN": TOKEN})

    async def check():
        async with Client(server) as client:
            one = await client.call_tool("tickets_getTicket", {"ticket_id": 3})
            wrong = await client.call_tool("tickets_getTicket", {"ticket_id": "three"})
            missing = await client.call_tool("tickets_getTicket", {})
            absent = await client.call_tool("tickets_getTicket", {"ticket_id": 99999})
            hidden = await client.call_tool("tickets_addTicketComment", {"ticket_id": 3, "body": {"author": "a", "body": "b"}})
            return one, wrong, missing, absent, hidden

    one, wrong, missing, absent, hidden = run(check)
    assert not one.is_error
    assert one.structured_content["status"] == 200 and one.structured_content["data"]["id"] == 3
    text = one.content[0].text
    assert text.startswith('<untrusted-data source="tickets.getTicket"') and text.rstrip().endswith("</untrusted-data>")
    assert json.loads(text.splitlines()[2]) == one.structured_content["data"]  # compact JSON inside the fence
    assert wrong.is_error and "'ticket_id'" in wrong.content[0].text and "integer" in wrong.content[0].text
    assert missing.is_error and "Missing required argument 'ticket_id'" in missing.content[0].text
    assert absent.is_error and "404" in absent.content[0].text and "No ticket with id 99999" in absent.content[0].text
    assert "<untrusted-data" in absent.content[0].text
    assert hidden.is_error and "Unknown tool" in hidden.content[0].text


@pytest.mark.slow
def test_stdio_subprocess_against_the_example_api_with_a_config(tickets_url, tmp_path):
    config = tmp_path / "ragbox.toml"
    config.write_text(
        "[[apis]]\nname = \"tickets\"\n"
        f"openapi = \"{SPEC}\"\nbase_url = \"{tickets_url}\"\n"
        "methods = [\"GET\", \"POST\"]\nexclude = [\"customers\"]\nmax_response_bytes = 5000\n"
        "auth = { type = \"bearer\", token_env = \"TICKETS_TOKEN\" }\n"
    )
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "servers", "rest", "--config", str(config)],
        env={**os.environ, "TICKETS_TOKEN": TOKEN}, cwd=str(REPO),
    )
    errlog = tempfile.TemporaryFile("w+")

    async def check():
        async with Client(stdio_client(params, errlog=errlog)) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            page = await client.call_tool("tickets_listTickets", {"status": "open", "priority": "urgent", "limit": 3})
            big = await client.call_tool("tickets_listTickets", {"limit": 100})
            added = await client.call_tool(
                "tickets_addTicketComment", {"ticket_id": 5, "body": {"author": "Support bot", "body": "On it."}}
            )
            thread = await client.call_tool("tickets_listTicketComments", {"ticket_id": 5})
            return names, page, big, added, thread

    names, page, big, added, thread = run(check)
    assert names == {"tickets_listTickets", "tickets_getTicket", "tickets_listTicketComments", "tickets_addTicketComment"}
    items = page.structured_content["data"]["items"]
    assert 0 < len(items) <= 3 and all(t["status"] == "open" and t["priority"] == "urgent" for t in items)
    assert big.structured_content is None and "cut at 5,000 bytes" in big.content[0].text
    assert added.structured_content["data"]["author"] == "Support bot"
    assert thread.structured_content["data"]["items"][-1]["body"] == "On it."
    errlog.seek(0)
    everything = errlog.read() + json.dumps([c.model_dump() for r in (page, big, added, thread) for c in r.content])
    assert TOKEN not in everything


@pytest.mark.slow
def test_the_openapi_shortcut_serves_one_spec_and_inbound_auth_is_never_forwarded():
    mcp_token = "mcp-inbound-token-7d1e"
    with recording_server() as recorder:
        env = {"RAGBOX_AUTH_TOKEN": mcp_token}
        args = ("rest", "--openapi", str(DATA / "probe.yaml"), "--base-url", recorder.url + "/api", "--name", "probe")
        with mcp_http_server(*args, env=env) as base:

            async def check():
                headers = {"Authorization": f"Bearer {mcp_token}"}
                async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
                    async with Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
                        names = {t.name for t in (await client.list_tools()).tools}
                        sent = await client.call_tool("probe_getItem", {"item_id": "a b?"})
                        refused = await client.call_tool("probe_getItem", {"item_id": "..%2F..%2Fadmin"})
                        return names, sent, refused

            names, sent, refused = run(check)
    assert names == {"probe_getItem", "probe_getFile", "probe_search", "probe_getStatus"}  # GET only by default
    assert sent.structured_content["data"]["target"] == "/api/items/a%20b%3F"
    assert refused.is_error and "Argument 'item_id' holds an escaped" in refused.content[0].text
    assert [s.target for s in recorder.seen] == ["/api/items/a%20b%3F"]  # the refused call sent nothing
    assert recorder.seen and all(mcp_token not in json.dumps(s.headers) + s.target for s in recorder.seen)
    assert all(s.header("Authorization") is None for s in recorder.seen)


@pytest.mark.slow
def test_a_broken_spec_stops_start_up_with_a_message_naming_the_problem(tmp_path):
    spec = tmp_path / "broken.yaml"
    spec.write_text("openapi: 3.1.0\npaths:\n  /x: {get: {operationId: x}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "servers", "rest", "--openapi", str(spec), "--base-url", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )
    assert proc.returncode == 1
    assert "broken.yaml is not valid YAML (line" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_the_shortcut_needs_a_base_url():
    proc = subprocess.run(
        [sys.executable, "-m", "servers", "rest", "--openapi", str(SPEC)],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )
    assert proc.returncode == 2 and "--base-url" in proc.stderr


def test_rest_tools_join_an_existing_server_or_a_fresh_one(tickets_url):
    from mcp.server.mcpserver import MCPServer

    from connectors.errors import ConfigError
    from servers.base import new_server
    from servers.rest import load_api_toolsets, register_rest_tools, rest_tools

    apis = load_api_toolsets([source(tickets_url)], {"TICKETS_TOKEN": TOKEN})
    combined = new_server("combined", "test")
    combined.add_tool(lambda: "pong", name="ping")
    register_rest_tools(combined, apis)
    with pytest.raises(ConfigError, match="already exists"):
        register_rest_tools(combined, apis)
    fresh = MCPServer("fresh", tools=rest_tools(apis))

    async def check(server):
        async with Client(server) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            result = await client.call_tool("tickets_getCustomer", {"customer_id": 1})
            return tools, result

    for server in (combined, fresh):
        tools, result = run(check, server)
        assert tools["tickets_getCustomer"].input_schema["required"] == ["customer_id"]
        assert result.structured_content["data"]["name"] == "Cedar Farms Ltd"
    assert "ping" in run(check, combined)[0]
    for api in apis:
        api.close()
