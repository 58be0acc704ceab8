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
    assert "CREATE TABLE customers (\n  customer_id INTEGER PRIMARY KEY," in sql_call.prompt
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
    assert "CREATE TABLE customers (" in prompt
    assert "CREATE TABLE order_items (" not in prompt and "CREATE TABLE regions (" not in prompt
    linked = next(s for s in answer.trace.steps if s.name == "schema_linking").detail["tables"]
    assert "customers" in linked and len(linked) <= 2


def test_without_schema_linking_every_table_is_in_the_prompt(open_agent, llm):
    agent = sales_agent(open_agent, settings=AgentSettings(schema_linking=False))
    llm.script(Json({"sql": GOOD}), Text("240 [1]"))
    agent.ask(COUNT)
    tables = [t.name for t in agent.catalog.tables("sales")]
    assert all(f"CREATE TABLE {t} (" in llm.requests[0].prompt for t in tables)


def test_sql_examples_are_few_shot_material(open_agent, llm):
    example = {"question": "Revenue in 2024?", "sql": "SELECT SUM(amount) FROM invoices WHERE issued_on LIKE '2024%'"}
    agent = open_agent(kinds=("databases",), sql_examples=[example])
    llm.script(Json({"sql": GOOD}), Text("240 [1]"))
    agent.ask(COUNT)
    assert f"Q: Revenue in 2024?\nSQL: {example['sql']}" in llm.requests[0].prompt


EXAMPLES = [
    {"question": "How many customers are in each region?", "sql": "SELECT region_id, COUNT(*) FROM customers GROUP BY 1"},
    {"question": "What was invoiced revenue in 2024?", "sql": "SELECT SUM(amount) FROM invoices WHERE issued_on LIKE '2024%'"},
    {"question": "Which products cost the most?", "sql": "SELECT name FROM products ORDER BY unit_price DESC LIMIT 5"},
    {"question": "How many customers are there in Japan?", "sql": "SELECT COUNT(*) FROM customers WHERE region_id = 3"},
]
NAMED = "How many orders did Harbor Pharma Inc cancel?"


def user_prompt(request) -> str:
    return next(m["content"] for m in request.messages if m["role"] == "user")


def test_prompt_is_schema_then_examples_then_value_hints_then_the_question(open_agent, llm):
    agent = open_agent(kinds=("databases",), sql_examples=EXAMPLES[:2])
    llm.script(Json({"sql": GOOD}), Text("3 [1]"))
    answer = agent.ask(NAMED)
    prompt = user_prompt(llm.requests[0])
    lines = prompt.splitlines()
    assert lines[0].startswith("-- ") and lines[1].startswith("CREATE TABLE ")  # the first table's comment, then it
    assert prompt.endswith(f"Question: {NAMED}")
    hints = next(line for line in lines if line.startswith("-- values in the question: "))
    assert "customers.name = 'Harbor Pharma Inc'" in hints and "orders.status = 'cancelled'" in hints
    assert prompt.rindex("CREATE TABLE") < prompt.index("Q: ") < prompt.index(hints) < prompt.index("Question: ")
    recorded = next(s for s in answer.trace.steps if s.name == "value_hints").detail["hints"]
    assert "customers.name = 'Harbor Pharma Inc'" in recorded


def test_the_schema_part_of_the_prompt_does_not_depend_on_the_question(open_agent, llm):
    agent = open_agent(kinds=("databases",), settings=AgentSettings(schema_linking=False), sql_examples=EXAMPLES)
    llm.script(Json({"sql": GOOD}), Text("240 [1]"), Json({"sql": GOOD}), Text("3 [1]"))
    agent.ask(COUNT)
    agent.ask(NAMED)
    first, second = (user_prompt(r) for r in (llm.requests[0], llm.requests[2]))
    schema = first[: first.index("\n\nQ: ")]
    assert second.startswith(schema + "\n\nQ: ")
    assert llm.requests[0].messages[0] == llm.requests[2].messages[0]


def test_the_two_closest_examples_are_chosen_and_keep_their_config_order(open_agent, llm):
    agent = open_agent(kinds=("databases",), sql_examples=EXAMPLES)
    llm.script(Json({"sql": GOOD}), Text("240 [1]"))
    agent.ask("How many customers are there in each region?")
    prompt = user_prompt(llm.requests[0])
    shown = [e["question"] for e in EXAMPLES if f"Q: {e['question']}\n" in prompt]
    assert shown == [EXAMPLES[0]["question"], EXAMPLES[3]["question"]]


def test_no_value_hints_line_when_the_question_names_no_stored_value(open_agent, llm):
    agent = sales_agent(open_agent)
    llm.script(Json({"sql": GOOD}), Text("240 [1]"))
    answer = agent.ask(COUNT)
    assert "-- values in the question" not in llm.requests[0].prompt
    assert not any(s.name == "value_hints" for s in answer.trace.steps)


EMPTY = "SELECT order_id FROM orders WHERE status = 'Canceled'"
FIXED = "SELECT COUNT(*) AS n FROM orders WHERE status = 'cancelled'"


def test_a_filtered_query_with_no_rows_gets_one_repair_round_with_the_hints(open_agent, llm):
    agent = sales_agent(open_agent)
    llm.script(Json({"sql": EMPTY}), Json({"sql": FIXED}), Text("Many [1]"))
    answer = agent.ask("How many orders were cancelled?")
    repair = llm.requests[1].messages[-1]["content"]
    assert "returned no rows" in repair and "orders.status = 'cancelled'" in repair
    assert EMPTY in llm.requests[1].messages[-2]["content"]
    assert [c.purpose for c in answer.trace.llm_calls] == ["sql", "sql_repair", "answer"]
    assert answer.citations[0][1].sql == FIXED


def test_the_repair_may_keep_the_empty_query_and_the_empty_result_is_the_context(open_agent, llm):
    agent = sales_agent(open_agent)
    llm.script(Json({"sql": EMPTY}), Json({"sql": EMPTY}), Text("None [1]"))
    answer = agent.ask("How many orders were cancelled?")
    assert [s.detail["sql"] for s in answer.trace.steps if s.name == "sql"] == [EMPTY]  # not run twice
    assert "(0 rows)" in llm.requests[2].prompt and answer.citations[0][1].sql == EMPTY


def test_a_failed_repair_of_an_empty_result_falls_back_to_it_and_never_repairs_twice(open_agent, llm):
    agent = sales_agent(open_agent)
    llm.script(Json({"sql": EMPTY}), Json({"sql": "SELECT nope FROM orders WHERE 1 = 1"}), Text("None [1]"))
    answer = agent.ask("How many orders were cancelled?")
    assert [c.purpose for c in answer.trace.llm_calls] == ["sql", "sql_repair", "answer"]
    assert answer.citations[0][1].sql == EMPTY


def test_an_empty_result_without_a_filter_is_not_repaired(open_agent, llm):
    agent = sales_agent(open_agent)
    unfiltered = "SELECT customer_id FROM orders GROUP BY customer_id HAVING COUNT(*) > 100000"
    llm.script(Json({"sql": unfiltered}), Text("None [1]"))
    answer = agent.ask("Which customers placed more than 100000 orders?")
    assert [c.purpose for c in answer.trace.llm_calls] == ["sql", "answer"]
