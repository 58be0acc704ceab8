"""Two runs side by side: headline figures with deltas, and the questions whose outcome changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.markup import escape
from rich.table import Table

from agent.eval.run_file import EvalRun

__all__ = ["Change", "MetricDelta", "compare_runs", "comparison_tables"]

HEADLINES = [
    "routing_accuracy", "fact_recall", "answer_accuracy", "citation_validity", "sql_execution_accuracy",
    "answers_citing", "llm_calls_mean", "prompt_tokens_mean", "output_tokens_mean", "latency_ms_p50", "latency_ms_p95",
]


@dataclass(frozen=True, kw_only=True)
class MetricDelta:
    scope: str  # "all" or a gold source
    name: str
    a: float | None
    b: float | None

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


@dataclass(frozen=True, kw_only=True)
class Change:
    """A question whose route, answer or SQL went from right to wrong or back."""

    id: str
    question: str
    what: str
    a: Any
    b: Any


def compare_runs(a: EvalRun, b: EvalRun) -> tuple[list[MetricDelta], list[Change]]:
    """The headline figures of ``a`` and ``b`` (overall and per source) and the questions that changed."""
    sa, sb = a.summary, b.summary
    deltas = [MetricDelta(scope="all", name=m, a=sa["overall"].get(m), b=sb["overall"].get(m)) for m in HEADLINES]
    for source in sorted(set(sa["per_source"]) | set(sb["per_source"])):
        ra, rb = sa["per_source"].get(source, {}), sb["per_source"].get(source, {})
        deltas += [MetricDelta(scope=source, name=m, a=ra.get(m), b=rb.get(m)) for m in HEADLINES[:6]]
    by_id = {r.id: r for r in a.results}
    changes: list[Change] = []
    for rb_ in b.results:
        ra_ = by_id.get(rb_.id)
        if ra_ is None:
            continue
        if ra_.predicted != rb_.predicted:
            changes.append(Change(id=rb_.id, question=rb_.question, what="route", a=ra_.predicted, b=rb_.predicted))
        if ra_.answer_ok != rb_.answer_ok:
            changes.append(Change(id=rb_.id, question=rb_.question, what="answer ok", a=ra_.answer_ok,
                                  b=rb_.answer_ok))
        sql_a, sql_b = ra_.sql.ok if ra_.sql else None, rb_.sql.ok if rb_.sql else None
        if sql_a != sql_b:
            changes.append(Change(id=rb_.id, question=rb_.question, what="SQL ok", a=sql_a, b=sql_b))
    return deltas, changes


def _fmt(name: str, value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    if name.endswith(("accuracy", "recall", "validity", "citing")):
        return f"{value:+.0%}" if signed else f"{value:.0%}"
    return f"{value:+,.1f}" if signed else f"{value:,.1f}"


def comparison_tables(a: EvalRun, b: EvalRun, *, label_a: str = "a", label_b: str = "b") -> list[Table]:
    deltas, changes = compare_runs(a, b)
    label_a, label_b = escape(label_a), escape(label_b)  # file names and questions are not markup
    figures = Table("scope", "figure", label_a, label_b, "Δ", title="Figures", title_justify="left", show_edge=False)
    scope = None
    for d in deltas:
        if scope is not None and d.scope != scope:
            figures.add_section()
        scope = d.scope
        figures.add_row(d.scope, d.name, _fmt(d.name, d.a), _fmt(d.name, d.b), _fmt(d.name, d.delta, signed=True))
    changed = Table("id", "question", "what", label_a, label_b, title=f"{len(changes)} changed outcomes",
                    title_justify="left", show_edge=False)
    for c in changes:
        changed.add_row(escape(c.id), escape(c.question[:70]), escape(c.what), escape(str(c.a)), escape(str(c.b)))
    return [figures, changed]
