"""Masks and row filters through the SQL MCP server: what a client sees of governed columns and rows."""

from __future__ import annotations

from pathlib import Path

from mcp import Client

from connectors.config import ColumnMask, RowFilter
from connectors.sql.engine import SqlDatabase
from servers.sql import build_sql_server
from tests.support import run_async as run


def governed(acme_sqlite: Path):
    db = SqlDatabase(
        f"sqlite:///{acme_sqlite}", name="sales",
        masks=[ColumnMask(table="customers", column="email", policy="email_domain"),
               ColumnMask(table="employees", column="email", policy="deny")],
        row_filters=[RowFilter(table="customers", column="region_id", claim="region")],
    )
    return build_sql_server([db])


async def calls(server, *requests: tuple[str, dict]):
    async with Client(server) as client:
        return [await client.call_tool(tool, args) for tool, args in requests]


def test_a_client_gets_masked_cells_refusals_that_say_why_and_masked_samples(acme_sqlite):
    masked, denied, derived, described = run(calls, governed(acme_sqlite),
        ("run_query", {"sql": "SELECT c.email AS contact FROM customers c ORDER BY c.customer_id LIMIT 3"}),
        ("run_query", {"sql": "SELECT email FROM employees"}),
        ("run_query", {"sql": "SELECT lower(email) FROM customers"}),
        ("describe_table", {"table": "employees"}),
    )
    assert not masked.is_error
    assert all(row[0].startswith("***@") for row in masked.structured_content["rows"])
    assert "@" not in masked.content[0].text.replace("***@", "")
    assert denied.is_error and "Refused by rule 'masked_column'" in denied.content[0].text
    assert "leave it out" in denied.content[0].text
    assert derived.is_error and "computed from it" in derived.content[0].text
    columns = [c["name"] for c in described.structured_content["columns"]]
    email = columns.index("email")
    assert {row[email] for row in described.structured_content["sample_rows"]} == {"[denied]"}
    assert "masked: deny" in described.content[0].text


def test_the_local_user_of_a_stdio_or_in_process_server_sees_every_row(acme_sqlite):
    (result,) = run(calls, governed(acme_sqlite), ("run_query", {"sql": "SELECT COUNT(*) FROM customers"}))
    assert result.structured_content["rows"] == [[240]]
