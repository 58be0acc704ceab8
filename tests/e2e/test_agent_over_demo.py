"""The whole product: ``python -m agent ask`` → ``servers all`` subprocess → the demo's
documents, database and ticketing API, with the fake LLM as the only stand-in."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.llm_server import Calls, Json, Text
from tests.support import REPO, TICKETS_TOKEN

pytestmark = pytest.mark.slow


@pytest.fixture
def config(demo_config: Path, llm, tmp_path: Path) -> Path:
    """The demo config with its [llm] pointed at the fake."""
    path = tmp_path / "ragbox.toml"
    path.write_text(
        demo_config.read_text()
        + f'\n[llm]\nprovider = "ollama"\nmodel = "qwen2.5:7b-instruct"\nhost = "{llm.url}"\ntimeout_s = 20\n'
    )
    return path


def ask(config: Path, question: str, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "ask", question, "--config", str(config), "--json", *args],
        capture_output=True, text=True, timeout=180, cwd=REPO,
        env={**os.environ, "TICKETS_TOKEN": TICKETS_TOKEN},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_documents_question_searches_and_cites_the_handbook(config, llm):
    llm.script(Text("Submit expense reports within 30 days [1]."))
    out = ask(config, "How soon must I submit an expense report?", "--route", "handbook")
    assert out["route"]["sources"] == ["handbook"]
    assert out["citations"] and all(c["source"] == "handbook" for c in out["citations"])
    (answer_call,) = llm.requests
    assert "<untrusted-data" in answer_call.prompt  # passages arrive fenced as data
    assert out["trace"]["llm_calls"][0]["purpose"] == "answer"


def test_database_question_writes_sql_repairs_it_and_cites_the_query(config, llm):
    llm.script(
        Json({"sql": "SELECT COUNT(*) FROM clients"}),  # wrong table: the database refuses it
        Json({"sql": "SELECT COUNT(*) AS n FROM customers"}),
        Text("Acme has 240 customers [1]."),
    )
    out = ask(config, "How many customers do we have?", "--route", "sales")
    assert out["answer"] == "Acme has 240 customers [1]."
    assert out["citations"][0]["sql"].startswith("SELECT COUNT(*) AS n FROM customers")
    repair = llm.requests[1].prompt
    assert "clients" in repair  # the error went back to the model
    assert [c["purpose"] for c in out["trace"]["llm_calls"]] == ["sql", "sql_repair", "answer"]
    assert "240" in llm.requests[2].prompt


def test_api_question_calls_the_ticketing_api(config, llm):
    llm.script(Calls(("tickets_getTicket", {"ticket_id": 1})), Text("Ticket 1 is open [1]."))
    out = ask(config, "What is the status of ticket 1?", "--route", "tickets")
    assert out["citations"][0]["source"] == "tickets"
    assert "getTicket" in out["citations"][0]["label"]
    assert "\nid: 1\n" in llm.requests[1].prompt  # the ticket's JSON, as key: value lines
    assert not llm.requests[1].tools  # an API's answer call is offered no tools


def test_llm_router_picks_the_source_when_embeddings_are_unsure(config, llm):
    llm.script(Json({"source": "sales"}), Json({"sql": "SELECT COUNT(*) AS n FROM orders"}), Text("12000 [1]."))
    out = ask(config, "zzz qqq?")  # nothing for the embedding router to go on
    assert out["route"]["stage"] == "llm" and out["route"]["sources"] == ["sales"]
    assert llm.requests[0].schema["properties"]["source"]["enum"][-1] == "none"
