"""What the agent did for one question: steps with timings, and every LLM call."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["LLMCall", "Step", "Trace"]


@dataclass(frozen=True, kw_only=True)
class LLMCall:
    """One LLM call: why it was made, and what it cost."""

    purpose: str  # route | rewrite | sql | sql_repair | tool | tool_repair | answer
    model: str
    prompt_tokens: int
    output_tokens: int
    ms: float
    cached_tokens: int = 0  # prompt tokens the backend did not read again (0 when it cannot tell)


@dataclass(kw_only=True)
class Step:
    """One thing the agent did (a tool call, a routing decision), with its details."""

    name: str
    detail: dict[str, Any] = field(default_factory=dict)
    ms: float = 0.0


@dataclass
class Trace:
    """The plan as it ran: steps in order, and the LLM calls among them."""

    steps: list[Step] = field(default_factory=list)
    llm_calls: list[LLMCall] = field(default_factory=list)

    def add(self, name: str, ms: float = 0.0, **detail: Any) -> Step:
        step = Step(name=name, detail=detail, ms=round(ms, 2))
        self.steps.append(step)
        return step

    @contextmanager
    def timed(self, name: str, **detail: Any) -> Iterator[Step]:
        """Record a step and its wall time; the block may add to ``step.detail``."""
        step = self.add(name, **detail)
        start = time.perf_counter()
        try:
            yield step
        finally:
            step.ms = round((time.perf_counter() - start) * 1000, 2)

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.llm_calls)

    @property
    def output_tokens(self) -> int:
        return sum(c.output_tokens for c in self.llm_calls)

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": [asdict(s) for s in self.steps],
            "llm_calls": [asdict(c) for c in self.llm_calls],
            "prompt_tokens": self.prompt_tokens,
            "output_tokens": self.output_tokens,
        }
