"""Cheap evidence for routing, without an LLM call: identifiers, stored values, keyword hits.

- identifiers: "ticket 1234" where a source's tools look tickets up by ``ticket_id``
  (:mod:`agent.routing.identifiers`); a noun that other sources' servers also expose
  ("customer", when a database has a ``customers`` table) counts for less;
- values: a value stored in one of a database's columns (its server's ``find_values``);
- keyword: the best BM25 score of a documents source's keyword search, and how far the
  top hit stands above the second (a distinct match says more than many faint ones);
- passage: the cosine of a documents source's best passage (semantic search, one hit):
  document titles say little about what a handbook holds, its passages say it all.

Each is at most one tool call per source, of a few milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass
from typing import TypeVar

from agent.catalog import ValueHint
from agent.routing.identifiers import find_identifiers, identifier_nouns
from agent.run import Run
from connectors.config import SourceConfig

__all__ = ["Evidence", "gather_evidence"]

KEYWORD_TOP_K = 3


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What the question names that one source holds."""

    identifiers: tuple[tuple[str, str], ...] = ()
    """(noun, code) pairs: ("ticket", "1234")."""
    identifier_strength: float = 0.0
    """1 when no other source exposes the noun; 1/(1+n) when n others do."""
    values: tuple[ValueHint, ...] = ()
    keyword: float | None = None
    """The top keyword hit's score (BM25: comparable only within one source); None: no search."""
    keyword_gap: float = 0.0
    """1 - second score / top score: 1 for a lone hit, near 0 when many hits score alike."""
    keyword_title: str = ""
    passage: float | None = None
    """The cosine of the best passage of a documents source; None: no search."""

    def describe(self, *, keyword: bool = False) -> str:
        """One short line for the LLM router (with the top keyword hit's title when ``keyword``);
        empty when there is nothing to say."""
        # Stored values are left out: a handbook question that names a customer made the 1.5B
        # router pick the database that stores the name (issue 11's tuning runs).
        parts = [f"{noun} {code}" for noun, code in self.identifiers]
        if keyword and self.keyword_title:
            parts.append(f"document '{self.keyword_title}'")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {
            "identifiers": [f"{noun} {code}" for noun, code in self.identifiers],
            "identifier_strength": round(self.identifier_strength, 3),
            "values": [v.render() for v in self.values],
            "keyword": None if self.keyword is None else round(self.keyword, 3),
            "keyword_gap": round(self.keyword_gap, 3),
            "passage": None if self.passage is None else round(self.passage, 3),
        }


def _mentions(texts: Sequence[str], noun: str) -> bool:
    if noun.isascii():
        pattern = re.compile(r"\b" + r"\s+".join(map(re.escape, noun.split())) + r"(?:e?s)?\b", re.IGNORECASE)
        return any(pattern.search(text) for text in texts)
    return any(noun in text for text in texts)


def _identifiers(question: str, source: SourceConfig, run: Run,
                 exposed: Mapping[str, Sequence[str]]) -> tuple[tuple[tuple[str, str], ...], float]:
    nouns = identifier_nouns(run.catalog.tools(source.name), source.examples)
    found = find_identifiers(question, nouns)
    if not found:
        return (), 0.0
    shared = max(sum(_mentions(items, noun) for name, items in exposed.items() if name != source.name)
                 for noun, _ in found)
    return tuple(found), 1.0 / (1 + shared)


def _search(question: str, source: SourceConfig, run: Run, mode: str, top_k: int) -> list[dict] | None:
    """The hits of ``source``'s ``search_documents`` in ``mode``; None when it has no such search."""
    tool = run.catalog.hub.find(source.name, "search_documents")
    properties = (tool.input_schema.get("properties") or {}) if tool else {}
    if tool is None or mode not in (properties.get("mode") or {}).get("enum", ()):
        return None
    arguments: dict[str, object] = {"query": question, "top_k": top_k, "mode": mode}
    if "source" in properties:
        arguments["source"] = source.name
    result = run.catalog.call_tool(tool.name, arguments)
    if result.is_error:
        return None
    return [h for h in (result.structured or {}).get("hits", []) if isinstance(h, dict)]


def _passage(question: str, source: SourceConfig, run: Run) -> float | None:
    hits = _search(question, source, run, "semantic", 1)
    return float(hits[0].get("score") or 0.0) if hits else (None if hits is None else 0.0)


def _keyword(question: str, source: SourceConfig, run: Run) -> tuple[float | None, float, str]:
    hits = _search(question, source, run, "keyword", KEYWORD_TOP_K)
    if hits is None:
        return None, 0.0, ""
    scores = [float(h.get("score") or 0.0) for h in hits]
    if not scores or scores[0] <= 0:
        return 0.0, 0.0, ""
    gap = 1.0 - (scores[1] / scores[0] if len(scores) > 1 else 0.0)
    return scores[0], max(0.0, gap), str(hits[0].get("title") or hits[0].get("path") or "")


T = TypeVar("T")


def gather_evidence(question: str, sources: Sequence[SourceConfig], run: Run,
                    exposed: Mapping[str, Sequence[str]]) -> dict[str, Evidence]:
    """Each source's evidence for ``question``; ``exposed`` holds what each source's server exposes.

    The MCP calls (each source's keyword search, passage search and value look-up) do not
    depend on each other, so they run at once: routing waits for the slowest, not the sum.
    Each runs in a copy of this context, so its step lands in this question's trace.
    """
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="evidence") as pool:
        def soon(fn: Callable[..., T], *args: object) -> Future[T]:
            return pool.submit(copy_context().run, fn, *args)

        pending = {
            source.name: (soon(_keyword, question, source, run),
                          soon(run.catalog.find_values, source.name, question),
                          soon(_passage, question, source, run))
            for source in sources
        }
        found: dict[str, Evidence] = {}
        for source in sources:
            keyword, values, passage = pending[source.name]
            identifiers, strength = _identifiers(question, source, run, exposed)
            score, gap, title = keyword.result()
            found[source.name] = Evidence(
                identifiers=identifiers, identifier_strength=strength, values=tuple(values.result()),
                keyword=score, keyword_gap=gap, keyword_title=title, passage=passage.result(),
            )
    return found
