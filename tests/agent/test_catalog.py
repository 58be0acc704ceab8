"""The catalog: tables rendered for a text-to-SQL prompt, and value hints from the SQL server."""

from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from agent.catalog import Catalog, Column, TableSchema, ValueHint
from agent.mcp_hub import McpHub, ServerSpec
from agent.trace import Trace
from connectors.sql.engine import SqlDatabase
from servers.sql import build_sql_server


def sales_catalog(hub: McpHub) -> Catalog:
    catalog = Catalog(hub, {})
    catalog.trace = Trace()
    return catalog


def test_a_table_renders_as_create_table_with_keys_comment_and_samples():
    schema = TableSchema(
        name="order_items", comment="Lines of\nan order",
        columns=(Column(name="order_id", type="INTEGER", primary_key=True),
                 Column(name="line", type="INTEGER", primary_key=True),
                 Column(name="note", type="TEXT", comment="free text")),
        foreign_keys=("order_id -> orders.order_id",),
        sample_rows=((1, 1, "x" * 60), (1, 2, None), (2, 1, "it's"), (3, 1, "four")),
    )
    assert schema.render() == "\n".join([
        "-- Lines of an order",
        "CREATE TABLE order_items (",
        "  order_id INTEGER,",
        "  line INTEGER,",
        "  note TEXT,  -- free text",
        "  PRIMARY KEY (order_id, line),",
        "  FOREIGN KEY (order_id) REFERENCES orders(order_id)",
        ");",
        f"-- e.g. (1, 1, '{'x' * 40}…')",
        "-- e.g. (1, 2, NULL)",
        "-- e.g. (2, 1, 'it''s')",
    ])


def test_odd_identifiers_are_quoted_and_a_single_key_is_inline():
    schema = TableSchema(
        name='my "t"', comment=None,
        columns=(Column(name="id", type="INT", primary_key=True), Column(name="a b", type="TEXT")),
        foreign_keys=("a b -> other table.key col",),
    )
    assert schema.render() == "\n".join([
        'CREATE TABLE "my ""t""" (',
        "  id INT PRIMARY KEY,",
        '  "a b" TEXT,',
        '  FOREIGN KEY ("a b") REFERENCES "other table"("key col")',
        ");",
    ])


def test_the_servers_description_renders_with_its_foreign_keys(acme_sqlite: Path):
    server = build_sql_server([SqlDatabase(f"sqlite:///{acme_sqlite}", name="sales")])
    with McpHub([ServerSpec(target=server, source="sales", label="sql")]) as hub:
        schema = sales_catalog(hub).describe("sales", "customers")
    assert schema is not None
    text = schema.render()
    assert text.startswith("-- Companies that buy from Acme\nCREATE TABLE customers (\n  customer_id INTEGER PRIMARY KEY,")
    assert "  FOREIGN KEY (region_id) REFERENCES regions(region_id)" in text
    assert text.count("\n-- e.g. (") == 3


def test_value_hints_come_from_the_servers_find_values(acme_sqlite: Path):
    server = build_sql_server([SqlDatabase(f"sqlite:///{acme_sqlite}", name="sales")])
    with McpHub([ServerSpec(target=server, source="sales", label="sql")]) as hub:
        catalog = sales_catalog(hub)
        hints = catalog.find_values("sales", "How many orders did Harbor Pharma Inc cancel?")
    assert hints[:2] == [("customers", "name", "Harbor Pharma Inc"), ("orders", "status", "cancelled")]
    assert hints[0].render() == "customers.name = 'Harbor Pharma Inc'"
    assert [s.detail["tool"] for s in catalog.trace.steps] == ["sales_find_values"]


def test_a_hint_renders_quotes_in_names_and_values():
    assert ValueHint("pub list", "name", "O'Malley's").render() == "\"pub list\".name = 'O''Malley''s'"


def test_a_server_without_find_values_gives_no_hints_and_no_call():
    old = MCPServer("old-sql")
    old.add_tool(lambda sql: "rows", name="run_query")
    with McpHub([ServerSpec(target=old, source="sales", label="old")]) as hub:
        catalog = sales_catalog(hub)
        assert catalog.find_values("sales", "Harbor Pharma Inc") == []
    assert catalog.trace.steps == []


def test_a_failing_find_values_gives_no_hints():
    def find_values(text: str) -> str:
        raise ToolError("index unavailable")

    broken = MCPServer("broken")
    broken.add_tool(find_values, name="find_values")
    with McpHub([ServerSpec(target=broken, source="sales", label="broken")]) as hub:
        assert sales_catalog(hub).find_values("sales", "Harbor Pharma Inc") == []


def test_the_same_question_asks_the_server_once(acme_sqlite: Path):
    server = build_sql_server([SqlDatabase(f"sqlite:///{acme_sqlite}", name="sales")])
    with McpHub([ServerSpec(target=server, source="sales", label="sql")]) as hub:
        catalog = sales_catalog(hub)
        first = catalog.find_values("sales", "Orders of Harbor Pharma Inc")
        assert catalog.find_values("sales", "Orders of Harbor Pharma Inc") == first != []
    assert len(catalog.trace.steps) == 1
