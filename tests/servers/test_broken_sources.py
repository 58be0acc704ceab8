"""One broken source does not take down ``servers all``: it is left out, and says why."""

import os
import sys
from pathlib import Path

from mcp import Client, StdioServerParameters

from connectors.config import load_config
from servers.all import build_all_server
from servers.check import check_sources
from tests.support import EXAMPLES, REPO, TICKETS_TOKEN, write_demo_config
from tests.support import run_async as run


def without_token() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "TICKETS_TOKEN"}


async def listing(client: Client) -> tuple[str, dict]:
    return client.instructions or "", {t.name: t for t in (await client.list_tools()).tools}


def test_a_missing_api_token_leaves_only_that_api_out(demo_config: Path):
    server = build_all_server(load_config(demo_config), without_token())

    async def check():
        async with Client(server) as client:
            instructions, tools = await listing(client)
            return (instructions, tools, await client.call_tool("tickets_unavailable", {}),
                    await client.call_tool("sales_run_query", {"sql": "SELECT count(*) FROM customers"}),
                    await client.call_tool("handbook_search_documents", {"query": "expense report", "top_k": 1}))

    instructions, tools, down, sql, docs = run(check)
    assert [n for n in tools if n.startswith("tickets_")] == ["tickets_unavailable"]
    meta = tools["tickets_unavailable"].meta
    assert meta["ragbox/source"] == "tickets" and "TICKETS_TOKEN" in meta["ragbox/unavailable"]
    assert "Unavailable now" in instructions and "- tickets: " in instructions
    assert "tickets (HTTP API" not in instructions  # not offered as a working source
    assert down.is_error and "The tickets source is unavailable" in down.content[0].text
    assert "TICKETS_TOKEN" in down.content[0].text
    assert sql.structured_content["rows"] == [[240]]
    assert not docs.is_error and docs.structured_content["hits"]


def test_a_missing_database_file_leaves_only_that_database_out(tmp_path: Path, tickets_api: str):
    config = write_demo_config(tmp_path, tmp_path / "gone.db", tickets_api)
    server = build_all_server(load_config(config), {**os.environ, "TICKETS_TOKEN": TICKETS_TOKEN})

    async def check():
        async with Client(server) as client:
            _, tools = await listing(client)
            return tools, await client.call_tool("tickets_getTicket", {"ticket_id": 1})

    tools, api = run(check)
    assert [n for n in tools if n.startswith("sales_")] == ["sales_unavailable"]
    assert "gone.db" in tools["sales_unavailable"].meta["ragbox/unavailable"]
    assert not api.is_error and api.structured_content["data"]["id"] == 1


def test_a_missing_embedding_model_leaves_the_documents_out_of_the_subprocess(tmp_path: Path, tickets_api: str):
    """The issue's case, as a user meets it: ``servers all`` over stdio, the MiniLM model nowhere."""
    config = write_demo_config(tmp_path, EXAMPLES / "acme" / "acme.db", tickets_api)
    config.write_text(config.read_text().replace('provider = "hashing"', 'provider = "default"'))
    empty = tmp_path / "no-models"
    empty.mkdir()
    env = {**os.environ, "TICKETS_TOKEN": TICKETS_TOKEN, "RAGBOX_MODELS_DIR": str(empty), "HOME": str(tmp_path),
           "PYTHONPATH": str(REPO)}
    params = StdioServerParameters(command=sys.executable, args=["-m", "servers", "all", "--config", str(config)],
                                   env=env, cwd=str(tmp_path))

    async def check():
        async with Client(params) as client:
            _, tools = await listing(client)
            return tools, await client.call_tool("sales_run_query", {"sql": "SELECT count(*) FROM orders"})

    tools, sql = run(check)
    assert [n for n in tools if n.startswith("handbook_")] == ["handbook_unavailable"]
    assert "model" in tools["handbook_unavailable"].meta["ragbox/unavailable"].lower()
    assert sql.structured_content["rows"] == [[12000]]
    assert any(n.startswith("tickets_get") for n in tools)


def test_check_names_the_broken_source_and_why(demo_config: Path):
    statuses = {s.name: s for s in check_sources(load_config(demo_config), without_token())}
    assert statuses["sales"].ok and statuses["handbook"].ok
    assert not statuses["tickets"].ok and "TICKETS_TOKEN" in statuses["tickets"].fix
