"""The demo: Acme Corp's sales database, asked through the SQL MCP server.

    python -m examples.demo

It starts ``python -m servers sql --config examples/ragbox.toml`` as a real MCP
server over stdio, exactly as Claude Desktop would, lists the tables and runs
one question's SQL.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters
from rich.console import Console
from rich.table import Table

CONFIG = Path(__file__).with_name("ragbox.toml")
QUESTION = "Which five customers brought in the most revenue in 2025?"
SQL = """
SELECT c.name AS customer, ROUND(SUM(i.amount), 2) AS revenue_usd
FROM invoices AS i
JOIN orders AS o ON o.order_id = i.order_id
JOIN customers AS c ON c.customer_id = o.customer_id
WHERE i.issued_on BETWEEN '2025-01-01' AND '2025-12-31'
GROUP BY c.name
ORDER BY revenue_usd DESC
LIMIT 5
"""


def _table(title: str, columns: list[str], rows: list[list[object]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


async def run(console: Console) -> None:
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "servers", "sql", "--config", str(CONFIG)],
        env=dict(os.environ),
        cwd=str(CONFIG.parent.parent),
    )
    async with Client(server) as client:
        tools = await client.list_tools()
        console.print(f"[bold]MCP server up[/bold]; tools: {', '.join(t.name for t in tools.tools)}")

        tables = await client.call_tool("list_tables", {})
        listing = tables.structured_content["tables"]
        console.print(_table(
            "Tables in 'sales'",
            ["table", "rows", "comment"],
            [[t["name"], t["row_count"], t["comment"]] for t in listing],
        ))

        console.print(f"\n[bold]Question:[/bold] {QUESTION}")
        result = await client.call_tool("run_query", {"sql": SQL})
        if result.is_error:
            raise SystemExit(f"query failed: {result.content[0].text}")
        data = result.structured_content
        console.print(_table(f"SQL answer ({data['elapsed_ms']} ms)", data["columns"], data["rows"]))

        refused = await client.call_tool("run_query", {"sql": "DROP TABLE customers"})
        console.print(f"\n[bold]And a write is refused:[/bold] {refused.content[0].text}")


def main() -> None:
    anyio.run(run, Console())


if __name__ == "__main__":
    main()
