"""A run as rich tables: figures overall and per source, routing confusion, LLM calls, failures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.eval.runner import QuestionResult

__all__ = ["failure_panels", "report", "summary_tables"]

_QUALITY = [
    ("routing", "routing_accuracy"), ("fact recall", "fact_recall"), ("answers ok", "answer_accuracy"),
    ("citations", "citation_validity"), ("cite when answering", "answers_citing"), ("SQL exec", "sql_execution_accuracy"),
]
_COST = [
    ("LLM calls", "llm_calls_mean"), ("prompt tok", "prompt_tokens_mean"), ("output tok", "output_tokens_mean"),
    ("p50 ms", "latency_ms_p50"), ("p95 ms", "latency_ms_p95"),
]


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if isinstance(value, (int, float)) and (value >= 100 or float(value).is_integer()) \
        else f"{value:,.2f}"


def _table(title: str, columns: list[tuple[str, str]], summary: dict[str, Any], fmt: Any) -> Table:
    table = Table("source", "n", *(name for name, _ in columns), title=title, title_justify="left", show_edge=False)
    table.columns[0].no_wrap = True
    rows = [*summary["per_source"].items(), ("all", summary["overall"])]
    for i, (source, figures) in enumerate(rows):
        if i == len(rows) - 1:
            table.add_section()
        table.add_row(source, str(figures["questions"]), *(fmt(figures.get(key)) for _, key in columns))
    return table


def summary_tables(summary: dict[str, Any]) -> list[Table]:
    """Scores and cost (per gold source and overall), the routing confusion and LLM calls by purpose."""
    scores = _table("Scores", _QUALITY, summary, _pct)
    cost = _table("Cost per question", _COST, summary, _num)
    predicted = sorted({p for row in summary["confusion"].values() for p in row})
    confusion = Table("gold \\ routed", *predicted, title="Routing confusion", title_justify="left", show_edge=False)
    for gold, row in summary["confusion"].items():
        confusion.add_row(gold, *(
            (f"[green]{row.get(p, 0)}[/green]" if p == gold else str(row.get(p, 0) or "·")) for p in predicted
        ))

    calls = Table("LLM call", "calls", "prompt tok mean", "prompt tok max", "output tok mean", "p50 ms",
                  title="LLM calls by purpose", title_justify="left", show_edge=False)
    for purpose, row in summary["llm_calls_by_purpose"].items():
        calls.add_row(purpose, str(row["calls"]), _num(row["prompt_tokens_mean"]), _num(row["prompt_tokens_max"]),
                      _num(row["output_tokens_mean"]), _num(row["ms_p50"]))
    return [scores, cost, confusion, calls]


def _why(result: QuestionResult) -> list[str]:
    reasons = []
    if result.error:
        reasons.append(f"error: {result.error}")
    if not result.route_ok and not result.error:
        reasons.append(f"routed to {result.predicted} ({result.stage}), gold {result.gold_source}")
    if result.facts and not all(result.facts_found) and not result.error:
        missing = [f for f, hit in zip(result.facts, result.facts_found) if not hit]
        reasons.append("missing facts: " + "; ".join(missing))
    if result.gold_source == "none" and not result.said_not_found and not result.error:
        reasons.append("unanswerable, but the answer did not say so")
    if result.sql is not None and not result.sql.ok:
        reasons.append(f"SQL wrong: {result.sql.error or 'different rows'}")
    return reasons


def _trace_lines(result: QuestionResult) -> str:
    lines = []
    for step in result.trace.get("steps", []):
        detail = {k: v for k, v in step.get("detail", {}).items() if k not in ("scores",)}
        lines.append(f"  {step['name']:<14} {step.get('ms', 0):>8.0f} ms  "
                     + json.dumps(detail, ensure_ascii=False, default=str)[:160])
    for call in result.llm_calls:
        lines.append(f"  LLM {call['purpose']:<10} prompt {call['prompt_tokens']:>5}  output {call['output_tokens']:>4}"
                     f"  {call['ms']:>8.0f} ms")
    return "\n".join(lines)


def failure_panels(results: Sequence[QuestionResult], limit: int = 10) -> list[RenderableType]:
    """One panel per failed question (up to ``limit``): the question, why, the route, the answer, the trace."""
    failed = [r for r in results if r.failed]
    panels: list[RenderableType] = []
    for result in failed[:limit]:
        body = Text()
        body.append("why: " + " | ".join(_why(result)) + "\n", style="red")
        body.append(f"route: {', '.join(result.route) or '-'} by {result.stage or '-'}\n")
        if result.sql is not None:
            body.append(f"gold SQL: {result.sql.gold}\nSQL run:  {result.sql.generated or '-'}\n")
        body.append(f"answer: {result.answer[:400]}\n")
        body.append(_trace_lines(result), style="dim")
        title = Text(f"{result.id}: {result.question}"[:110])  # a Text, so brackets in a question stay
        panels.append(Panel(body, title=title, title_align="left"))
    if len(failed) > limit:
        panels.append(Text(f"… and {len(failed) - limit} more failures (see the JSON written by --out)."))
    return panels or [Text("No failures.", style="green")]


def report(summary: dict[str, Any], results: Sequence[QuestionResult], failures: int) -> Group:
    """Everything the eval command prints after the run."""
    return Group(*summary_tables(summary), *failure_panels(results, failures))
