"""ragbox's all-in-one server against MCP clients that others wrote (npm packages).

`make test` installs them into tests/e2e/node/ (see package.json there).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO, TICKETS_TOKEN, mcp_http_server, need

pytestmark = pytest.mark.slow

NODE = REPO / "tests" / "e2e" / "node"
BIN = NODE / "node_modules" / ".bin"
BASELINE = REPO / "tests" / "e2e" / "conformance-baseline.yml"


@pytest.fixture(scope="module")
def node_env() -> dict[str, str]:
    if not (BIN / "conformance").exists() or not (BIN / "node").exists():
        need("the npm clients are not installed; run `npm ci --prefix tests/e2e/node`")
    # The `node` package brings Node 22, which the conformance suite needs.
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "TICKETS_TOKEN": TICKETS_TOKEN}


def test_conformance_suite_passes_every_scenario_that_applies(demo_config: Path, node_env):
    with mcp_http_server("all", "--config", str(demo_config), env={"TICKETS_TOKEN": TICKETS_TOKEN}) as base:
        proc = subprocess.run(
            [str(BIN / "conformance"), "server", "--url", f"{base}/mcp", "--expected-failures", str(BASELINE)],
            capture_output=True, text=True, timeout=300, env=node_env, cwd=NODE,
        )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "Baseline check passed" in out
    for scenario in ("server-initialize", "tools-list", "tools-call-error", "dns-rebinding-protection"):
        assert f"✓ {scenario}:" in out


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
