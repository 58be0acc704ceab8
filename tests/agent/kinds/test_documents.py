"""The documents strategy against the real docs MCP server (hashing embedder, temp index)."""

from agent import NOT_FOUND, ServerSpec
from servers.docs import build_docs_server
from testkit.llm_server import Json, Text


def test_search_hits_become_cited_passages_with_paths(open_agent, llm):
    agent = open_agent(kinds=("documents",))
    llm.script(Text("Employees get 25 days [1]."))
    answer = agent.ask("How many days of paid annual leave do employees get?")
    search = next(s for s in answer.trace.steps if s.name == "tool")
    assert search.detail["tool"] == "handbook_search_documents" and search.detail["arguments"]["source"] == "handbook"
    assert "25 days of paid annual leave" in llm.requests[0].prompt
    assert "<untrusted-document" not in llm.requests[0].prompt  # one fence, ours
    (n, citation), = answer.citations
    assert (citation.kind, citation.path, citation.source) == ("documents", "leave.md", "handbook")
    assert [c.purpose for c in answer.trace.llm_calls] == ["answer"]


def test_nothing_found_rewrites_the_query_once_then_says_not_found(open_agent, llm, docs_index):
    # 'archive' is an empty documents source on the same docs server: every search comes back empty.
    archive = ServerSpec(target=build_docs_server(docs_index), source="archive", label="docs")
    agent = open_agent(kinds=("documents",), specs=[archive],
                       documents=[{"name": "archive", "paths": ["."], "description": "Old files"}])
    llm.script(Json({"query": "parental leave weeks"}))
    answer = agent.ask("How long is parental leave?")
    searches = [s.detail["arguments"]["query"] for s in answer.trace.steps if s.name == "tool"
                and s.detail["tool"] == "archive_search_documents"]
    assert searches == ["How long is parental leave?", "parental leave weeks"]
    assert llm.requests[0].schema["required"] == ["query"]
    assert answer.text == NOT_FOUND
    assert [c.purpose for c in answer.trace.llm_calls] == ["rewrite"]
