"""``/metrics`` for ``agent serve``, in Prometheus' text format (``prometheus_client``).

Each app has its own registry, so two servers in one process (tests) never mix counts.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE

from agent.answer import Answer

__all__ = ["CONTENT_TYPE", "Metrics"]

_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 160)


class Metrics:
    """Questions, their latency, LLM calls and tokens, routes and errors."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter("ragbox_questions", "Questions answered, by route.", ["route"],
                                 registry=self.registry)
        self.latency = Histogram("ragbox_question_seconds", "Time to answer a question, end to end.",
                                 buckets=_SECONDS, registry=self.registry)
        self.outside_llm = Histogram("ragbox_question_outside_llm_seconds",
                                     "Time per question spent outside LLM calls.",
                                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5), registry=self.registry)
        self.llm_calls = Counter("ragbox_llm_calls", "LLM calls, by purpose.", ["purpose"], registry=self.registry)
        self.llm_tokens = Counter("ragbox_llm_tokens", "LLM tokens, prompt or output.", ["kind"],
                                  registry=self.registry)
        self.errors = Counter("ragbox_errors", "Requests that ended in an error, by type.", ["type"],
                              registry=self.registry)
        self.in_flight = Gauge("ragbox_questions_in_flight", "Questions being answered or waiting now.",
                               registry=self.registry)

    def answered(self, answer: Answer, seconds: float) -> None:
        self.questions.labels(route="+".join(answer.route.sources) or "none").inc()
        self.latency.observe(seconds)
        llm_seconds = sum(call.ms for call in answer.trace.llm_calls) / 1000
        self.outside_llm.observe(max(seconds - llm_seconds, 0.0))
        for call in answer.trace.llm_calls:
            self.llm_calls.labels(purpose=call.purpose).inc()
            self.llm_tokens.labels(kind="prompt").inc(call.prompt_tokens)
            self.llm_tokens.labels(kind="output").inc(call.output_tokens)

    def render(self) -> bytes:
        return generate_latest(self.registry)
