"""Databases: link the schema, write SQL under a schema, run it, repair once.

The text-to-SQL prompt keeps what changes least first, so that llama.cpp's prompt
cache reuses it from one question to the next: the instructions, the linked tables
as ``CREATE TABLE`` statements, the few-shot examples closest to the question, the
stored values the question names (``find_values``), and the question last.

One repair call at most: after an error, or after a filtered query that found no
rows (a literal that does not match what is stored is the usual cause).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from agent.catalog import MAX_TABLES_PROFILED, Catalog, TableInfo, TableSchema, ValueHint
from agent.context import Citation, ContextBlock
from agent.json_reply import extract_json_object
from agent.kinds.base import SourceKind
from agent.llm import ChatMessage
from agent.mcp_hub import ToolResult
from agent.run import Run
from agent.unfence import unfence
from connectors.config import DatabaseSource, SourceConfig, SqlExample

__all__ = ["DatabaseKind", "link_tables", "pick_examples", "render_hints", "render_rows", "sql_messages"]

SQL_SCHEMA = {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]}
REPLY = 'Reply JSON {"sql": "..."}.'
FEW_SHOTS = 2
"""Few-shot examples per prompt: a 1.5B model copies their shape, so the closest ones are worth most."""

_STRING = re.compile(r"'(?:[^']|'')*'")
_WHERE = re.compile(r"\bWHERE\b", re.IGNORECASE)


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


def pick_examples(question: str, examples: Sequence[SqlExample], run: Run) -> list[SqlExample]:
    """The ``FEW_SHOTS`` examples most similar to ``question``, in config order."""
    if len(examples) <= FEW_SHOTS:
        return list(examples)
    if run.vectors is None:
        return list(examples[:FEW_SHOTS])
    scores = run.vectors.similarities(question, [e.question for e in examples])
    best = sorted(range(len(examples)), key=lambda i: scores[i], reverse=True)[:FEW_SHOTS]
    return [examples[i] for i in sorted(best)]


def render_hints(hints: Sequence[ValueHint]) -> str:
    """The stored values a question names, as one SQL comment line."""
    return "-- values in the question: " + ", ".join(h.render() for h in hints)


def sql_messages(
    question: str, schemas: Sequence[TableSchema], *, dialect: str | None = None,
    examples: Sequence[SqlExample] = (), hints: Sequence[ValueHint] = (),
) -> list[ChatMessage]:
    """The text-to-SQL prompt: schema, few-shot examples, value hints, then the question."""
    system = (
        f"Write one read-only {dialect or 'SQL'} SELECT that answers the question, using only the "
        "tables and columns below. Select only what the question asks for; aggregate and filter in "
        "SQL; write string literals exactly as the value hints give them. " + REPLY
    )
    parts = ["\n".join(s.render() for s in schemas)]
    if examples:
        parts.append("\n".join(f"Q: {e.question}\nSQL: {e.sql}" for e in examples))
    if hints:
        parts.append(render_hints(hints))
    parts.append(f"Question: {question}")
    return [ChatMessage(role="system", content=system), ChatMessage(role="user", content="\n\n".join(parts))]


def _has_where(sql: str) -> bool:
    """Whether ``sql`` has a WHERE clause (outside its string literals)."""
    return bool(_WHERE.search(_STRING.sub("''", sql)))


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
    """Text-to-SQL through ``list_tables``, ``describe_table``, ``find_values`` and ``run_query``."""

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
        examples = pick_examples(question, self._examples(source, run), run)
        hints = run.catalog.find_values(source.name, question)
        if hints:
            run.trace.add("value_hints", hints=[h.render() for h in hints])
        messages = sql_messages(question, schemas, dialect=run.catalog.dialect(source.name),
                                examples=examples, hints=hints)
        empty: tuple[str, ToolResult] | None = None  # a query that ran and found nothing: kept as a fallback
        for purpose in ("sql", "sql_repair"):
            reply = run.chat(purpose, messages, schema=SQL_SCHEMA)
            sql = str((extract_json_object(reply.text) or {}).get("sql") or "").strip()
            if not sql:
                problem = "Your reply had no SQL. Fix it."
            elif empty is not None and sql == empty[0]:
                break  # the model stands by its query: no rows is the answer
            else:
                run.trace.add("sql", sql=sql)
                result = run.catalog.call(source.name, "run_query", {"sql": sql})
                if result.is_error:
                    problem = f"That SQL failed: {unfence(result.text)[:600]} Fix it."
                elif purpose == "sql" and (result.structured or {}).get("row_count") == 0 and _has_where(sql):
                    empty = (sql, result)
                    problem = self._empty_problem(hints)
                else:
                    return [self._block(source, sql, result, run)]
            messages = [*messages, ChatMessage(role="assistant", content=reply.text[:2000]),
                        ChatMessage(role="user", content=f"{problem} {REPLY}")]
        if empty is not None:
            return [self._block(source, *empty, run)]
        run.trace.add("sql_gave_up", source=source.name)
        return []

    @staticmethod
    def _examples(source: SourceConfig, run: Run) -> list[SqlExample]:
        """The config's ``sql_examples``, then those learned from confirmed answers."""
        configured = list(source.sql_examples) if isinstance(source, DatabaseSource) else []
        learned = run.examples.for_source(source.name) if run.examples is not None else []
        if learned:
            run.trace.add("learned_examples", count=len(learned))
        return configured + learned

    @staticmethod
    def _empty_problem(hints: Sequence[ValueHint]) -> str:
        again = f" Values the question names, as stored: {', '.join(h.render() for h in hints)}." if hints else ""
        return (
            "That SQL ran but returned no rows. Check each string literal in WHERE against the values "
            f"as stored (spelling, case, format) and check the joins.{again} Fix the SQL, or reply with "
            "the same SQL if no rows is the right answer."
        )

    def _block(self, source: SourceConfig, sql: str, result: ToolResult, run: Run) -> ContextBlock:
        data = result.structured or {}
        run.trace.add("rows", row_count=data.get("row_count"), truncated=data.get("truncated"))
        text = render_rows(data, run.settings.max_rows_in_prompt) if data else unfence(result.text)
        return ContextBlock(
            text=text,
            citation=Citation(source=source.name, kind=self.name, sql=sql, row_count=data.get("row_count")),
        )
