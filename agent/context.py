"""What a strategy hands to the answer step: numbered blocks of source text with citations."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Citation", "ContextBlock"]


@dataclass(frozen=True, kw_only=True)
class Citation:
    """Where a block came from: the source, its kind (as the config spells it), and what was read."""

    source: str
    kind: str  # documents | database | api | mcp
    path: str | None = None  # documents
    page: int | None = None
    title: str | None = None
    sql: str | None = None  # databases
    row_count: int | None = None
    tool: str | None = None  # APIs and other MCP servers
    arguments: dict | None = None

    def label(self) -> str:
        """One line for a Sources list and for the block's header in the prompt."""
        if self.sql is not None:
            return f"{self.source}: SQL {self.sql}"
        if self.tool is not None:
            return f"{self.source}: {self.tool}({_args(self.arguments)})"
        where = self.path or self.title or "?"
        return f"{self.source}: {where}" + (f" p.{self.page}" if self.page else "")


def _args(arguments: dict | None) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in (arguments or {}).items())


@dataclass(frozen=True, kw_only=True)
class ContextBlock:
    """Source text (not yet fenced) and where it came from."""

    text: str
    citation: Citation
