"""One strategy per kind of source: turn a question into context blocks, through MCP."""

from __future__ import annotations

from abc import ABC, abstractmethod

from agent.context import ContextBlock
from agent.run import Run
from agent.sources import Source

__all__ = ["Strategy"]


class Strategy(ABC):
    """Fetches what a source knows about a question."""

    @abstractmethod
    def gather(self, question: str, source: Source, run: Run) -> list[ContextBlock]:
        """Context blocks for ``question`` from ``source``; empty when it has nothing."""
