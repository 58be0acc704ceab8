"""The answer step: numbered, fenced context in; an answer citing [n] out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.context import Citation, ContextBlock
from agent.llm import ChatMessage
from agent.routing.route import Route
from agent.trace import Trace
from connectors.untrusted import fence

__all__ = ["NOT_FOUND", "Answer", "Turn", "answer_messages", "cited_numbers", "citations_for"]

NOT_FOUND = "not found in the sources"
_SYSTEM = (
    "Answer the question using only the numbered context, citing it like [1]. Be brief. "
    f'If the context does not answer it, reply exactly "{NOT_FOUND}".'
)
_TOOL_HINT = " If a listed tool would fetch what is missing, call it instead."
_CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


@dataclass(frozen=True, kw_only=True)
class Turn:
    """An earlier question and answer, for follow-ups in a chat."""

    question: str
    answer: str


@dataclass(kw_only=True)
class Answer:
    """What ``ask`` returns: the text, what it cites, the route and the trace."""

    text: str
    citations: list[tuple[int, Citation]]
    route: Route
    trace: Trace
    blocks: list[ContextBlock] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` shape: {answer, citations, route, trace}."""
        return {
            "answer": self.text,
            "citations": [{"n": n, **_citation(c)} for n, c in self.citations],
            "route": {"sources": list(self.route.sources), "stage": self.route.stage,
                      "scores": self.route.scores, "reason": self.route.reason},
            "trace": self.trace.to_dict(),
        }


def _citation(c: Citation) -> dict[str, Any]:
    fields = {"source": c.source, "kind": c.kind, "label": c.label(), "path": c.path, "page": c.page,
              "title": c.title, "sql": c.sql, "row_count": c.row_count, "tool": c.tool, "arguments": c.arguments}
    return {k: v for k, v in fields.items() if v is not None}


def answer_messages(
    question: str, blocks: Sequence[ContextBlock], *, history: Sequence[Turn] = (), tools: bool = False
) -> list[ChatMessage]:
    context = "\n\n".join(
        f"[{n}] {b.citation.label()}\n{fence(b.text, source=b.citation.source, kind=b.citation.kind)}"
        for n, b in enumerate(blocks, 1)
    )
    earlier = "".join(f"Earlier question: {t.question}\nEarlier answer: {t.answer[:500]}\n\n" for t in history[-2:])
    system = _SYSTEM + (_TOOL_HINT if tools else "")
    return [ChatMessage(role="system", content=system),
            ChatMessage(role="user", content=f"{context}\n\n{earlier}Question: {question}")]


def cited_numbers(text: str, count: int) -> list[int]:
    """The block numbers ``text`` cites, in first-cited order, ignoring numbers out of range."""
    seen: dict[int, None] = {}
    for match in _CITE.finditer(text):
        for part in match.group(1).split(","):
            n = int(part)
            if 1 <= n <= count:
                seen.setdefault(n, None)
    return list(seen)


def citations_for(text: str, blocks: Sequence[ContextBlock]) -> list[tuple[int, Citation]]:
    return [(n, blocks[n - 1].citation) for n in cited_numbers(text, len(blocks))]
