"""Databases: link the schema, write SQL under a schema, run it, repair once on error."""

from __future__ import annotations

from typing import Any

from agent.catalog import MAX_TABLES_PROFILED, Catalog, TableInfo, TableSchema
from agent.context import Citation, ContextBlock
from agent.json_reply import extract_json_object
from agent.kinds.base import SourceKind
from agent.llm import ChatMessage
from agent.mcp_hub import ToolResult
from agent.run import Run
from agent.unfence import unfence
from connectors.config import DatabaseSource, SourceConfig

__all__ = ["DatabaseKind", "link_tables", "render_rows", "sql_messages"]

SQL_SCHEMA = {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]}


def link_tables(question: str, tables: list[TableInfo], run: Run) -> list[TableInfo]:
    """The tables most similar to ``question`` (all of them when linking is off or moot)."""
    keep = run.settings.linked_tables
    if not run.settings.schema_linking or run.vectors is None or len(tables) <= keep:
        return tables
    texts = [f"{t.name}" + (f": {t.comment}" if t.comment else "") for t in tables]
    scores = run.vectors.similarities(question, texts)
    ranked = sorted(zip(tables, scores), key=lambda ts: ts[1], reverse=True)
    # Top ``keep``, without the ones far behind the best (they only cost prompt tokens).
    ranked = [ts for ts in ranked[:keep] if ts[1] >= ranked[0][1] * 0.5] or ranked[:1]
    run.trace.add("schema_linking", tables={t.name: round(s, 3) for t, s in ranked})
    chosen = {t.name for t, _ in ranked}
    return [t for t in tables if t.name in chosen]  # keep the server's order: stable prompts


def sql_messages(
    question: str, source: SourceConfig, schemas: list[TableSchema], dialect: str | None = None
) -> list[ChatMessage]:
    """The text-to-SQL prompt: the linked tables' schemas, the source's examples, the question."""
    dialect = dialect or "SQL"
    system = (
        f"Write one read-only {dialect} SELECT that answers the question, using only these tables. "
        'Aggregate and filter in SQL. Reply JSON {"sql": "..."}.'
    )
    parts = ["\n".join(s.render() for s in schemas)]
    examples = source.sql_examples if isinstance(source, DatabaseSource) else []
    if examples:
        parts.append("\n".join(f"Q: {e.question}\nSQL: {e.sql}" for e in examples))
    parts.append(f"Question: {question}")
    return [ChatMessage(role="system", content=system), ChatMessage(role="user", content="\n\n".join(parts))]


def render_rows(result: dict[str, Any], max_rows: int) -> str:
    """Columns and rows as compact pipe-separated text, with a note when cut short."""
    columns, rows = result.get("columns", []), result.get("rows", [])
    lines = [" | ".join(columns)]
    lines += (" | ".join("NULL" if v is None else str(v) for v in row) for row in rows[:max_rows])
    total = result.get("row_count", len(rows))
    note = f"{total} rows"
    if len(rows) > max_rows:
        note += f", first {max_rows} shown"
    if result.get("truncated"):
        note += "; more rows exist"
    return "\n".join(lines) + f"\n({note})"


class DatabaseKind(SourceKind):
    """Text-to-SQL through ``list_tables``, ``describe_table`` and ``run_query``."""

    name = DatabaseSource.kind

    def profile(self, source: SourceConfig, catalog: Catalog) -> list[str]:
        items = []
        for table in catalog.tables(source.name)[:MAX_TABLES_PROFILED]:
            schema = catalog.describe(source.name, table.name)
            columns = ", ".join(c.name for c in schema.columns) if schema else ""
            comment = f" ({table.comment})" if table.comment else ""
            items.append(f"{table.name}{comment}: {columns}")
        return items

    def gather(self, question: str, source: SourceConfig, run: Run) -> list[ContextBlock]:
        tables = link_tables(question, run.catalog.tables(source.name), run)
        schemas = [s for t in tables if (s := run.catalog.describe(source.name, t.name)) is not None]
        messages = sql_messages(question, source, schemas, run.catalog.dialect(source.name))
        for purpose in ("sql", "sql_repair"):
            reply = run.chat(purpose, messages, schema=SQL_SCHEMA)
            sql = str((extract_json_object(reply.text) or {}).get("sql") or "").strip()
            if sql:
                run.trace.add("sql", sql=sql)
                result = run.catalog.call(source.name, "run_query", {"sql": sql})
                if not result.is_error:
                    return [self._block(source, sql, result, run)]
                problem = f"That SQL failed: {unfence(result.text)[:600]}"
            else:
                problem = "Your reply had no SQL."
            messages = [*messages, ChatMessage(role="assistant", content=reply.text[:2000]),
                        ChatMessage(role="user", content=problem + ' Fix it. Reply JSON {"sql": "..."}.')]
        run.trace.add("sql_gave_up", source=source.name)
        return []

    def _block(self, source: SourceConfig, sql: str, result: ToolResult, run: Run) -> ContextBlock:
        data = result.structured or {}
        run.trace.add("rows", row_count=data.get("row_count"), truncated=data.get("truncated"))
        text = render_rows(data, run.settings.max_rows_in_prompt) if data else unfence(result.text)
        return ContextBlock(
            text=text,
            citation=Citation(source=source.name, kind=self.name, sql=sql, row_count=data.get("row_count")),
        )
