"""``python -m agent eval``: the real SQL server as a subprocess, the fake LLM, JSON out, --compare."""

import json
import threading

import pytest
from click.testing import CliRunner

from agent.cli import main
from testkit.llm_server import Json, Request, Text

GOLD = [
    {"id": "q1", "question": "How many customers are there?", "source": "sales", "facts": ["240"],
     "sql": "SELECT COUNT(*) FROM customers", "tags": ["easy"]},
    {"id": "q2", "question": "Which region has the most customers?", "source": "sales", "facts": ["EMEA"],
     "sql": "SELECT r.name FROM customers c JOIN regions r ON r.region_id = c.region_id "
            "GROUP BY r.name ORDER BY COUNT(*) DESC LIMIT 1"},
]


def write_files(tmp_path, llm_url, db):
    config = tmp_path / "ragbox.toml"
    config.write_text(f"""
[llm]
provider = "openai"
model = "qwen2.5:7b-instruct"
host = "{llm_url}"
timeout_s = 10

[embeddings]
provider = "hashing"

[[databases]]
name = "sales"
url = "sqlite:///{db}"
description = "Sales database: customers, orders, invoices"
""", encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in GOLD), encoding="utf-8")
    return config, questions


def policy(sql_for_q2: str):
    def reply(request: Request):
        if request.schema and "sql" in request.schema.get("properties", {}):
            asks_region = "region" in request.question
            return Json({"sql": sql_for_q2 if asks_region else "SELECT COUNT(*) AS n FROM customers"})
        return Text("There are 240 customers [1]." if "240" in request.prompt else "It is EMEA [1].")
    return reply


@pytest.mark.slow
def test_eval_writes_json_prints_tables_and_compares(tmp_path, llm, acme_sqlite):
    config, questions = write_files(tmp_path, llm.url, acme_sqlite)
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    llm.reset(policy=policy(GOLD[1]["sql"]))
    result = CliRunner().invoke(main, ["eval", str(questions), "--config", str(config), "--out", str(good)])
    assert result.exit_code == 0, result.output
    assert "Scores" in result.output and "Routing confusion" in result.output and "LLM calls by purpose" in result.output
    run = json.loads(good.read_text())
    assert run["meta"]["llm"]["provider"] == "openai" and len(run["questions"]) == 2
    overall = run["summary"]["overall"]
    assert overall["routing_accuracy"] == 1.0 and overall["sql_execution_accuracy"] == 1.0
    assert overall["llm_calls_total"] == len(llm.requests) == 4
    assert overall["prompt_tokens_total"] == sum(r.prompt_tokens for r in llm.requests)

    llm.reset(policy=policy("SELECT name FROM regions ORDER BY name LIMIT 1"))
    result = CliRunner().invoke(main, ["eval", str(questions), "--config", str(config), "--out", str(bad)])
    assert result.exit_code == 0, result.output
    assert "q2: Which region has the most customers?" in result.output and "SQL wrong" in result.output

    result = CliRunner().invoke(main, ["eval", "--compare", str(good), str(bad)])
    assert result.exit_code == 0, result.output
    assert "sql_execution_accuracy" in result.output and "-50%" in result.output
    assert "changed outcomes" in result.output and "SQL ok" in result.output


def test_eval_errors_are_one_line(tmp_path, llm, acme_sqlite):
    config, _ = write_files(tmp_path, llm.url, acme_sqlite)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "Q?"}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(bad), "--config", str(config)])
    assert result.exit_code == 1 and "line 1: 'source'" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["eval", "--config", str(config)])
    assert result.exit_code == 2 and "--compare" in result.output


@pytest.mark.slow
def test_eval_report_keeps_the_brackets_in_errors_and_questions(tmp_path, llm, acme_sqlite):
    config, questions = write_files(tmp_path, llm.url, acme_sqlite)
    config.write_text(config.read_text(encoding="utf-8").replace("timeout_s = 10", "timeout_s = 0.2"),
                      encoding="utf-8")
    questions.write_text(json.dumps({"id": "q1", "question": "How many customers are in [sales]?",
                                     "source": "sales", "facts": ["240"]}) + "\n", encoding="utf-8")
    answered = threading.Event()

    def slow(request: Request):
        answered.wait(timeout=10)  # answers only once the client has given up
        return Text("too late")

    llm.reset(policy=slow)
    try:
        result = CliRunner().invoke(main, ["eval", str(questions), "--config", str(config)], env={"COLUMNS": "250"})
    finally:
        answered.set()
    assert result.exit_code == 0, result.output  # a slow answer fails its question, not the run
    assert "q1: How many customers are in [sales]?" in result.output
    assert "set a longer timeout_s in [llm], or use a smaller model" in result.output


@pytest.mark.slow
def test_eval_writes_as_it_goes_so_a_run_that_dies_keeps_what_it_did(tmp_path, llm, acme_sqlite):
    from testkit.llm_server import Missing

    config, questions = write_files(tmp_path, llm.url, acme_sqlite)
    out = tmp_path / "run.json"
    answered = policy(GOLD[1]["sql"])
    llm.reset(policy=lambda request: Missing() if "region" in request.question else answered(request))
    result = CliRunner().invoke(main, ["eval", str(questions), "--config", str(config), "--out", str(out)])
    assert result.exit_code == 1 and "has no model" in result.output  # the model vanished mid-run
    run = json.loads(out.read_text())
    assert [q["id"] for q in run["questions"]] == ["q1"] and run["questions"][0]["answer_ok"] is True
    assert run["summary"]["overall"]["questions"] == 1


@pytest.mark.slow
def test_compare_with_questions_and_a_tag_compares_that_split_only(tmp_path, llm, acme_sqlite):
    config, questions = write_files(tmp_path, llm.url, acme_sqlite)
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    llm.reset(policy=policy(GOLD[1]["sql"]))
    assert CliRunner().invoke(main, ["eval", str(questions), "--config", str(config), "--out", str(good)]).exit_code == 0
    llm.reset(policy=policy("SELECT name FROM regions ORDER BY name LIMIT 1"))
    assert CliRunner().invoke(main, ["eval", str(questions), "--config", str(config), "--out", str(bad)]).exit_code == 0
    # q2 (the one that changed) has no "easy" tag: on that split nothing changed.
    result = CliRunner().invoke(main, ["eval", str(questions), "--tag", "easy", "--compare", str(good), str(bad)])
    assert result.exit_code == 0, result.output
    assert "0 changed outcomes" in result.output
    result = CliRunner().invoke(main, ["eval", str(questions), "--compare", str(good), str(bad)])
    assert "1 changed outcomes" in result.output
