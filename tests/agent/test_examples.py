"""Examples learned from confirmed answers: the store, its guard, ``ask --confirm``, ``examples list|rm``,
and the SQL route using them as few-shot pairs."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.answer import Answer
from agent.cli import main
from agent.context import Citation
from agent.errors import AgentError
from agent.examples import MAX_SQL_CHARS, ExampleStore, learnable
from agent.routing import Route
from agent.trace import Trace
from connectors.config import ColumnMask, DatabaseSource, RowFilter
from testkit.llm_server import Json, Text
from tests.agent.test_cli import write_config


def test_the_store_adds_lists_replaces_and_removes(tmp_path):
    store = ExampleStore(tmp_path / "examples.db")
    assert store.list() == [] and not store.path.exists()  # reading never creates the file
    a = store.add("sales", "How many customers?", "SELECT COUNT(*) FROM customers")
    b = store.add("hr", "Who works in Sales?", "SELECT name FROM employees WHERE dept = 'Sales'")
    again = store.add("sales", "  How many   customers? ", "SELECT COUNT(id) FROM customers")
    assert again == a  # the same question replaces its SQL
    assert [(e.source, e.sql) for e in store.list()] == [("sales", "SELECT COUNT(id) FROM customers"),
                                                         ("hr", "SELECT name FROM employees WHERE dept = 'Sales'")]
    assert [e.question for e in store.for_source("hr")] == ["Who works in Sales?"]
    assert store.remove(b) and not store.remove(b)
    store.close()
    assert [e.id for e in ExampleStore(tmp_path / "examples.db").list()] == [a]  # it persists


def test_the_store_refuses_empty_and_oversized_examples(tmp_path):
    store = ExampleStore(tmp_path / "examples.db")
    for question, sql in (("", "SELECT 1"), ("q", " "), ("q", "SELECT " + "1," * MAX_SQL_CHARS + "1")):
        with pytest.raises(AgentError):
            store.add("sales", question, sql)
    assert store.list() == []


def test_the_store_is_safe_across_threads(tmp_path):
    store = ExampleStore(tmp_path / "examples.db")
    threads = [threading.Thread(target=lambda i=i: [store.add("s", f"q{i}-{j}", "SELECT 1") for j in range(20)])
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.list("s")) == 80


def answer_with(sql: str | None, source: str = "hr") -> Answer:
    citations = [(1, Citation(source=source, kind="database", sql=sql, row_count=1))] if sql else []
    return Answer(text="...", citations=citations, route=Route(sources=(source,), stage="forced"), trace=Trace())


HR = DatabaseSource(name="hr", url="sqlite:///hr.db",
                    mask=[ColumnMask(table="staff", column="salary", policy="deny", in_conditions="allow")],
                    row_filter=[RowFilter(table="clients", column="region_id", claim="region")])


@pytest.mark.parametrize(
    ("sql", "kept"),
    [
        ("SELECT name FROM staff WHERE team_id = 2", True),
        ("SELECT name FROM staff WHERE salary > 987123", False),        # a masked column: its literal is a value
        ("SELECT s.name FROM staff s ORDER BY s.SALARY", False),
        ("SELECT name FROM clients WHERE name = 'Bravo Labs'", False),  # a row-filtered table
        (None, False),                                                  # no SQL ran
    ],
)
def test_only_sql_that_ran_and_touches_no_governed_data_is_learnable(sql, kept):
    found = learnable(answer_with(sql), {"hr": HR})
    assert (found.sql is not None) is kept and (found.reason is None) is kept
    if kept:
        assert found.sql == sql and found.source == "hr"


def test_sql_of_a_source_that_is_not_a_database_is_not_learnable():
    assert learnable(answer_with("SELECT 1", source="tickets"), {"hr": HR}).sql is None


# -- the CLI and the SQL route, with the fake LLM and the real SQL server ---------------------

pytest_slow = pytest.mark.slow


@pytest_slow
def test_a_confirmed_answer_becomes_a_few_shot_example_and_can_be_deleted(tmp_path, llm, acme_sqlite):
    config = write_config(tmp_path, llm.url, acme_sqlite)
    runner = CliRunner()
    sql = "SELECT COUNT(*) AS n FROM customers WHERE industry = 'Retail'"
    llm.script(Json({"sql": sql}), Text("There are 12 [1]."))
    result = runner.invoke(main, ["ask", "How many retail customers are there?", "--config", str(config), "--route", "sales",
                                  "--confirm"],
                           input="y\n")
    assert result.exit_code == 0, result.output
    assert "Kept as example 1 for sales" in result.output

    listed = runner.invoke(main, ["examples", "list", "--config", str(config), "--json"])
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [(r["id"], r["source"], r["question"], r["sql"]) for r in rows] == [
        (1, "sales", "How many retail customers are there?", sql)]

    # The next question's SQL prompt carries the example.
    llm.reset()
    llm.script(Json({"sql": "SELECT COUNT(*) FROM customers WHERE industry = 'Energy'"}), Text("5 [1]."))
    result = runner.invoke(main, ["ask", "How many energy customers are there?", "--config", str(config), "--route", "sales",
                                  "--json"])
    assert result.exit_code == 0, result.output
    prompt = next(r.prompt for r in llm.requests if "Write one read-only" in r.prompt)
    assert f"Q: How many retail customers are there?\nSQL: {sql}" in prompt
    assert any(s["name"] == "learned_examples" for s in json.loads(result.output)["trace"]["steps"])

    removed = runner.invoke(main, ["examples", "rm", "1", "--config", str(config)])
    assert removed.exit_code == 0 and "Deleted example 1" in removed.output
    assert runner.invoke(main, ["examples", "rm", "1", "--config", str(config)]).exit_code == 1
    assert "No examples yet" in runner.invoke(main, ["examples", "list", "--config", str(config)]).output


@pytest_slow
def test_a_declined_or_failed_answer_is_not_kept(tmp_path, llm, acme_sqlite):
    config = write_config(tmp_path, llm.url, acme_sqlite)
    runner = CliRunner()
    llm.script(Json({"sql": "SELECT COUNT(*) FROM customers"}), Text("240 [1]."))
    declined = runner.invoke(main, ["ask", "How many customers?", "--config", str(config), "--route", "sales", "--confirm"], input="n\n")
    assert declined.exit_code == 0 and "Kept" not in declined.output
    # Wrong SQL twice: the SQL route gives up, so there is nothing that ran to keep.
    llm.script(Json({"sql": "SELECT nosuch FROM customers"}), Json({"sql": "SELEC oops"}))  # no answer call follows
    failed = runner.invoke(main, ["ask", "How many widgets?", "--config", str(config), "--route", "sales", "--confirm"],
                           input="y\n")
    assert failed.exit_code == 0, failed.output
    assert "Nothing to keep" in failed.output
    assert ExampleStore(Path(tmp_path / ".ragbox" / "examples.db")).list() == []
