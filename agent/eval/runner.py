"""Run gold questions through an open agent and score each answer."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.agent import Agent
from agent.answer import Answer
from agent.errors import LLMUnavailable, ModelNotFound, ServerUnavailable
from agent.normalize import says_not_found
from agent.eval.questions import GoldQuestion
from agent.eval.scoring import (
    ResultSet,
    check_citations,
    fact_hits,
    has_order_by,
    result_sets_match,
    route_label,
)
from connectors.errors import RagboxError

__all__ = ["QuestionResult", "SqlCheck", "check_sql", "run_eval", "score_answer"]

_CONTEXT_CHARS = 1_500
"""Characters of each context block kept in a result: enough to see why an answer went wrong."""
_FATAL = (LLMUnavailable, ModelNotFound, ServerUnavailable)
"""Errors that would fail every later question too: stop the run."""


@dataclass(kw_only=True)
class SqlCheck:
    """The generated SQL against the gold SQL, both run through the source's SQL server."""

    gold: str
    generated: str | None = None
    ok: bool = False
    ordered: bool = False
    gold_rows: int | None = None
    generated_rows: int | None = None
    error: str | None = None


@dataclass(kw_only=True)
class QuestionResult:
    """One question's answer, its scores and its cost."""

    id: str
    question: str
    gold_source: str
    tags: list[str] = field(default_factory=list)
    predicted: str = ""
    route: list[str] = field(default_factory=list)
    stage: str = ""
    route_ok: bool = False
    answer: str = ""
    facts: list[str] = field(default_factory=list)
    facts_found: list[bool] = field(default_factory=list)
    fact_recall: float | None = None  # answerable questions only
    said_not_found: bool = False
    answer_ok: bool = False  # every fact found, or (unanswerable) said so
    cited: list[int] = field(default_factory=list)
    citations_in_range: bool = True
    cites_fact: bool | None = None
    citation_ok: bool | None = None  # answerable questions only
    sql: SqlCheck | None = None
    llm_calls: list[dict[str, Any]] = field(default_factory=list)  # purpose, tokens, ms
    prompt_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float = 0.0
    llm_ms: float = 0.0
    error: str | None = None
    trace: dict[str, Any] = field(default_factory=dict)
    context: list[str] = field(default_factory=list)  # each block the answer was given, cut short

    @property
    def failed(self) -> bool:
        return bool(self.error) or not self.route_ok or not self.answer_ok or (self.sql is not None and not self.sql.ok)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuestionResult:
        sql = data.get("sql")
        return cls(**{**data, "sql": SqlCheck(**sql) if sql else None})


def _llm_said_none(answer: Answer) -> bool:
    return any(s.name == "llm_route" and '"none"' in str(s.detail.get("reply", "")) for s in answer.trace.steps)


def score_answer(question: GoldQuestion, answer: Answer, latency_ms: float) -> QuestionResult:
    """Everything about ``answer`` that needs no server: route, facts, citations, cost."""
    label = route_label(answer.route.sources, _llm_said_none(answer))
    result = QuestionResult(
        id=question.id, question=question.question, gold_source=question.source, tags=list(question.tags),
        predicted=label, route=list(answer.route.sources), stage=answer.route.stage,
        route_ok=label == question.source, answer=answer.text, facts=list(question.facts),
        said_not_found=says_not_found(answer.text), latency_ms=round(latency_ms, 1),
        llm_calls=[{"purpose": c.purpose, "prompt_tokens": c.prompt_tokens, "output_tokens": c.output_tokens,
                    "ms": c.ms} for c in answer.trace.llm_calls],
        prompt_tokens=answer.trace.prompt_tokens, output_tokens=answer.trace.output_tokens,
        llm_ms=round(sum(c.ms for c in answer.trace.llm_calls), 1), trace=answer.trace.to_dict(),
        context=[f"[{n}] {b.citation.label()}\n{b.text[:_CONTEXT_CHARS]}" for n, b in enumerate(answer.blocks, 1)],
    )
    if question.answerable:
        result.facts_found = fact_hits(answer.text, question.facts)
        result.fact_recall = sum(result.facts_found) / len(question.facts) if question.facts else None
        result.answer_ok = all(result.facts_found) and not (not question.facts and result.said_not_found)
        check = check_citations(answer.text, [b.text for b in answer.blocks], question.facts)
        result.cited, result.citations_in_range, result.cites_fact = list(check.cited), check.in_range, check.cites_fact
        result.citation_ok = check.valid
    else:
        result.answer_ok = result.said_not_found
        result.cited = [n for n in check_citations(answer.text, [b.text for b in answer.blocks], ()).cited]
        result.citations_in_range = all(1 <= n <= len(answer.blocks) for n in result.cited)
    return result


def _rows(agent: Agent, source: str, sql: str) -> tuple[ResultSet | None, str | None]:
    try:
        name = agent.catalog.tool(source, "run_query").name
        # Straight to the hub: these checking queries are not part of the answer's trace.
        result = agent.catalog.hub.call(name, {"sql": sql})
    except RagboxError as exc:
        return None, str(exc)
    if result.is_error or result.structured is None:
        return None, result.text[:500] or "no rows came back"
    return ResultSet.from_structured(result.structured), None


def generated_sql(answer: Answer, source: str) -> str | None:
    """The SQL whose rows the answer was given (the last one run for ``source``)."""
    sqls = [b.citation.sql for b in answer.blocks if b.citation.source == source and b.citation.sql]
    return sqls[-1] if sqls else None


def check_sql(agent: Agent, question: GoldQuestion, answer: Answer) -> SqlCheck:
    """Run the gold and the generated SQL through the source's server and compare the rows."""
    assert question.sql is not None
    check = SqlCheck(gold=question.sql, generated=generated_sql(answer, question.source),
                     ordered=has_order_by(question.sql))
    gold, error = _rows(agent, question.source, question.sql)
    if gold is None:
        check.error = f"the gold SQL failed: {error}"
        return check
    check.gold_rows = len(gold.rows)
    if check.generated is None:
        check.error = "no SQL was run for this source"
        return check
    got, error = _rows(agent, question.source, check.generated)
    if got is None:
        check.error = f"the generated SQL failed: {error}"
        return check
    check.generated_rows = len(got.rows)
    check.ok = result_sets_match(gold, got, ordered=check.ordered)
    return check


def run_eval(
    agent: Agent,
    questions: Sequence[GoldQuestion],
    *,
    on_result: Callable[[QuestionResult], None] | None = None,
) -> list[QuestionResult]:
    """Ask every question, score it, and report each result to ``on_result`` as it lands.

    An error of ours on one question (the agent's, or a connector's such as the router's
    embedder failing) is recorded and the run goes on, except when the LLM or an MCP
    server is gone, which would fail every later question too.
    """
    results: list[QuestionResult] = []
    for question in questions:
        start = time.perf_counter()
        try:
            answer = agent.ask(question.question)
        except _FATAL:
            raise
        except RagboxError as exc:
            result = QuestionResult(id=question.id, question=question.question, gold_source=question.source,
                                    tags=list(question.tags), facts=list(question.facts), error=str(exc),
                                    latency_ms=round((time.perf_counter() - start) * 1000, 1))
            if question.sql:
                result.sql = SqlCheck(gold=question.sql, error="the question failed before any SQL was checked")
        else:
            result = score_answer(question, answer, (time.perf_counter() - start) * 1000)
            if question.sql:
                result.sql = check_sql(agent, question, answer)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
