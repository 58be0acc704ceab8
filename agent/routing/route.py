"""Where a question goes, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Route", "Stage"]

Stage = Literal["forced", "single", "embedding", "llm", "fanout", "none"]


@dataclass(frozen=True, kw_only=True)
class Route:
    """The chosen sources (one, or two on fan-out), the stage that chose, and the scores."""

    sources: tuple[str, ...]
    stage: Stage
    scores: dict[str, float] = field(default_factory=dict)
    reason: str = ""
