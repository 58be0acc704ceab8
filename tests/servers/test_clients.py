"""Named client tokens: each client lists and calls only its sources; tokens rotate without a restart."""

import json
import os
import stat
import sys
from pathlib import Path

import httpx
import httpx2
import pytest
from click.testing import CliRunner
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from servers.audit import read_entries
from servers.cli import main
from servers.clients import ClientRegistry, add_client, hash_token, read_clients
from servers.transport import HttpSettings
from testkit.servers import free_port, running
from tests.support import TICKETS_TOKEN, run_async as run

SHARED = "shared-token-for-client-tests-9f2e"


def scoped_config(tmp_path: Path, demo_config: Path) -> Path:
    """The demo config (documents, sales DB, tickets API) with a clients file and an audit log beside it."""
    path = tmp_path / "ragbox.toml"
    path.write_text(demo_config.read_text() + '\n[server]\nclients = "clients.toml"\naudit = "audit.db"\n')
    return path


def cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env={"RAGBOX_CLIENTS_FILE": None, **(env or {})})


async def session(base: str, token: str | None, work, mode: str = "auto"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with Client(streamable_http_client(f"{base}/mcp", http_client=http), mode=mode) as client:
            return await work(client)


async def tool_names(client) -> set[str]:
    return {t.name for t in (await client.list_tools()).tools}


async def _names_and_instructions(client) -> tuple[set[str], str]:
    return await tool_names(client), client.instructions


def serve(config: Path, env: dict[str, str]):
    port = free_port()
    args = [sys.executable, "-m", "servers", "all", "--config", str(config), "--transport", "http",
            "--port", str(port)]
    return running(args, ready_url=f"http://127.0.0.1:{port}/healthz",
                   env={"TICKETS_TOKEN": TICKETS_TOKEN, "RAGBOX_CLIENTS_FILE": "", **env}), f"http://127.0.0.1:{port}"


@pytest.mark.slow
def test_each_client_lists_and_calls_only_its_sources(tmp_path, demo_config):
    config = scoped_config(tmp_path, demo_config)
    clients = tmp_path / "clients.toml"
    sales = add_client(clients, "sales-bot", ["sales"])
    helpdesk = add_client(clients, "helpdesk", ["handbook", "tickets"])
    ops = add_client(clients, "ops", ["*"])
    server, base = serve(config, {"RAGBOX_AUTH_TOKEN": SHARED})

    async def as_sales(client):
        assert "- sales (" in client.instructions
        assert "handbook" not in client.instructions and "tickets" not in client.instructions
        names = await tool_names(client)
        resources = (await client.list_resources()).resources
        outside = await client.call_tool("handbook_search_documents", {"query": "parental leave"})
        unknown = await client.call_tool("hr_list_salaries", {})
        mine = await client.call_tool("sales_run_query", {
            "sql": f"SELECT '{TICKETS_TOKEN}' AS leaked", "password": "hunter2"})
        guarded = await client.call_tool("sales_run_query", {"sql": "DELETE FROM customers"})
        with pytest.raises(MCPError, match="not available to client 'sales-bot'"):
            await client.read_resource("docs://handbook/leave-policy.md")
        return names, resources, outside, unknown, mine, guarded

    async def as_helpdesk(client):
        assert "- handbook (" in client.instructions and "- sales" not in client.instructions
        names = await tool_names(client)
        resources = (await client.list_resources()).resources
        ticket = await client.call_tool("tickets_getTicket", {"ticket_id": 1})
        sql = await client.call_tool("sales_run_query", {"sql": "SELECT count(*) FROM customers"})
        page = await client.read_resource(resources[0].uri)
        return names, resources, ticket, sql, page

    with server:
        sales_view = run(session, base, sales, as_sales)
        helpdesk_view = run(session, base, helpdesk, as_helpdesk)
        legacy_names, legacy_instructions = run(  # the 2025 handshake, as Claude Desktop sends it
            session, base, sales, _names_and_instructions, "legacy")
        everything = run(session, base, SHARED, tool_names)
        ops_names = run(session, base, ops, tool_names)
        assert httpx.post(f"{base}/mcp", json={}).status_code == 401
        assert httpx.post(f"{base}/mcp", json={}, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
        assert httpx.get(f"{base}/healthz").status_code == 200

    names, resources, outside, unknown, mine, guarded = sales_view
    assert names == {"sales_list_tables", "sales_describe_table", "sales_find_values", "sales_run_query"}
    assert legacy_names == names and "handbook" not in legacy_instructions
    assert resources == []
    assert outside.is_error and "not available to client 'sales-bot'" in outside.content[0].text
    assert unknown.is_error and unknown.content[0].text.replace("hr_list_salaries", "X") == \
        outside.content[0].text.replace("handbook_search_documents", "X")  # no probing for other tools
    assert not mine.is_error and guarded.is_error

    names, resources, ticket, sql, page = helpdesk_view
    assert names and all(n.split("_", 1)[0] in {"handbook", "tickets"} for n in names)
    assert {"handbook_search_documents", "tickets_getTicket"} <= names
    assert resources and all(str(r.uri).startswith("docs://handbook/") for r in resources)
    assert not ticket.is_error and sql.is_error and page.contents
    assert everything == ops_names and names | sales_view[0] <= everything

    log = read_entries(tmp_path / "audit.db")
    by_sales = [(e.tool, e.outcome, e.rule) for e in log if e.client == "sales-bot"]
    assert ("handbook_search_documents", "refused", "scope") in by_sales
    assert ("hr_list_salaries", "refused", "scope") in by_sales
    assert ("resources/read", "refused", "scope") in by_sales
    assert ("sales_run_query", "refused", "read_only") in by_sales
    assert ("sales_run_query", "ok", None) in by_sales
    assert {(e.client, e.tool, e.outcome, e.rule) for e in log if e.client == "helpdesk"} >= {
        ("helpdesk", "tickets_getTicket", "ok", None), ("helpdesk", "sales_run_query", "refused", "scope")}
    assert all(e.transport == "http" for e in log)
    (leaky,) = [json.loads(e.arguments) for e in log if "leaked" in e.arguments]
    assert leaky == {"sql": "SELECT '[redacted]' AS leaked", "password": "[redacted]"}
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("audit.db*"))
    for secret in (TICKETS_TOKEN, SHARED, sales, helpdesk, ops, "hunter2"):
        assert secret.encode() not in raw


@pytest.mark.slow
def test_tokens_rotate_and_stop_working_without_a_restart(tmp_path, demo_config):
    config = scoped_config(tmp_path, demo_config)
    clients = tmp_path / "clients.toml"
    old = add_client(clients, "sales-bot", ["sales"])
    server, base = serve(config, {})

    def tables(token: str) -> int:
        async def work(client):
            return len((await client.call_tool("sales_list_tables", {})).structured_content["tables"])
        return run(session, base, token, work)

    def status(token: str) -> int:
        return httpx.post(f"{base}/mcp", json={}, headers={"Authorization": f"Bearer {token}"}).status_code

    with server as proc:
        assert tables(old) == 7
        rotated = cli("clients", "rotate", "sales-bot", "--config", str(config))
        assert rotated.exit_code == 0, rotated.output
        new = rotated.stdout.strip()
        assert new != old and status(old) == 401 and tables(new) == 7
        good = clients.read_text()
        clients.write_text(good[: len(good) // 2] + "\n[[[ half-written")  # a broken version, not even atomic
        assert tables(new) == 7  # the last good version stays in force
        clients.write_text(good)
        removed = cli("clients", "rm", "sales-bot", "--config", str(config))
        assert removed.exit_code == 0, removed.output
        assert status(new) == 401
    output = " ".join(proc.stdout.read().decode().split())  # the log handler wraps lines
    assert "The last good version stays in force" in output
    for token in (old, new):
        assert token not in output


def test_clients_cli_adds_lists_rotates_and_removes(tmp_path, demo_config):
    config = scoped_config(tmp_path, demo_config)
    clients = tmp_path / "clients.toml"
    added = cli("clients", "add", "claude-desktop", "--sources", "sales,handbook", "--config", str(config))
    assert added.exit_code == 0, added.output
    token = added.stdout.strip()
    assert len(token) >= 43 and "shown only this once" in added.stderr
    assert stat.S_IMODE(clients.stat().st_mode) == 0o600
    text = clients.read_text()
    assert token not in text and hash_token(token) in text
    assert read_clients(clients).clients["claude-desktop"].sources == ["handbook", "sales"]

    listed = cli("clients", "list", "--config", str(config), "--json")
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()] == ["claude-desktop"]
    assert hash_token(token) not in listed.output
    assert "claude-desktop" in cli("clients", "list", "--config", str(config)).stdout

    again = cli("clients", "add", "claude-desktop", "--sources", "sales", "--config", str(config))
    assert again.exit_code == 1 and "exists" in again.output
    typo = cli("clients", "add", "bot", "--sources", "slaes", "--config", str(config))
    assert typo.exit_code == 2 and "Unknown source(s) slaes" in typo.output
    reserved = cli("clients", "add", "default", "--sources", "*", "--config", str(config))
    assert reserved.exit_code == 1 and "reserved" in reserved.output

    rotated = cli("clients", "rotate", "claude-desktop", "--config", str(config))
    assert rotated.exit_code == 0 and rotated.stdout.strip() != token
    assert read_clients(clients).clients["claude-desktop"].rotated
    assert cli("clients", "rm", "claude-desktop", "--config", str(config)).exit_code == 0
    assert read_clients(clients).clients == {}
    missing = cli("clients", "rm", "claude-desktop", "--config", str(config))
    assert missing.exit_code == 1 and "No client named 'claude-desktop'" in missing.output


def test_the_clients_file_comes_from_the_environment_or_a_config_key(tmp_path, demo_config):
    elsewhere = tmp_path / "elsewhere.toml"
    added = cli("clients", "add", "bot", "--sources", "*", "--config", str(demo_config),
                env={"RAGBOX_CLIENTS_FILE": str(elsewhere)})
    assert added.exit_code == 0, added.output
    assert list(read_clients(elsewhere).clients) == ["bot"]
    unset = cli("clients", "list", "--config", str(demo_config))
    assert unset.exit_code == 2 and "RAGBOX_CLIENTS_FILE" in unset.output and "[server]" in unset.output


def test_the_registry_reloads_on_change_and_keeps_the_last_good_version(tmp_path):
    path = tmp_path / "clients.toml"
    registry = ClientRegistry(path)
    assert len(registry) == 0
    first = add_client(path, "first", ["sales"])
    assert registry.authenticate(first).name == "first"
    assert registry.authenticate(first).allows("sales") and not registry.authenticate(first).allows("handbook")
    good = path.read_text()
    path.write_text("[clients.first]\nsources = 42\n")
    assert registry.authenticate(first).name == "first"
    path.write_text(good)
    second = add_client(path, "second", ["*"])
    assert registry.authenticate(second).sources is None
    assert registry.authenticate("nope") is None
    os.unlink(path)
    assert registry.authenticate(first) is None  # a deleted file lets no named client in


def test_a_clients_file_is_enough_to_bind_beyond_loopback(tmp_path):
    with pytest.raises(ValueError, match="RAGBOX_AUTH_TOKEN"):
        HttpSettings(host="0.0.0.0")
    assert HttpSettings(host="0.0.0.0", clients=ClientRegistry(tmp_path / "clients.toml")).host == "0.0.0.0"
