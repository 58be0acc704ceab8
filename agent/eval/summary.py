"""Totals over a run: accuracy, recall, citation validity and cost, overall and per source."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from agent.eval.questions import NO_SOURCE
from agent.eval.runner import QuestionResult

__all__ = ["percentile", "summarise"]


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (``q`` in 0..1); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))])


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _cost(results: Sequence[QuestionResult]) -> dict[str, Any]:
    answered = [r for r in results if r.error is None]
    latency = [r.latency_ms for r in answered]
    outside = [r.latency_ms - r.llm_ms for r in answered]
    calls = [len(r.llm_calls) for r in answered]
    return {
        "answered": len(answered),
        "llm_calls_total": sum(calls),
        "llm_calls_mean": round(statistics.mean(calls), 2) if calls else 0.0,
        "prompt_tokens_total": sum(r.prompt_tokens for r in answered),
        "prompt_tokens_mean": round(statistics.mean(r.prompt_tokens for r in answered), 1) if answered else 0.0,
        "output_tokens_total": sum(r.output_tokens for r in answered),
        "output_tokens_mean": round(statistics.mean(r.output_tokens for r in answered), 1) if answered else 0.0,
        "latency_ms_p50": round(percentile(latency, 0.5), 1),
        "latency_ms_p95": round(percentile(latency, 0.95), 1),
        "outside_llm_ms_p50": round(percentile(outside, 0.5), 1),
        "outside_llm_ms_p95": round(percentile(outside, 0.95), 1),
    }


def _quality(results: Sequence[QuestionResult]) -> dict[str, Any]:
    answerable = [r for r in results if r.gold_source != NO_SOURCE]
    recalls = [r.fact_recall or 0.0 for r in answerable if r.facts]
    unanswerable = [r for r in results if r.gold_source == NO_SOURCE]
    cited = answerable  # an answer that failed counts as not citing validly
    sql = [r for r in results if r.sql is not None]
    claims = [r for r in results if r.error is None and not r.said_not_found]  # answers that are not "not found"
    return {
        "questions": len(results),
        "errors": sum(1 for r in results if r.error),
        "route_correct": sum(r.route_ok for r in results),
        "routing_accuracy": _share(sum(r.route_ok for r in results), len(results)),
        "answerable": len(answerable),
        "fact_recall": round(statistics.mean(recalls), 4) if recalls else None,
        "all_facts_found": sum(1 for r in answerable if r.answer_ok),
        "unanswerable": len(unanswerable),
        "said_not_found": sum(1 for r in unanswerable if r.said_not_found),
        "answer_accuracy": _share(sum(r.answer_ok for r in results), len(results)),
        "citations_checked": len(cited),
        "citations_valid": sum(1 for r in cited if r.citation_ok),
        "citation_validity": _share(sum(1 for r in cited if r.citation_ok), len(cited)),
        "citations_out_of_range": sum(1 for r in results if not r.citations_in_range),
        "answers_citing": _share(sum(1 for r in claims if r.cited), len(claims)),
        "sql_questions": len(sql),
        "sql_correct": sum(1 for r in sql if r.sql is not None and r.sql.ok),
        "sql_execution_accuracy": _share(sum(1 for r in sql if r.sql is not None and r.sql.ok), len(sql)),
    }


def _by_purpose(results: Iterable[QuestionResult]) -> dict[str, dict[str, Any]]:
    calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        for call in result.llm_calls:
            calls[call["purpose"]].append(call)
    return {
        purpose: {
            "calls": len(items),
            "prompt_tokens_mean": round(statistics.mean(c["prompt_tokens"] for c in items), 1),
            "prompt_tokens_max": max(c["prompt_tokens"] for c in items),
            "output_tokens_mean": round(statistics.mean(c["output_tokens"] for c in items), 1),
            "ms_p50": round(percentile([c["ms"] for c in items], 0.5), 1),
        }
        for purpose, items in sorted(calls.items())
    }


def summarise(results: Sequence[QuestionResult]) -> dict[str, Any]:
    """The run's figures: overall, per gold source, the routing confusion table, LLM calls by purpose."""
    sources = sorted({r.gold_source for r in results})
    per_source = {
        s: {**_quality(group), **_cost(group)}
        for s in sources if (group := [r for r in results if r.gold_source == s])
    }
    confusion: dict[str, dict[str, int]] = {
        s: dict(Counter(r.predicted or "error" for r in results if r.gold_source == s)) for s in sources
    }
    return {
        "overall": {**_quality(results), **_cost(results)},
        "per_source": per_source,
        "confusion": confusion,
        "stages": dict(Counter(r.stage for r in results if r.stage)),
        "llm_calls_by_purpose": _by_purpose(results),
    }
