"""The audit log: append-only, durable across kill -9, rotated without loss, redacted, and read back."""

import json
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from connectors.config import load_config
from servers.all import build_all_server
from servers.audit import (
    AuditEntry, AuditLog, audit_path, known_secrets, read_entries, redact, rotated_files, utc_stamp,
)
from servers.cli import main
from servers.gate import install_gate
from testkit.servers import free_port, running
from tests.support import ACME_DB, REPO, run_async as run

SHARED = "shared-token-for-audit-tests-5b0c"


def entry(**overrides) -> AuditEntry:
    fields = {"ts": utc_stamp(), "client": "c", "transport": "http", "source": "sales", "tool": "sales_run_query",
              "arguments": "{}", "outcome": "ok", "rows": 1, "bytes": 10, "duration_ms": 1.0}
    return AuditEntry(**{**fields, **overrides})


def db_config(tmp_path: Path, server: str = "") -> Path:
    """A config with one SQLite source (fast to start) and a [server] section."""
    path = tmp_path / "ragbox.toml"
    path.write_text(f"""
data_dir = "{tmp_path / 'data'}"
[embeddings]
provider = "hashing"
[[databases]]
name = "sales"
url = "sqlite:///{ACME_DB}"
[server]
{server}
""")
    return path


def test_update_and_delete_are_refused(tmp_path):
    log = AuditLog(tmp_path / "audit.db")
    log.write(entry())
    log.close()
    conn = sqlite3.connect(tmp_path / "audit.db")
    for statement in ("UPDATE entries SET client = 'someone else'", "DELETE FROM entries"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    assert conn.execute("SELECT client FROM entries").fetchall() == [("c",)]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_rotation_by_size_keeps_every_entry_once_in_order(tmp_path):
    path = tmp_path / "audit.db"
    log = AuditLog(path, max_bytes=16_384, max_age_days=0)
    for i in range(300):
        log.write(entry(arguments=json.dumps({"i": i, "pad": "x" * 100})))
    log.close()
    assert len(rotated_files(path)) >= 2
    assert all(p.name.startswith("audit.") and p.suffix == ".db" for p in rotated_files(path))
    seen = [json.loads(e.arguments)["i"] for e in read_entries(path)]
    assert seen == list(range(300))
    live = sqlite3.connect(path).execute("SELECT count(*) FROM entries").fetchone()[0]
    assert live < 300  # the live file holds only what came after the last rotation
    with pytest.raises(sqlite3.IntegrityError):  # rotated files are append-only too
        sqlite3.connect(rotated_files(path)[0]).execute("DELETE FROM entries")


def test_rotation_by_age_starts_a_new_file_once_the_oldest_entry_is_too_old(tmp_path):
    now = [time.time()]
    path = tmp_path / "audit.db"
    log = AuditLog(path, max_age_days=1, clock=lambda: now[0])
    log.write(entry(ts=utc_stamp(now[0])))
    assert rotated_files(path) == []
    now[0] += 2 * 86_400
    log.write(entry(ts=utc_stamp(now[0])))
    log.close()
    assert len(rotated_files(path)) == 1
    assert len(read_entries(path)) == 2


def test_two_servers_sharing_one_log_lose_nothing_across_rotations(tmp_path):
    """Two connections to one file stand for two server processes; either may rotate."""
    path = tmp_path / "audit.db"
    first, second = (AuditLog(path, max_bytes=16_384, max_age_days=0) for _ in range(2))
    for i in range(200):
        (first if i % 2 else second).write(entry(arguments=json.dumps({"i": i, "pad": "y" * 120})))
    first.close()
    second.close()
    assert len(rotated_files(path)) >= 2
    assert sorted(json.loads(e.arguments)["i"] for e in read_entries(path)) == list(range(200))


def test_redaction_hides_secret_names_and_known_secret_values():
    secrets = ["tok-0123456789abcdef", "short"]
    arguments = {
        "sql": "SELECT * FROM t WHERE key = 'tok-0123456789abcdef'",
        "password": "anything", "api_key": "x", "Authorization": "Bearer y",
        "nested": [{"client_secret": "z"}, "short", "not short at all"],
    }
    assert redact(arguments, secrets) == {
        "sql": "SELECT * FROM t WHERE key = '[redacted]'",
        "password": "[redacted]", "api_key": "[redacted]", "Authorization": "[redacted]",
        "nested": [{"client_secret": "[redacted]"}, "[redacted]", "not short at all"],
    }


def test_known_secrets_are_the_values_of_the_env_names_the_config_gives(demo_config):
    env = {"TICKETS_TOKEN": "tickets-secret", "RAGBOX_AUTH_TOKEN": "shared-secret", "UNRELATED": "hello"}
    assert set(known_secrets(load_config(demo_config), env)) == {"tickets-secret", "shared-secret"}


def test_a_log_that_cannot_be_written_withholds_the_result(tmp_path):
    config = load_config(db_config(tmp_path))
    server = build_all_server(config, os.environ)
    log = AuditLog(audit_path(config))
    install_gate(server, audit=log)

    async def calls():
        async with Client(server) as client:
            ok = await client.call_tool("sales_run_query", {"sql": "SELECT 1"})
            # Fill the disk, as SQLite sees it: no page may be added to the file any more.
            pages = log._conn.execute("PRAGMA page_count").fetchone()[0]
            log._conn.execute(f"PRAGMA max_page_count = {pages}")
            big = "SELECT 2 -- " + "x" * 3_900
            return ok, [await client.call_tool("sales_run_query", {"sql": big}) for _ in range(3)]

    ok, failed = run(calls)
    assert not ok.is_error
    assert all(r.is_error and "withheld" in r.content[0].text for r in failed)
    assert all("2" not in json.dumps(r.structured_content or {}) for r in failed)


def test_the_server_will_not_start_when_its_log_cannot_be_opened(tmp_path):
    (tmp_path / "in-the-way").mkdir()
    config = db_config(tmp_path, 'audit = "in-the-way"')
    result = CliRunner().invoke(main, ["sql", "--config", str(config)])
    assert result.exit_code == 1
    assert "Cannot open the audit log" in result.output and "audit = false" in result.output


def test_audit_false_turns_the_log_off(tmp_path):
    assert audit_path(load_config(db_config(tmp_path, "audit = false"))) is None
    assert audit_path(load_config(db_config(tmp_path))) == tmp_path / "data" / "audit.db"


@pytest.mark.slow
def test_an_entry_whose_result_came_back_survives_kill_9(tmp_path):
    config = db_config(tmp_path)
    marker = "SELECT 'written before the crash' AS survivor"
    port = free_port()
    args = [sys.executable, "-m", "servers", "all", "--config", str(config), "--transport", "http",
            "--port", str(port)]
    with running(args, ready_url=f"http://127.0.0.1:{port}/healthz", env={"RAGBOX_AUTH_TOKEN": SHARED}) as proc:

        async def call():
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {SHARED}"}, timeout=30) as http:
                async with Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)) as client:
                    return await client.call_tool("sales_run_query", {"sql": marker})

        result = run(call)
        proc.send_signal(signal.SIGKILL)  # the moment the result is in: no shutdown, no checkpoint
        proc.wait(timeout=10)
    assert not result.is_error
    entries = [e for e in read_entries(tmp_path / "data" / "audit.db") if "survivor" in e.arguments]
    assert len(entries) == 1
    assert (entries[0].outcome, entries[0].client, entries[0].transport, entries[0].rows) == (
        "ok", "default", "http", 1)


@pytest.mark.slow
def test_stdio_calls_are_audited_as_the_local_client(tmp_path):
    config = db_config(tmp_path)
    params = StdioServerParameters(command=sys.executable, args=["-m", "servers", "all", "--config", str(config)],
                                   env=dict(os.environ), cwd=str(REPO))

    async def call():
        async with Client(params) as client:
            return await client.call_tool("sales_list_tables", {})

    assert not run(call).is_error
    (e,) = read_entries(tmp_path / "data" / "audit.db")
    assert (e.client, e.transport, e.source, e.tool, e.outcome, e.rows) == (
        "local", "stdio", "sales", "sales_list_tables", "ok", 7)


def test_audit_cli_filters_by_client_refused_and_since(tmp_path):
    config = db_config(tmp_path, "audit_max_bytes = 16384")
    path = tmp_path / "data" / "audit.db"
    log = AuditLog(path, max_bytes=16_384, max_age_days=0)
    old = time.time() - 3 * 3_600
    log.write(entry(ts=utc_stamp(old), client="helpdesk", arguments='{"when":"old"}'))
    for i in range(60):
        log.write(entry(client="sales-bot", arguments=json.dumps({"i": i, "pad": "z" * 200})))
    log.write(entry(client="sales-bot", tool="handbook_search_documents", source="handbook",
                    outcome="refused", rule="scope", arguments='{"query":"salaries"}'))
    log.write(entry(client="helpdesk", outcome="refused", rule="read_only", arguments='{"sql":"DELETE FROM t"}'))
    log.close()
    assert rotated_files(path)  # the CLI reads across the live and rotated files

    def cli(*args: str) -> list[dict]:
        result = CliRunner().invoke(main, ["audit", "--config", str(config), "--json", *args])
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.output.splitlines()]

    assert len(cli()) == 63
    refused = cli("--client", "sales-bot", "--refused")
    assert [(r["tool"], r["rule"], r["arguments"]) for r in refused] == [
        ("handbook_search_documents", "scope", {"query": "salaries"})]
    assert {r["rule"] for r in cli("--refused")} == {"scope", "read_only"}
    assert len(cli("--since", "1h")) == 62
    assert [r["arguments"] for r in cli("--client", "helpdesk", "--since", utc_stamp(old - 60)[:16])] == [
        {"when": "old"}, {"sql": "DELETE FROM t"}]
    assert cli("--since", "2099-01-01T00:00") == []
    assert len(cli("--limit", "5")) == 5
    table = CliRunner().invoke(main, ["audit", "--config", str(config), "--refused"])
    assert table.exit_code == 0 and "refused (scope)" in table.output and "sales-bot" in table.output
    bad = CliRunner().invoke(main, ["audit", "--config", str(config), "--since", "yesterday"])
    assert bad.exit_code == 2 and "--since" in bad.output
