"""``python -m agent route fit`` and ``route show`` over real server subprocesses; no LLM call."""

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import main

pytestmark = pytest.mark.slow

QUESTIONS = [
    ("How many customers are there?", "sales", "tune"),
    ("Which customer placed the most orders?", "sales", "tune"),
    ("What is the total of all invoices?", "sales", "tune"),
    ("What is ticket 7 about?", "tickets", "tune"),
    ("Is ticket 9 still open?", "tickets", "tune"),
    ("What will the weather be tomorrow?", "none", "tune"),
    ("Who wrote ticket 8?", "tickets", "check"),
]


def write_files(tmp_path: Path, host: str, db: Path) -> tuple[Path, Path]:
    config = tmp_path / "ragbox.toml"
    config.write_text(f"""
data_dir = "data"

[llm]
provider = "ollama"
model = "qwen2.5:7b-instruct"
host = "{host}"

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
""", encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps({"id": f"q{i}", "question": q, "source": s, "tags": [t]}) + "\n"
                                 for i, (q, s, t) in enumerate(QUESTIONS)), encoding="utf-8")
    return config, questions


def test_route_fit_writes_the_fit_and_route_show_reads_it(tmp_path, llm, acme_sqlite):
    config, questions = write_files(tmp_path, llm.url, acme_sqlite)
    runner = CliRunner()
    result = runner.invoke(main, ["route", "fit", str(questions), "--config", str(config), "--tag", "tune"])
    assert result.exit_code == 0, result.output
    assert "before (defaults)" in result.output and "after" in result.output and "LLM calls" in result.output
    stored = json.loads((tmp_path / "data" / "router.json").read_text(encoding="utf-8"))
    assert stored["questions"] == 6  # the "check" question is left out
    assert stored["embedder"].startswith("hashing") and stored["figures"]["after"]["misrouted"] == 0
    assert not llm.requests

    shown = runner.invoke(main, ["route", "show", "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    assert "6 questions: it applies" in shown.output and "thresholds:" in shown.output

    again = runner.invoke(main, ["route", "fit", str(questions), "--config", str(config), "--tag", "tune",
                                 "--dry-run"])
    assert again.exit_code == 0 and "before (fit)" in again.output and "Wrote" not in again.output


def test_route_fit_says_what_is_wrong_with_the_questions(tmp_path, llm, acme_sqlite):
    config, questions = write_files(tmp_path, llm.url, acme_sqlite)
    result = CliRunner().invoke(main, ["route", "fit", str(questions), "--config", str(config), "--tag", "nope"])
    assert result.exit_code == 1 and "tagged nope" in result.output
