"""What a strategy hands to the answer step: numbered blocks of source text with citations."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Citation", "ContextBlock"]


@dataclass(frozen=True, kw_only=True)
class Citation:
    """Where a block came from, in the terms of its kind of source."""

    source: str
    kind: str  # document | table | api | tool
    path: str | None = None  # documents
    page: int | None = None
    title: str | None = None
    sql: str | None = None  # databases
    row_count: int | None = None
    tool: str | None = None  # APIs and other MCP servers
    arguments: dict | None = None

    def label(self) -> str:
        """One line for a Sources list and for the block's header in the prompt."""
        if self.kind == "document":
            where = self.path or self.title or "?"
            return f"{self.source}: {where}" + (f" p.{self.page}" if self.page else "")
        if self.kind == "table":
            return f"{self.source}: SQL {self.sql}"
        return f"{self.source}: {self.tool}({_args(self.arguments)})"


def _args(arguments: dict | None) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in (arguments or {}).items())


@dataclass(frozen=True, kw_only=True)
class ContextBlock:
    """Source text (not yet fenced) and where it came from."""

    text: str
    citation: Citation
