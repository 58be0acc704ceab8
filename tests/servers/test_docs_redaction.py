"""``[[documents.redact]]`` through the docs MCP server: no read of any kind shows a redacted value."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from mcp import Client

from connectors.config import DocumentsSource, Redaction
from connectors.docs import DocumentIndex
from connectors.embeddings import HashingEmbedder
from servers.docs import build_docs_server

SECRETS = ["zelda.quux@acme.test", "zelda.quux", "+44 20 7946 0958", "7946 0958", "DE89 3704 0044 0532 0130 00",
           "0532 0130", "EMP-48213", "48213"]
HR_NOTE = """# Payroll contacts for zelda.quux@acme.test

Zelda Quux (EMP-48213) runs payroll. Reach her at zelda.quux@acme.test or on +44 20 7946 0958.

## Bank details

Salaries are paid from DE89 3704 0044 0532 0130 00 on the 25th.
""" + "\n".join(f"Filler line {i} about the payroll calendar and holidays." for i in range(120)) + """

## Escalation

If payroll is late, write to zelda.quux@acme.test, quoting EMP-48213.
"""


RULES = [
    Redaction(pattern="email"), Redaction(pattern="phone"), Redaction(pattern="iban"),
    Redaction(regex=r"EMP-\d{5}", replacement="[employee id]"),
]


def build(tmp_path_factory: pytest.TempPathFactory, rules: list[Redaction]):
    folder = tmp_path_factory.mktemp("hr")
    (folder / "payroll.md").write_text(HR_NOTE)
    (folder / "contacts.txt").write_text("zelda.quux@acme.test\n+44 20 7946 0958\nEMP-48213")
    index = DocumentIndex(
        sources=[DocumentsSource(name="hr", paths=[folder], redact=rules)],
        data_dir=tmp_path_factory.mktemp("data"),
        embedder=HashingEmbedder(),
    )
    index.ingest()
    return build_docs_server(index)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    return build(tmp_path_factory, RULES)


READS = [
    ("search_documents", {"query": "payroll contact"}),
    ("search_documents", {"query": "zelda.quux@acme.test", "mode": "keyword"}),
    ("search_documents", {"query": "zelda.quux@acme.test"}),
    ("search_documents", {"query": "EMP-48213", "mode": "keyword"}),
    ("search_documents", {"query": "bank details salaries paid from", "mode": "hybrid"}),
    ("search_documents", {"query": "+44 20 7946 0958", "mode": "keyword"}),
    ("search_documents", {"query": "DE89", "mode": "keyword"}),
    ("search_documents", {"query": "escalation late payroll", "top_k": 10}),
    ("search_documents", {"query": "contacts", "path_glob": "*.txt"}),
    ("list_sources", {}),
    ("get_document", {"path": "payroll.md"}),
    ("get_document", {"path": "contacts.txt"}),
    *[("get_document", {"path": "contacts.txt", "offset": offset, "length": 9}) for offset in range(0, 40, 4)],
    *[("get_document", {"path": "payroll.md", "offset": offset, "length": 7})
      for offset in (30, 36, 40, 45, 100, 110, 140, 150, 160, 175, 190)],
    *[("get_document", {"path": "payroll.md", "offset": offset, "length": 50}) for offset in range(0, 400, 25)],
]


def call(server, tool: str, args: dict) -> tuple[dict, str]:
    """The structured result, and everything the call sent as text."""

    async def run() -> tuple[dict, str]:
        async with Client(server) as client:
            result = await client.call_tool(tool, args)
            assert not result.is_error, result.content
            text = " ".join(getattr(c, "text", "") for c in result.content)
            return result.structured_content, json.dumps(result.structured_content, ensure_ascii=False) + text

    return anyio.run(run)


def test_the_corpus_is_at_least_twenty_reads():
    assert len(READS) >= 20


@pytest.mark.parametrize(("tool", "args"), READS)
def test_no_read_shows_a_redacted_value(server, tool, args):
    _, text = call(server, tool, args)
    assert not [s for s in SECRETS if s in text], text[:500]


def test_redacted_text_still_reads_and_is_found(server):
    hits, _ = call(server, "search_documents", {"query": "zelda.quux@acme.test", "mode": "keyword"})
    assert hits["hits"] and "[redacted]" in hits["hits"][0]["text"]
    page, _ = call(server, "get_document", {"path": "payroll.md", "length": 20000})
    assert "Zelda Quux ([employee id]) runs payroll. Reach her at [redacted] or on [redacted]." in page["text"]
    assert "paid from [redacted] on the 25th" in page["text"]


def test_resources_are_redacted_too(server):
    async def run() -> list[str]:
        async with Client(server) as client:
            resources = (await client.list_resources()).resources
            texts = [r.title or "" for r in resources] + [r.description or "" for r in resources]
            for r in resources:
                texts += [c.text for c in (await client.read_resource(r.uri)).contents]
            return texts

    texts = " ".join(anyio.run(run))
    assert "runs payroll" in texts
    assert not [s for s in SECRETS if s in texts]


def test_without_rules_the_reads_would_show_the_values(tmp_path_factory):
    open_server = build(tmp_path_factory, [])
    shown = sum(bool([s for s in SECRETS if s in call(open_server, tool, args)[1]]) for tool, args in READS)
    assert shown >= len(READS) // 2
