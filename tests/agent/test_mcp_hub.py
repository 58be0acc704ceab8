"""The hub: every tool knows its source, by what the server says or by the spec, never by prefix."""

from pathlib import Path

import pytest
from mcp.server.mcpserver import MCPServer

from agent import Agent, AgentSettings, McpHub, ServerSpec, SourceError
from connectors.config import parse_config
from connectors.embeddings import HashingEmbedder
from servers.all import build_all_server
from testkit.llm_server import Json, Text


def two_sales(acme_sqlite: Path, **database) -> dict:
    return {"databases": [
        {"name": "sales", "url": f"sqlite:///{acme_sqlite}", "description": "Sales", **database},
        {"name": "sales_eu", "url": f"sqlite:///{acme_sqlite}", "description": "European sales"},
    ]}


def test_a_source_is_offered_only_its_own_tools_when_another_name_starts_with_it(acme_sqlite):
    config = parse_config(two_sales(acme_sqlite), base_dir=acme_sqlite.parent)
    with McpHub([ServerSpec(target=build_all_server(config, {}), label="all")]) as hub:
        sales = [t.name for t in hub.tools_of("sales")]
        eu = [t.name for t in hub.tools_of("sales_eu")]
        assert sorted(sales) == ["sales_describe_table", "sales_find_values", "sales_list_tables", "sales_run_query"]
        assert sorted(eu) == ["sales_eu_describe_table", "sales_eu_find_values", "sales_eu_list_tables", "sales_eu_run_query"]
        found = hub.find("sales", "run_query")
        assert found is not None and (found.name, found.tool, found.source) == ("sales_run_query", "run_query", "sales")
        assert hub.find("sales", "eu_run_query") is None


def server_claiming(source: str) -> MCPServer:
    server = MCPServer("foreign")
    server.add_tool(lambda: "rows", name="run_query", meta={"ragbox/source": source, "ragbox/tool": "run_query"})
    return server


def test_a_server_given_a_source_cannot_claim_another_ones_tools():
    spec = ServerSpec(target=server_claiming("sales"), source="tickets", label="foreign")
    with McpHub([spec]) as hub:
        assert hub.tools_of("sales") == []
        (tool,) = hub.tools_of("tickets")
        assert (tool.name, tool.remote_name, tool.tool) == ("tickets_run_query", "run_query", "run_query")


def test_a_tool_with_no_source_belongs_to_none():
    server = MCPServer("plain")
    server.add_tool(lambda: "x", name="lookup")
    with McpHub([ServerSpec(target=server, label="plain")]) as hub:
        assert hub.tools["lookup"].source is None and hub.tools_of("lookup") == []


def test_two_servers_with_the_same_tool_name_are_a_clear_error():
    specs = [ServerSpec(target=server_claiming("sales"), label=f"server {n}") for n in (1, 2)]
    with pytest.raises(SourceError, match="run_query.*server 1 and server 2.*rename one of the sources"):
        with McpHub(specs):
            pass


def test_the_sql_prompt_names_the_dialect_of_a_database_whose_url_is_in_the_environment(acme_sqlite, llm):
    env = {"SALES_URL": f"sqlite:///{acme_sqlite}"}
    data = {"llm": {"provider": "ollama", "host": llm.url, "model": "qwen2.5:7b-instruct"},
            "embeddings": {"provider": "hashing"},
            "databases": [{"name": "sales", "url_env": "SALES_URL", "description": "Sales"}]}
    config = parse_config(data, base_dir=acme_sqlite.parent)
    spec = ServerSpec(target=build_all_server(config, env), label="all")
    llm.script(Json({"sql": "SELECT COUNT(*) FROM customers"}), Text("240 [1]"))
    with Agent(config, [spec], settings=AgentSettings(), env=env, embedder=HashingEmbedder()) as agent:
        agent.ask("How many customers are there?")
    assert "Write one read-only SQLite SELECT" in llm.requests[0].prompt
