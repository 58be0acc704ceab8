"""Fixtures for the agent's tests: the fake LLM, real MCP servers, configs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent import Agent, AgentSettings, ServerSpec
from connectors.config import Config, parse_config
from connectors.docs import DocumentIndex
from connectors.embeddings import Embedder, HashingEmbedder
from connectors.sql.engine import SqlDatabase
from servers.docs import build_docs_server
from servers.sql import build_sql_server
from tests.agent.ticket_server import build_ticket_server
from testkit.llm_server import FakeLLM

HANDBOOK = {
    "leave.md": "# Annual leave\n\nEmployees get 25 days of paid annual leave per year. "
                "Carried-over days must be used by 31 March.\n",
    "expenses.md": "# Expenses\n\nSubmit travel expense receipts within 30 days through the portal.\n",
    "security.md": "# Security policy\n\nLaptops must use full-disk encryption. Report phishing to security@acme.example.\n",
}

DESCRIPTIONS = {
    "handbook": "Employee handbook: annual leave, holidays, travel expenses, security policy",
    "sales": "Sales database: customers, orders, products, invoices, revenue",
    "tickets": "Support ticket tracker: customer tickets, their status and titles",
}


@pytest.fixture(scope="session")
def handbook_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("handbook")
    (root / "docs").mkdir()
    for name, text in HANDBOOK.items():
        (root / "docs" / name).write_text(text, encoding="utf-8")
    (root / "empty").mkdir()
    return root


def make_config(fake: FakeLLM, *, kinds: tuple[str, ...] = ("documents", "databases", "mcp_servers"),
                handbook: Path | None = None, sales_db: Path | None = None, provider: str = "ollama",
                sql_examples: list[dict[str, str]] | None = None, **overrides: Any) -> Config:
    """A config naming ``handbook``, ``sales`` and ``tickets`` as asked, LLM at the fake."""
    data: dict[str, Any] = {"llm": {"provider": provider, "host": fake.url, "model": "qwen2.5:7b-instruct"},
                            "embeddings": {"provider": "hashing"}}
    if "documents" in kinds:
        data["documents"] = [{"name": "handbook", "paths": [str(handbook or ".")],
                              "description": DESCRIPTIONS["handbook"]}]
    if "databases" in kinds:
        data["databases"] = [{"name": "sales", "url": f"sqlite:///{sales_db or 'acme.db'}",
                              "description": DESCRIPTIONS["sales"], "sql_examples": sql_examples or []}]
    if "mcp_servers" in kinds:
        data["mcp_servers"] = [{"name": "tickets", "command": [sys.executable, "-m", "tests.agent.ticket_server"],
                                "description": DESCRIPTIONS["tickets"]}]
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    data["data_dir"] = str(handbook.parent / "data") if handbook else "data"
    return parse_config(data, base_dir=Path.cwd())


@pytest.fixture(scope="session")
def docs_index(handbook_dir: Path) -> Iterator[DocumentIndex]:
    config = parse_config(
        {"embeddings": {"provider": "hashing"}, "data_dir": str(handbook_dir / "data"),
         "documents": [{"name": "handbook", "paths": [str(handbook_dir / "docs")]},
                       {"name": "archive", "paths": [str(handbook_dir / "empty")]}]},
        base_dir=handbook_dir,
    )
    index = DocumentIndex.open(config)
    index.ingest()
    yield index
    index.close()


@pytest.fixture
def servers(docs_index: DocumentIndex, acme_sqlite: Path) -> dict[str, ServerSpec]:
    """Real MCP servers, in memory: the docs server, the SQL server, a foreign ticket server."""
    return {
        "handbook": ServerSpec(target=build_docs_server(docs_index), source="handbook", label="docs"),
        "sales": ServerSpec(target=build_sql_server([SqlDatabase(f"sqlite:///{acme_sqlite}", name="sales")]),
                            source="sales", label="sql"),
        "tickets": ServerSpec(target=build_ticket_server(), source="tickets", label="tickets"),
    }


@pytest.fixture
def open_agent(llm: FakeLLM, servers: dict[str, ServerSpec], handbook_dir: Path, acme_sqlite: Path):
    """``open_agent(kinds=…, settings=…, embedder=…)``: an entered Agent over the in-memory servers."""
    agents: list[Agent] = []

    def factory(*, kinds: tuple[str, ...] = ("documents", "databases", "mcp_servers"),
                settings: AgentSettings | None = None, specs: list[ServerSpec] | None = None,
                embedder: Embedder | None = None,
                **overrides: Any) -> Agent:
        config = make_config(llm, kinds=kinds, handbook=handbook_dir / "docs", sales_db=acme_sqlite, **overrides)
        wanted = {"documents": "handbook", "databases": "sales", "mcp_servers": "tickets"}
        chosen = specs if specs is not None else [servers[wanted[k]] for k in kinds]
        agent = Agent(config, chosen, settings=settings or AgentSettings(), embedder=embedder or HashingEmbedder())
        agents.append(agent.__enter__())
        return agent

    yield factory
    for agent in agents:
        agent.__exit__(None, None, None)
