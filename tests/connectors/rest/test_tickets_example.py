"""The example ticketing API: its committed spec and database stay in sync with the code."""

from __future__ import annotations

import sqlite3

import yaml

from examples.tickets.__main__ import SPEC_PATH, render_openapi
from examples.tickets.app import create_app
from examples.tickets.generate import DB_PATH, generate
from tests.support import ACME_DB, data_digest


def test_committed_openapi_matches_the_app():
    committed = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    assert committed == create_app().openapi(), "run `python -m examples.tickets --write-openapi`"
    assert SPEC_PATH.read_text(encoding="utf-8") == render_openapi()


def test_database_is_generated_deterministically(tmp_path):
    fresh = generate(tmp_path / "tickets.db")
    assert data_digest(f"sqlite:///{fresh}") == data_digest(f"sqlite:///{DB_PATH}")


def test_customers_are_the_sales_databases_customers():
    tickets = sqlite3.connect(f"file:{DB_PATH}?mode=ro", uri=True)
    sales = sqlite3.connect(f"file:{ACME_DB}?mode=ro", uri=True)
    try:
        ours = tickets.execute("SELECT customer_id, name FROM customers ORDER BY 1").fetchall()
        theirs = sales.execute("SELECT customer_id, name FROM customers ORDER BY 1").fetchall()
        staff = {r[0] for r in sales.execute("SELECT name FROM employees")}
        assignees = {r[0] for r in tickets.execute("SELECT DISTINCT assignee FROM tickets WHERE assignee IS NOT NULL")}
    finally:
        tickets.close()
        sales.close()
    assert ours == theirs
    assert assignees and assignees <= staff
