"""What each source's server exposes, fetched through MCP once per command and cached.

The router builds profiles from it (table and column names, document titles,
operation summaries) and the database strategy links the schema with it.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from agent.errors import SourceError
from agent.mcp_hub import McpHub, RemoteTool, ToolResult
from agent.trace import Trace
from connectors.config import SourceConfig

__all__ = ["Catalog", "Column", "TableInfo", "TableSchema", "ValueHint"]

MAX_TABLES_PROFILED = 40
MAX_SAMPLE_CHARS = 40
"""A sample cell longer than this is cut in the rendered schema: it only shows the format."""
MAX_VALUE_TEXT = 500
"""The most text ``find_values`` accepts."""
MAX_VALUE_LOOKUPS_KEPT = 256

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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

    def render(self, samples: int = 3) -> str:
        """The table as a ``CREATE TABLE`` statement, with its comment and ``samples`` rows as SQL comments."""
        lines = [f"-- {_one_line(self.comment)}"] if self.comment else []
        keys = [c.name for c in self.columns if c.primary_key]
        body = []
        for c in self.columns:
            line = f"  {_ident(c.name)} {c.type or 'TEXT'}" + (" PRIMARY KEY" if keys == [c.name] else "")
            body.append(line + (f"  -- {_one_line(c.comment)}" if c.comment else ""))
        if len(keys) > 1:
            body.append(f"  PRIMARY KEY ({', '.join(_ident(k) for k in keys)})")
        for fk in self.foreign_keys:
            column, arrow, target = fk.partition(" -> ")
            table, dot, ref = target.rpartition(".")
            if arrow and dot:
                body.append(f"  FOREIGN KEY ({_ident(column)}) REFERENCES {_ident(table)}({_ident(ref)})")
        # Commas go before a column's own "--" comment, or they would be commented out.
        joined = [_comma_before_comment(b) for b in body[:-1]] + body[-1:]
        lines += [f"CREATE TABLE {_ident(self.name)} (", *joined, ");"]
        lines += (f"-- e.g. ({', '.join(_sample(v) for v in row)})" for row in self.sample_rows[:samples])
        return "\n".join(lines)


class ValueHint(NamedTuple):
    """A stored value that a question names: ``customers.name = 'Harbor Pharma Inc'``."""

    table: str
    column: str
    value: str

    def render(self) -> str:
        return f"{_ident(self.table)}.{_ident(self.column)} = '{self.value.replace(chr(39), chr(39) * 2)}'"


def _ident(name: str) -> str:
    """``name`` as a SQL identifier, double-quoted unless it is a plain word."""
    return name if _PLAIN.fullmatch(name) else '"' + name.replace('"', '""') + '"'


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _comma_before_comment(line: str) -> str:
    code, sep, comment = line.partition("  -- ")
    return f"{code},{sep}{comment}" if sep else f"{line},"


def _sample(value: Any) -> str:
    """One sample cell as a SQL literal, cut when long."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int | float):
        return str(value)
    text = _one_line(str(value))
    if len(text) > MAX_SAMPLE_CHARS:
        text = text[:MAX_SAMPLE_CHARS] + "…"
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Catalog:
    """Cached views of the sources' servers; every fetch is a step in ``trace`` when one is set.

    ``trace`` is the current question's: a context variable, so that questions answered at
    once in several threads (``agent serve``) each record only their own steps.
    """

    hub: McpHub
    sources: dict[str, SourceConfig]
    _trace: ContextVar[Trace | None] = field(
        default_factory=lambda: ContextVar("catalog_trace", default=None), init=False, repr=False
    )
    _tables: dict[str, list[TableInfo]] = field(default_factory=dict)
    _dialects: dict[str, str | None] = field(default_factory=dict)
    _schemas: dict[tuple[str, str], TableSchema] = field(default_factory=dict)
    _titles: dict[str, list[str]] = field(default_factory=dict)
    _values: dict[tuple[str, str], list[ValueHint]] = field(default_factory=dict)

    @property
    def trace(self) -> Trace | None:
        return self._trace.get()

    @trace.setter
    def trace(self, trace: Trace | None) -> None:
        self._trace.set(trace)

    def source(self, name: str) -> SourceConfig:
        try:
            return self.sources[name]
        except KeyError:
            raise SourceError(f"No source named '{name}'; known sources: {', '.join(self.sources)}.") from None

    def tools(self, source: str) -> list[RemoteTool]:
        return self.hub.tools_of(source)

    def down(self, source: str) -> str | None:
        """Why ``source`` cannot be used now, or None when it can."""
        return self.hub.down.get(source)

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

    def find_values(self, source: str, text: str) -> list[ValueHint]:
        """The stored values that ``text`` names, from the server's ``find_values`` tool.

        Empty when the server has no such tool (an older ragbox, another MCP server) or the
        call fails: hints only ever help, so their absence is never an error. Kept per text,
        since routing and the SQL strategy both ask about the same question.
        """
        key = (source, text[:MAX_VALUE_TEXT])
        if key not in self._values:
            if len(self._values) >= MAX_VALUE_LOOKUPS_KEPT:
                self._values.clear()
            self._values[key] = self._fetch_values(*key)
        return list(self._values[key])

    def _fetch_values(self, source: str, text: str) -> list[ValueHint]:
        tool = self.hub.find(source, "find_values")
        if tool is None:
            return []
        result = self.call_tool(tool.name, {"text": text})
        matches = (result.structured or {}).get("matches") if not result.is_error else None
        if not isinstance(matches, list):
            return []
        return [
            ValueHint(m["table"], m["column"], m["value"]) for m in matches
            if isinstance(m, dict) and all(isinstance(m.get(k), str) for k in ValueHint._fields)
        ]

    def document_titles(self, source: str) -> list[str]:
        if source not in self._titles:
            result = self.call(source, "list_sources", {})
            listed = (result.structured or {}).get("sources", []) if not result.is_error else []
            mine = [s for s in listed if s.get("name") == source] or listed
            self._titles[source] = [d.get("title") or d.get("path", "") for s in mine for d in s.get("documents", [])]
        return self._titles[source]
