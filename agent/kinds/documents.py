"""Documents: search with the question; rewrite the query once only when nothing comes back."""

from __future__ import annotations

from typing import Any

from agent.context import Citation, ContextBlock
from agent.json_reply import extract_json_object
from agent.llm import ChatMessage
from agent.catalog import Catalog
from agent.kinds.base import SourceKind
from agent.run import Run
from agent.unfence import unfence
from connectors.config import DocumentsSource, SourceConfig

__all__ = ["DocumentsKind"]

_REWRITE = (
    "A document search for the question found nothing. Write a short keyword query that could "
    'find it (synonyms, key terms). Reply JSON {"query": "..."}.'
)
_QUERY_SCHEMA = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}


class DocumentsKind(SourceKind):
    """``search_documents``; one LLM rewrite of the query if the first search is empty."""

    name = DocumentsSource.kind

    def profile(self, source: SourceConfig, catalog: Catalog) -> list[str]:
        return catalog.document_titles(source.name)

    def gather(self, question: str, source: SourceConfig, run: Run) -> list[ContextBlock]:
        blocks = self._search(question, source, run)
        if blocks:
            return blocks
        reply = run.chat("rewrite", [ChatMessage(role="system", content=_REWRITE),
                                     ChatMessage(role="user", content=question)], schema=_QUERY_SCHEMA)
        query = str((extract_json_object(reply.text) or {}).get("query") or "").strip()
        if not query or query == question:
            return []
        return self._search(query, source, run)

    def _search(self, query: str, source: SourceConfig, run: Run) -> list[ContextBlock]:
        arguments: dict[str, Any] = {"query": query, "top_k": run.settings.top_k}
        tool = run.catalog.tool(source.name, "search_documents")
        if "source" in (tool.input_schema.get("properties") or {}):
            arguments["source"] = source.name  # a docs server that serves several sources
        result = run.catalog.call(source.name, "search_documents", arguments)
        if result.is_error:
            run.trace.add("search_failed", source=source.name, error=result.text[:500])
            return []
        hits = (result.structured or {}).get("hits", [])
        run.trace.steps[-1].detail["hits"] = len(hits)
        return [
            ContextBlock(
                text=unfence(hit.get("text", "")),
                citation=Citation(source=source.name, kind=self.name, path=hit.get("path"),
                                  page=hit.get("page"), title=hit.get("title")),
            )
            for hit in hits if hit.get("text")
        ]
