"""``python -m agent`` end to end: real MCP servers as subprocesses, the fake LLM, clean errors."""

import json
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from agent.cli import main
from testkit.llm_server import Json, Text
from testkit.servers import free_port

pytestmark = pytest.mark.slow

ANSWER_SCHEMA = {
    "type": "object",
    "required": ["answer", "citations", "route", "trace"],
    "properties": {
        "answer": {"type": "string"},
        "citations": {"type": "array", "items": {"type": "object", "required": ["n", "source", "kind", "label"]}},
        "route": {"type": "object", "required": ["sources", "stage", "scores", "reason"]},
        "trace": {"type": "object", "required": ["steps", "llm_calls", "prompt_tokens", "output_tokens"]},
    },
}


def write_config(tmp_path: Path, host: str, db: Path, *, model: str = "qwen2.5:7b-instruct",
                 extra: str = "") -> Path:
    path = tmp_path / "ragbox.toml"
    path.write_text(f"""
[llm]
provider = "ollama"
model = "{model}"
host = "{host}"
timeout_s = 10

[embeddings]
provider = "hashing"

[[databases]]
name = "sales"
url = "sqlite:///{db}"
description = "Sales database: customers, orders, invoices"

[[mcp_servers]]
name = "tickets"
command = ["{sys.executable}", "-m", "tests.agent.ticket_server"]
description = "Support ticket tracker: customer tickets and their status"
{extra}
""", encoding="utf-8")
    return path


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_ask_json_over_real_server_subprocesses(tmp_path, llm, acme_sqlite):
    from testkit.llm_server import Json, Text
    config = write_config(tmp_path, llm.url, acme_sqlite)
    llm.script(Json({"sql": "SELECT COUNT(*) AS n FROM customers"}), Text("There are 240 customers [1]."))
    result = invoke("ask", "How many customers are in the sales database?", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    jsonschema.validate(data, ANSWER_SCHEMA)
    assert data["answer"] == "There are 240 customers [1]."
    assert data["route"]["sources"] == ["sales"] and data["route"]["stage"] == "embedding"
    assert data["citations"][0]["sql"] == "SELECT COUNT(*) AS n FROM customers"
    assert [c["purpose"] for c in data["trace"]["llm_calls"]] == ["sql", "answer"]


def test_ask_streams_then_lists_sources_and_trace(tmp_path, llm, acme_sqlite):
    from testkit.llm_server import Calls, Text
    config = write_config(tmp_path, llm.url, acme_sqlite)
    llm.script(Calls(("tickets_get_ticket", {"ticket_id": 7})), Text("It will not dock [1]."))
    result = invoke("ask", "What is ticket 7 about?", "--config", str(config), "--route", "tickets", "--trace")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("It will not dock [1].")
    assert "[1] tickets: get_ticket(ticket_id=7)" in result.output
    assert "forced" in result.output and "tickets_get_ticket" in result.output and "LLM calls" in result.output


def test_unreachable_llm_is_one_clean_line_and_exit_1(tmp_path, acme_sqlite):
    host = f"http://127.0.0.1:{free_port()}"
    config = write_config(tmp_path, host, acme_sqlite)
    result = invoke("ask", "How many customers?", "--config", str(config), "--route", "sales")
    assert result.exit_code == 1
    assert f"Cannot reach Ollama at {host}" in result.output and "ollama serve" in result.output
    assert "set [llm] host" in result.output
    assert "Traceback" not in result.output


def test_missing_model_says_ollama_pull(tmp_path, llm, acme_sqlite):
    config = write_config(tmp_path, llm.url, acme_sqlite, model="qwen9:1t")
    result = invoke("ask", "How many customers?", "--config", str(config), "--route", "sales")
    assert result.exit_code == 1 and "ollama pull qwen9:1t" in result.output


def test_a_dead_server_leaves_its_source_down_and_says_its_own_error_once(tmp_path, llm, acme_sqlite):
    # The message is assembled at run time: the command line itself (in the server's label) must not hold it.
    script = "import sys; print('Error: BROKEN_' + 'KEY is not set; export it', file=sys.stderr); sys.exit(3)"
    dead = f'\n[[mcp_servers]]\nname = "broken"\ncommand = ["{sys.executable}", "-c", "{script}"]\n'
    config = write_config(tmp_path, llm.url, acme_sqlite, extra=dead)
    result = invoke("ask", "anything", "--config", str(config), "--route", "broken")
    assert result.exit_code == 0, result.output
    assert "the broken source is unavailable" in result.output
    assert result.output.count("BROKEN_KEY is not set") == 1 and "Error: BROKEN_KEY" not in result.output
    assert llm.requests == []  # nothing to answer from: no LLM call is spent

    llm.script(Json({"sql": "SELECT COUNT(*) AS n FROM customers"}), Text("There are 240 customers [1]."))
    other = invoke("ask", "How many customers?", "--config", str(config), "--route", "sales")
    assert other.exit_code == 0 and "240 customers" in other.output

    listed = invoke("sources", "--config", str(config))
    assert listed.exit_code == 0 and "down: Could not start" in listed.output


def test_sources_lists_kinds_and_health(tmp_path, llm, acme_sqlite):
    config = write_config(tmp_path, llm.url, acme_sqlite)
    result = invoke("sources", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "sales" in result.output and "database" in result.output and "tickets" in result.output
    assert result.output.count("ok") >= 2


def test_sources_keeps_brackets_in_descriptions(tmp_path, llm, acme_sqlite):
    config = write_config(tmp_path, llm.url, acme_sqlite)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("Sales database: customers", "Sales [sqlite] database: customers"),
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["sources", "--config", str(config)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Sales [sqlite] database" in result.output  # rich would take "[sqlite]" for markup


def test_ask_trace_keeps_brackets_in_what_it_prints(tmp_path, llm, acme_sqlite):
    from testkit.llm_server import Json, Text
    config = write_config(tmp_path, llm.url, acme_sqlite)
    llm.script(Json({"sql": "SELECT '[llm] host' AS hint"}), Text("See [1]."))
    result = CliRunner().invoke(main, ["ask", "What is the hint?", "--config", str(config), "--route", "sales",
                                       "--trace"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "[llm] host" in result.output.split("Steps", 1)[1]  # the SQL in the trace's step details


def test_missing_config_is_a_clean_error(tmp_path):
    result = invoke("ask", "q", "--config", str(tmp_path / "none.toml"))
    assert result.exit_code == 1 and "No config file" in result.output


def test_chat_routes_a_follow_up_with_the_previous_question(tmp_path, llm, acme_sqlite):
    from testkit.llm_server import Json, Text
    config = write_config(tmp_path, llm.url, acme_sqlite)
    llm.script(Json({"sql": "SELECT COUNT(*) FROM orders"}), Text("5000 orders [1]."),
               Json({"sql": "SELECT COUNT(*) FROM orders WHERE order_date LIKE '2024%'"}), Text("1700 [1]."))
    result = CliRunner().invoke(main, ["chat", "--config", str(config)],
                                input="How many orders are in the sales database?\nand in 2024?\n\n")
    assert result.exit_code == 0, result.output
    assert "5000 orders [1]." in result.output and "1700 [1]." in result.output
    assert "follow-up to: How many orders" in llm.requests[2].prompt
    assert "Earlier question: How many orders" in llm.requests[3].prompt


def test_a_server_on_an_old_sdk_is_reached_with_the_legacy_handshake():
    from agent.mcp_hub import McpHub, ServerSpec

    spec = ServerSpec.command([sys.executable, "-m", "tests.agent.legacy_server"], source="old")
    with McpHub([spec]) as hub:
        assert list(hub.tools) == ["old_echo"]
        assert hub.call("old_echo", {"text": "still here"}).text == "still here"
