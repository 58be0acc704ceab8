"""The database strategy against the real SQL MCP server over a copy of the demo database."""

from agent import AgentSettings, NOT_FOUND
from testkit.llm_server import Json, Text

COUNT = "How many customers are there?"
GOOD = "SELECT COUNT(*) AS n FROM customers"


def sales_agent(open_agent, **kwargs):
    return open_agent(kinds=("databases",), **kwargs)


def test_sql_runs_and_rows_with_sql_become_the_cited_context(open_agent, llm):
    agent = sales_agent(open_agent)
    llm.script(Json({"sql": GOOD}), Text("There are 240 customers [1]."))
    answer = agent.ask(COUNT)
    sql_call, answer_call = llm.requests
    assert "SQLite" in sql_call.prompt and sql_call.schema["required"] == ["sql"]
    assert "customers(customer_id INTEGER PK" in sql_call.prompt
    assert "n\n240\n(1 rows)" in answer_call.prompt and GOOD in answer_call.prompt
    assert "<untrusted-data" in answer_call.prompt
    (n, citation), = answer.citations
    assert n == 1 and citation.kind == "database" and citation.sql == GOOD and citation.source == "sales"
    assert any(s.name == "rows" and s.detail["row_count"] == 1 for s in answer.trace.steps)


def test_guard_refusal_gets_one_repair_round_with_the_rule(open_agent, llm):
    agent = sales_agent(open_agent)
    llm.script(Json({"sql": "DELETE FROM customers"}), Json({"sql": GOOD}), Text("240 [1]"))
    answer = agent.ask(COUNT)
    repair = llm.requests[1]
    assert "read_only" in repair.messages[-1]["content"] and "DELETE FROM customers" in repair.messages[-2]["content"]
    assert [c.purpose for c in answer.trace.llm_calls] == ["sql", "sql_repair", "answer"]
    assert answer.citations[0][1].sql == GOOD


def test_database_error_gets_one_repair_round_with_the_message(open_agent, llm):
    agent = sales_agent(open_agent)
    llm.script(Json({"sql": "SELECT COUNT(*) FROM customerz"}), Json({"sql": GOOD}), Text("240 [1]"))
    agent.ask(COUNT)
    assert "no such table: customerz" in llm.requests[1].messages[-1]["content"]


def test_after_one_failed_repair_it_gives_up_without_an_answer_call(open_agent, llm):
    agent = sales_agent(open_agent)
    llm.script(Json({"sql": "DROP TABLE customers"}), Text("not json at all"))
    answer = agent.ask(COUNT)
    assert answer.text == NOT_FOUND and answer.citations == []
    assert [c.purpose for c in answer.trace.llm_calls] == ["sql", "sql_repair"]


def test_sql_in_prose_or_a_code_fence_is_accepted(open_agent, llm):
    agent = sales_agent(open_agent)
    llm.script(Text(f'Sure:\n```json\n{{"sql": "{GOOD}"}}\n```'), Text("240 [1]"))
    assert agent.ask(COUNT).citations[0][1].sql == GOOD


def test_schema_linking_describes_only_the_closest_tables(open_agent, llm):
    agent = sales_agent(open_agent, settings=AgentSettings(linked_tables=2))
    llm.script(Json({"sql": GOOD}), Text("240 [1]"))
    answer = agent.ask("How many customers are there?")
    prompt = llm.requests[0].prompt
    assert "customers(" in prompt and "order_items(" not in prompt and "regions(" not in prompt
    linked = next(s for s in answer.trace.steps if s.name == "schema_linking").detail["tables"]
    assert "customers" in linked and len(linked) <= 2


def test_without_schema_linking_every_table_is_in_the_prompt(open_agent, llm):
    agent = sales_agent(open_agent, settings=AgentSettings(schema_linking=False))
    llm.script(Json({"sql": GOOD}), Text("240 [1]"))
    agent.ask(COUNT)
    tables = [t.name for t in agent.catalog.tables("sales")]
    assert all(f"{t}(" in llm.requests[0].prompt for t in tables)


def test_sql_examples_are_few_shot_material(open_agent, llm):
    example = {"question": "Revenue in 2024?", "sql": "SELECT SUM(amount) FROM invoices WHERE issued_on LIKE '2024%'"}
    agent = open_agent(kinds=("databases",), sql_examples=[example])
    llm.script(Json({"sql": GOOD}), Text("240 [1]"))
    agent.ask(COUNT)
    assert f"Q: Revenue in 2024?\nSQL: {example['sql']}" in llm.requests[0].prompt
