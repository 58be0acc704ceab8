"""The read-only SQL MCP server: ``list_tables``, ``describe_table``, ``find_values``, ``run_query``.

The tools are thin: arguments in, ``connectors.sql`` does the work, our errors
come back as tool errors (``isError``) that tell the caller what to do instead.
Every result carries structured content for programs and compact, fenced text
for LLMs.
"""

# No ``from __future__ import annotations`` here: the tool signatures are built at
# run time (the ``database`` enum) and the SDK reads them with inspect.

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from connectors.errors import ConnectorError, SqlRefused
from connectors.sql.engine import Cell, SqlDatabase
from connectors.untrusted import fence
from servers.base import READ_ONLY, add_source_tool, new_server
from servers.clients import LOCAL
from servers.gate import current_caller

__all__ = ["build_sql_server", "register_sql_tools"]

MAX_VALUE_TEXT = 500
"""Characters of text ``find_values`` reads: a question, not a document."""


class TableOut(BaseModel):
    name: str
    row_count: int | None
    comment: str | None


class TablesOut(BaseModel):
    database: str
    dialect: str = Field(description="The SQL dialect to write, e.g. SQLite or PostgreSQL.")
    tables: list[TableOut]


class ColumnOut(BaseModel):
    name: str
    type: str
    nullable: bool
    primary_key: bool
    comment: str | None


class TableDescriptionOut(BaseModel):
    database: str
    table: str
    comment: str | None
    columns: list[ColumnOut]
    foreign_keys: list[str]
    sample_rows: list[list[Cell]]


class ValueMatchOut(BaseModel):
    table: str
    column: str
    value: str


class ValuesOut(BaseModel):
    database: str
    matches: list[ValueMatchOut] = Field(description="Stored values the text names, best first.")


class QueryOut(BaseModel):
    database: str
    columns: list[str]
    rows: list[list[Cell]]
    row_count: int
    truncated: bool
    elapsed_ms: float
    sql: str


def _render_rows(columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    def show(value: Cell) -> str:
        return "NULL" if value is None else str(value).replace("\n", "\\n").replace("|", "\\|")

    lines = [" | ".join(columns)]
    lines += (" | ".join(show(v) for v in row) for row in rows)
    return "\n".join(lines)


def _literal(value: str) -> str:
    """``value`` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _result(out: BaseModel, text: str, source: str, kind: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=fence(text, source=source, kind=kind))],
        structured_content=out.model_dump(mode="json"),
    )


def _describe_database(db: SqlDatabase) -> str:
    what = f" It holds: {db.description.rstrip('.')}." if db.description else ""
    return f"'{db.name}' ({db.dialect_name}).{what}"


def register_sql_tools(server: MCPServer, databases: Sequence[SqlDatabase], *, source: str | None = None) -> None:
    """Add the four SQL tools for ``databases`` to ``server``.

    With ``source`` (the all-in-one server: one database per source), the tools are
    named ``<source>_list_tables`` … and say in their ``_meta`` which source they read.
    """
    if not databases:
        raise ValueError("register_sql_tools needs at least one database")
    by_name = {db.name: db for db in databases}
    names = tuple(by_name)
    default = databases[0]
    Database = Annotated[
        Literal[names] | None,  # type: ignore[valid-type]
        Field(description=f"Which database; default '{default.name}'."),
    ]
    summary = " ".join(_describe_database(db) for db in databases)
    cap = max(db.limits.max_rows for db in databases)

    def pick(database: str | None) -> SqlDatabase:
        return by_name[database] if database else default

    def claims() -> dict[str, Any] | None:
        """The token claims that scope row-filtered tables; None for the local user, who sees every row.

        A caller over HTTP without a verified token (a static one) has no claims, so it sees
        no rows of a row-filtered table: the scope fails closed.
        """
        caller = current_caller()
        return None if caller is LOCAL else dict(caller.claims)

    def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SqlRefused as exc:
            raise ToolError(f"Refused by rule '{exc.rule}': {exc}") from exc
        except ConnectorError as exc:
            raise ToolError(str(exc)) from exc

    def list_tables(database: Database = None) -> Annotated[CallToolResult, TablesOut]:
        db = pick(database)
        tables = call(db.list_tables, claims=claims())
        out = TablesOut(
            database=db.name,
            dialect=db.dialect_name,
            tables=[TableOut(name=t.name, row_count=t.row_count, comment=t.comment) for t in tables],
        )
        text = "\n".join(
            f"{t.name} ({'?' if t.row_count is None else t.row_count} rows)"
            + (f": {t.comment}" if t.comment else "")
            for t in tables
        )
        return _result(out, f"dialect: {db.dialect_name}\n" + (text or "(no tables)"), db.name, "tables")

    def describe_table(
        table: Annotated[str, Field(description="Table name, as list_tables shows it.")],
        database: Database = None,
    ) -> Annotated[CallToolResult, TableDescriptionOut]:
        db = pick(database)
        d = call(db.describe_table, table, claims=claims())
        out = TableDescriptionOut(
            database=db.name,
            table=d.name,
            comment=d.comment,
            columns=[ColumnOut(**c.__dict__) for c in d.columns],
            foreign_keys=list(d.foreign_keys),
            sample_rows=[list(r) for r in d.sample_rows],
        )
        lines = [f"table {d.name}" + (f": {d.comment}" if d.comment else ""), "columns:"]
        for c in d.columns:
            flags = " PK" if c.primary_key else ""
            flags += "" if c.nullable else " NOT NULL"
            lines.append(f"  {c.name} {c.type}{flags}" + (f"  -- {c.comment}" if c.comment else ""))
        if d.foreign_keys:
            lines.append("foreign keys: " + ", ".join(d.foreign_keys))
        lines.append("sample rows:")
        lines.append(_render_rows([c.name for c in d.columns], d.sample_rows))
        return _result(out, "\n".join(lines), f"{db.name}.{d.name}", "schema")

    def find_values(
        text: Annotated[str, Field(max_length=MAX_VALUE_TEXT,
                                   description="The user's question, or the phrase that names a value.")],
        database: Database = None,
    ) -> Annotated[CallToolResult, ValuesOut]:
        db = pick(database)
        found = call(db.match_values, text)
        out = ValuesOut(
            database=db.name,
            matches=[ValueMatchOut(table=m.table, column=m.column, value=m.value) for m in found],
        )
        lines = [f"{m.table}.{m.column} = {_literal(m.value)}" for m in found]
        return _result(out, "\n".join(lines) or "(no stored value is named in the text)", db.name, "values")

    def run_query(
        sql: Annotated[str, Field(description="One read-only SELECT statement in the database's dialect.")],
        database: Database = None,
        limit: Annotated[
            int | None, Field(ge=1, le=cap, description=f"Most rows to return (at most {cap}).")
        ] = None,
    ) -> Annotated[CallToolResult, QueryOut]:
        db = pick(database)
        r = call(db.run_query, sql, limit=limit, claims=claims())
        out = QueryOut(
            database=db.name,
            columns=list(r.columns),
            rows=[list(row) for row in r.rows],
            row_count=r.row_count,
            truncated=r.truncated,
            elapsed_ms=r.elapsed_ms,
            sql=r.sql,
        )
        note = f"{r.row_count} rows" + (" (truncated: more rows exist; aggregate or filter)" if r.truncated else "")
        text = f"{_render_rows(r.columns, r.rows)}\n-- {note}; SQL run: {r.sql}"
        return _result(out, text, db.name, "rows")

    add_source_tool(
        server, list_tables, tool="list_tables", source=source,
        description=f"List the tables of the SQL database {summary} Returns each table's name, "
        "row count and comment. Start here before writing SQL.",
        annotations=READ_ONLY,
    )
    add_source_tool(
        server, describe_table, tool="describe_table", source=source,
        description="Describe one table of the SQL database: columns with types, primary key, "
        "foreign keys (col -> table.col) and 3 sample rows. Use it to get column names right "
        "before run_query.",
        annotations=READ_ONLY,
    )
    add_source_tool(
        server, find_values, tool="find_values", source=source,
        description="Find which text values of the database the question names (customer names, "
        "statuses, cities…), to write exact WHERE literals. Pass the question; each match gives the "
        "table, the column and the value exactly as stored (spelling and case).",
        annotations=READ_ONLY,
    )
    add_source_tool(
        server, run_query, tool="run_query", source=source,
        description=f"Run ONE read-only SQL query on the database {summary} Allowed: SELECT, "
        "WITH … SELECT, UNION/INTERSECT/EXCEPT, VALUES. Refused: writes, DDL, PRAGMA, ATTACH, "
        "SET, transactions, several statements, system catalogs. Write the dialect named above. "
        f"At most {cap} rows come back, so aggregate (COUNT, SUM, GROUP BY) and filter in SQL "
        "instead of fetching raw rows. A refused query returns the rule it broke: fix the SQL and "
        "try again.",
        annotations=READ_ONLY,
    )


def build_sql_server(
    databases: Sequence[SqlDatabase], *, name: str = "ragbox-sql", owns: bool = False
) -> MCPServer:
    """An MCP server exposing ``databases`` read-only; with ``owns``, it closes them when it stops."""
    listing = "; ".join(_describe_database(db) for db in databases)
    server = new_server(
        name, f"Read-only SQL over: {listing} Use list_tables, then describe_table "
        "(and find_values for the names and statuses a question mentions), then run_query.",
        owns=databases if owns else (),
    )
    register_sql_tools(server, databases)
    return server
