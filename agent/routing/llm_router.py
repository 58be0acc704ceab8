"""The second routing stage: the LLM picks a source name, under a schema, in a few tokens."""

from __future__ import annotations

import json
from collections.abc import Sequence

from agent.json_reply import extract_json_object
from agent.llm import ChatMessage
from agent.run import Run
from connectors.config import SourceConfig

__all__ = ["NONE", "ask_router_llm", "router_messages", "router_schema"]

NONE = "none"
_SYSTEM = 'Pick the data source that can answer the question. Reply JSON {"source": NAME}, or "none".'
_MAX_DESCRIPTION = 160


def router_schema(names: Sequence[str]) -> dict:
    return {
        "type": "object",
        "properties": {"source": {"type": "string", "enum": [*names, NONE]}},
        "required": ["source"],
    }


def router_messages(question: str, sources: Sequence[SourceConfig]) -> list[ChatMessage]:
    lines = [f"{s.name}: {(s.description or s.kind)[:_MAX_DESCRIPTION]}" for s in sources]
    body = "Sources:\n" + "\n".join(lines) + f"\n\nQuestion: {question}"
    return [ChatMessage(role="system", content=_SYSTEM), ChatMessage(role="user", content=body)]


def ask_router_llm(question: str, sources: Sequence[SourceConfig], run: Run) -> str | None:
    """A source name, or None when the LLM says none fits or answers outside the enum."""
    names = [s.name for s in sources]
    reply = run.chat("route", router_messages(question, sources), router=True, schema=router_schema(names))
    value = extract_json_object(reply.text) or {}
    choice = value.get("source")
    run.trace.add("llm_route", reply=json.dumps(value) if value else reply.text[:200])
    return choice if choice in names else None
