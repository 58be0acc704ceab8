"""The second routing stage: the LLM picks one of the best candidates, or none, in a few tokens.

The prompt is byte-stable up to the question: fixed instructions first, then the
candidates' short descriptions, then one line of evidence per candidate that has some
("ticket 12", "customers.name = 'Harbor Pharma Inc'"), the question last.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from agent.json_reply import extract_json_object
from agent.llm import ChatMessage
from agent.run import Run
from connectors.config import SourceConfig

__all__ = ["NONE", "Candidate", "ask_router_llm", "router_messages", "router_schema"]

NONE = "none"
_SYSTEM = ('Pick the one data source that holds the answer to the question. Reply JSON {"source": NAME}; '
           'reply {"source": "none"} if none of them holds it.')
_MAX_DESCRIPTION = 700
"""Descriptions say what a source does not hold, too; cut at 160 characters, that part was lost."""


@dataclass(frozen=True, kw_only=True)
class Candidate:
    source: SourceConfig
    evidence: str = ""
    """One short line: what the question names that this source holds ("ticket 12")."""


def router_schema(names: Sequence[str]) -> dict:
    return {
        "type": "object",
        "properties": {"source": {"type": "string", "enum": [*names, NONE]}},
        "required": ["source"],
    }


def _short(text: str) -> str:
    if len(text) <= _MAX_DESCRIPTION:
        return text
    cut = text[:_MAX_DESCRIPTION].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def router_messages(question: str, candidates: Sequence[Candidate]) -> list[ChatMessage]:
    """Instructions, the candidates, what the question matches in them, and the question last."""
    lines = [f"{c.source.name}: {_short(c.source.description or c.source.kind)}" for c in candidates]
    body = "Sources:\n" + "\n".join(lines)
    matches = [f"{c.source.name}: {c.evidence}" for c in candidates if c.evidence]
    if matches:
        body += "\n\nThe question names what these sources hold:\n" + "\n".join(matches)
    body += f"\n\nQuestion: {question}"
    return [ChatMessage(role="system", content=_SYSTEM), ChatMessage(role="user", content=body)]


def ask_router_llm(question: str, candidates: Sequence[Candidate], run: Run) -> str | None:
    """A candidate's name, or None when the LLM says none fits or answers outside the enum."""
    names = [c.source.name for c in candidates]
    reply = run.chat("route", router_messages(question, candidates), router=True, schema=router_schema(names))
    value = extract_json_object(reply.text) or {}
    choice = value.get("source") if value else reply.text.strip().strip('"\'.').strip()
    run.trace.add("llm_route", reply=json.dumps(value) if value else reply.text[:200])
    return choice if isinstance(choice, str) and choice in names else None
