"""What each source's server exposes, fetched through MCP once per command and cached.

The router builds profiles from it (table and column names, document titles,
operation summaries) and the database strategy links the schema with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.errors import SourceError
from agent.mcp_hub import McpHub, RemoteTool, ToolResult
from agent.trace import Trace
from connectors.config import SourceConfig

__all__ = ["Catalog", "Column", "TableInfo", "TableSchema"]

MAX_TABLES_PROFILED = 40


@dataclass(frozen=True, kw_only=True)
class TableInfo:
    name: str
    comment: str | None = None
    row_count: int | None = None


@dataclass(frozen=True, kw_only=True)
class Column:
    name: str
    type: str
    primary_key: bool = False
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class TableSchema:
    name: str
    comment: str | None
    columns: tuple[Column, ...]
    foreign_keys: tuple[str, ...] = ()
    sample_rows: tuple[tuple[Any, ...], ...] = ()

    def render(self) -> str:
        """One compact line set for a text-to-SQL prompt."""
        cols = ", ".join(f"{c.name} {c.type}" + (" PK" if c.primary_key else "") for c in self.columns)
        lines = [f"{self.name}({cols})" + (f" -- {self.comment}" if self.comment else "")]
        if self.foreign_keys:
            lines.append("  FK " + ", ".join(self.foreign_keys))
        if self.sample_rows:
            lines.append("  e.g. " + repr(tuple(self.sample_rows[0])))
        return "\n".join(lines)


@dataclass
class Catalog:
    """Cached views of the sources' servers; every fetch is a step in ``trace`` when one is set."""

    hub: McpHub
    sources: dict[str, SourceConfig]
    trace: Trace | None = None
    _tables: dict[str, list[TableInfo]] = field(default_factory=dict)
    _dialects: dict[str, str | None] = field(default_factory=dict)
    _schemas: dict[tuple[str, str], TableSchema] = field(default_factory=dict)
    _titles: dict[str, list[str]] = field(default_factory=dict)

    def source(self, name: str) -> SourceConfig:
        try:
            return self.sources[name]
        except KeyError:
            raise SourceError(f"No source named '{name}'; known sources: {', '.join(self.sources)}.") from None

    def tools(self, source: str) -> list[RemoteTool]:
        return self.hub.tools_of(source)

    def tool(self, source: str, tool: str) -> RemoteTool:
        """``source``'s tool ``tool`` (``run_query``), or an error that says what to check."""
        found = self.hub.find(source, tool)
        if found is None:
            raise SourceError(
                f"Source '{source}' has no '{tool}' tool on its MCP server; check that the server "
                "serves this source (python -m servers all --config F)."
            )
        return found

    def call(self, source: str, tool: str, arguments: dict[str, Any]) -> ToolResult:
        """Call ``source``'s tool ``tool`` and record it in the trace."""
        return self.call_tool(self.tool(source, tool).name, arguments)

    def call_tool(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Call the tool with qualified ``name`` and record it in the trace."""
        if self.trace is None:
            return self.hub.call(name, arguments)
        with self.trace.timed("tool", tool=name, arguments=arguments) as step:
            result = self.hub.call(name, arguments)
            step.detail["is_error"] = result.is_error
        return result

    def tables(self, source: str) -> list[TableInfo]:
        if source not in self._tables:
            result = self.call(source, "list_tables", {})
            listing = (result.structured or {}) if not result.is_error else {}
            rows = listing.get("tables", [])
            self._dialects[source] = listing.get("dialect")
            self._tables[source] = [
                TableInfo(name=t["name"], comment=t.get("comment"), row_count=t.get("row_count")) for t in rows
            ]
        return self._tables[source]

    def dialect(self, source: str) -> str | None:
        """The SQL dialect ``source``'s server reports ("SQLite", "PostgreSQL"), if it says."""
        self.tables(source)
        return self._dialects.get(source)

    def describe(self, source: str, table: str) -> TableSchema | None:
        key = (source, table)
        if key not in self._schemas:
            result = self.call(source, "describe_table", {"table": table})
            if result.is_error or not result.structured:
                return None
            d = result.structured
            self._schemas[key] = TableSchema(
                name=d.get("table", table), comment=d.get("comment"),
                columns=tuple(Column(name=c["name"], type=c.get("type", ""), primary_key=bool(c.get("primary_key")),
                                     comment=c.get("comment")) for c in d.get("columns", [])),
                foreign_keys=tuple(d.get("foreign_keys", [])),
                sample_rows=tuple(tuple(r) for r in d.get("sample_rows", [])),
            )
        return self._schemas[key]

    def document_titles(self, source: str) -> list[str]:
        if source not in self._titles:
            result = self.call(source, "list_sources", {})
            listed = (result.structured or {}).get("sources", []) if not result.is_error else []
            mine = [s for s in listed if s.get("name") == source] or listed
            self._titles[source] = [d.get("title") or d.get("path", "") for s in mine for d in s.get("documents", [])]
        return self._titles[source]
