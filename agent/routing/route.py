"""Where a question goes, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Route", "Stage"]

Stage = Literal["forced", "single", "embedding", "llm", "fanout", "none"]


@dataclass(frozen=True, kw_only=True)
class Route:
    """The chosen sources (one, two on fan-out, none when no source holds the answer), the stage
    that chose, and each source's score."""

    sources: tuple[str, ...]
    stage: Stage
    scores: dict[str, float] = field(default_factory=dict)
    reason: str = ""
