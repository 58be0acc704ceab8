"""ragbox's all-in-one server against MCP clients that others wrote (npm packages).

`make test` installs them into tests/e2e/node/ (see package.json there). Two releases of
the conformance suite run side by side: the pinned 0.1.x at the 2025-11-25 revision, and
the next (0.2.x alpha, npm alias "conformance-next") at the stateless 2026-07-28 one.
"""

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.servers import free_port, running
from tests.support import REPO, TICKETS_TOKEN, need

pytestmark = pytest.mark.slow

NODE = REPO / "tests" / "e2e" / "node"
BIN = NODE / "node_modules" / ".bin"
# Both releases declare the bin name `conformance`, so .bin/ holds only one of them:
# each is run by its own entry point.
CONFORMANCE = NODE / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
CONFORMANCE_NEXT = NODE / "node_modules" / "conformance-next" / "dist" / "index.js"
BASELINE = REPO / "tests" / "e2e" / "conformance-baseline.yml"
BASELINE_NEXT = REPO / "tests" / "e2e" / "conformance-baseline-next.yml"


@pytest.fixture(scope="module")
def node_env() -> dict[str, str]:
    if not all(p.exists() for p in (CONFORMANCE, CONFORMANCE_NEXT, BIN / "node")):
        need("the npm clients are not installed; run `npm ci --prefix tests/e2e/node`")
    # The `node` package brings Node 22, which the conformance suite needs.
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "TICKETS_TOKEN": TICKETS_TOKEN}


@contextlib.contextmanager
def all_over_http(config: Path) -> Iterator[tuple[str, bytearray]]:
    """``servers all`` over HTTP; yields its base URL and its output so far.

    The output is read as it comes: a full run logs more than a pipe holds (the SDK
    logs a traceback for each unknown prompt), and a server blocked on a full pipe
    stops answering, which the suite reports as timeouts.
    """
    port = free_port()
    args = [sys.executable, "-m", "servers", "all", "--config", str(config), "--transport", "http",
            "--host", "127.0.0.1", "--port", str(port)]
    with running(args, ready_url=f"http://127.0.0.1:{port}/healthz", env={"TICKETS_TOKEN": TICKETS_TOKEN}) as proc:
        log = bytearray()
        stdout = proc.stdout
        assert stdout is not None
        reader = threading.Thread(target=lambda: [log.extend(c) for c in iter(lambda: stdout.read1(65536), b"")],
                                  daemon=True)
        reader.start()
        yield f"http://127.0.0.1:{port}", log


def conformance(suite: Path, url: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "node"), str(suite), "server", "--url", url, *args],
        capture_output=True, text=True, timeout=300, env=env, cwd=NODE,
    )


def checks(results: Path, scenario: str) -> dict[str, str]:
    """{check id: status} of one scenario in a results folder (a repeated id keeps its worst status)."""
    order = ["SUCCESS", "INFO", "SKIPPED", "WARNING", "FAILURE"]
    found: dict[str, str] = {}
    for path in results.glob(f"server-{scenario}-*/checks.json"):
        for check in json.loads(path.read_text()):
            status = check["status"]
            old = found.get(check["id"], "SUCCESS")
            found[check["id"]] = max(old, status, key=lambda s: order.index(s) if s in order else len(order))
    return found


def test_conformance_suite_passes_every_scenario_that_applies(demo_config: Path, node_env):
    with all_over_http(demo_config) as (base, log):
        proc = conformance(CONFORMANCE, f"{base}/mcp", node_env, "--expected-failures", str(BASELINE))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:] + "\n--- server ---\n" + log[-2000:].decode(errors="replace")
    assert "Baseline check passed" in out
    for scenario in ("server-initialize", "tools-list", "tools-call-error", "dns-rebinding-protection"):
        assert f"✓ {scenario}:" in out


def test_next_conformance_suite_passes_what_the_2026_07_28_revision_requires(
    demo_config: Path, node_env, tmp_path: Path
):
    with all_over_http(demo_config) as (base, log):
        proc = conformance(CONFORMANCE_NEXT, f"{base}/mcp", node_env, "--requirements", "2026-07-28",
                           "--expected-failures", str(BASELINE_NEXT), "--output-dir", str(tmp_path))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:] + "\n--- server ---\n" + log[-2000:].decode(errors="replace")
    assert "Running requirements 2026-07-28" in out and "Baseline check passed" in out
    for scenario in ("tools-list", "tools-call-simple-text", "tools-call-error", "resources-list", "prompts-list",
                     "sep-2164-resource-not-found", "dns-rebinding-protection", "caching"):
        assert f"✓ {scenario}:" in out
    stateless = checks(tmp_path, "server-stateless")
    for check in ("sep-2575-server-implements-discover", "sep-2575-request-meta-invalid-missing-meta",
                  "sep-2575-http-server-unsupported-version-400", "sep-2575-http-server-header-mismatch-400",
                  "sep-2575-http-server-method-not-found-404-initialize", "sep-2575-server-sends-subscription-ack"):
        assert stateless.get(check) == "SUCCESS", (check, stateless.get(check))
    # Pending scenarios run without being scored, so the baseline cannot hold them: the
    # header checks that guard routing must pass all the same.
    headers = checks(tmp_path, "http-header-validation")
    assert headers.get("sep-2243-server-reject-invalid-headers") == "SUCCESS", headers
    failing = {c for c, status in headers.items() if status in ("FAILURE", "WARNING")}
    assert failing == set(), failing  # `Mcp-Name: x  ` included: servers.transport strips the whitespace


def inspector(config: Path, env: dict[str, str], *args: str) -> dict:
    """One ``mcp-inspector-cli --cli`` call against ``servers all`` over stdio."""
    # inspector-cli 1.0.3 finds its own package.json relative to the working directory
    # (it checks fs.existsSync("../package.json") but imports relative to its module),
    # so it must run from its build folder.
    cwd = NODE / "node_modules" / "@modelcontextprotocol" / "inspector-cli" / "build"
    proc = subprocess.run(
        [str(BIN / "mcp-inspector-cli"), "--cli", "-e", f"RAGBOX_CONFIG={config}",
         "-e", f"TICKETS_TOKEN={TICKETS_TOKEN}", sys.executable, "-m", "servers", "all", *args],
        capture_output=True, text=True, timeout=120, env=env, cwd=cwd,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout[proc.stdout.index("{"):])


def test_inspector_lists_tools_and_calls_one_of_each_kind(demo_config: Path, node_env):
    tools = inspector(demo_config, node_env, "--method", "tools/list")["tools"]
    names = {t["name"] for t in tools}
    assert {"handbook_search_documents", "sales_run_query", "tickets_getTicket"} <= names

    docs = inspector(demo_config, node_env, "--method", "tools/call", "--tool-name", "handbook_search_documents",
                     "--tool-arg", "query=expense report deadline", "--tool-arg", "top_k=2")
    assert not docs.get("isError") and docs["structuredContent"]["hits"]

    sql = inspector(demo_config, node_env, "--method", "tools/call", "--tool-name", "sales_run_query",
                    "--tool-arg", "sql=SELECT count(*) AS n FROM orders")
    assert sql["structuredContent"]["rows"] == [[12000]]

    api = inspector(demo_config, node_env, "--method", "tools/call", "--tool-name", "tickets_getTicket",
                    "--tool-arg", "ticket_id=1")
    assert not api.get("isError") and api["structuredContent"]["data"]["id"] == 1

    refused = inspector(demo_config, node_env, "--method", "tools/call", "--tool-name", "sales_run_query",
                        "--tool-arg", "sql=DELETE FROM orders")
    assert refused["isError"] is True and "read_only" in refused["content"][0]["text"]
