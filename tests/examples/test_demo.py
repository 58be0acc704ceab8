"""`make demo` runs `python -m examples.demo`: run it, with the fake LLM and with none."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.llm_server import Calls, Json, Reply, Request, Text
from testkit.servers import free_port
from tests.support import EXAMPLES, REPO

pytestmark = pytest.mark.slow


def demo_config(tmp_path: Path, llm_host: str, *, provider: str = "auto", hashing: bool = True) -> Path:
    """examples/ragbox.toml with absolute paths, a private data dir, a free API port, ``llm_host``
    and ``provider``; ``hashing`` swaps MiniLM for the fast hashing embedder."""
    text = (EXAMPLES / "ragbox.toml").read_text(encoding="utf-8")
    replacements = {
        'data_dir = "../.ragbox"': f'data_dir = "{tmp_path / "data"}"',
        'paths = ["acme/docs"]': f'paths = ["{EXAMPLES / "acme" / "docs"}"]',
        'url = "sqlite:///acme/acme.db"': f'url = "sqlite:///{EXAMPLES / "acme" / "acme.db"}"',
        'openapi = "tickets/openapi.yaml"': f'openapi = "{EXAMPLES / "tickets" / "openapi.yaml"}"',
        'base_url = "http://127.0.0.1:8765"': f'base_url = "http://127.0.0.1:{free_port()}"',
        'host = "http://127.0.0.1:11434"': f'host = "{llm_host}"',
        'provider = "auto"': f'provider = "{provider}"',
    }
    for old, new in replacements.items():
        assert old in text, f"examples/ragbox.toml no longer has {old!r}; update this test"
        text = text.replace(old, new)
    if hashing:  # fast; the demo's own default is MiniLM
        text = text.replace("[llm]", '[embeddings]\nprovider = "hashing"\n\n[llm]', 1)
    path = tmp_path / "ragbox.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_demo(config: Path, *, timeout: float = 300, **extra_env: str) -> str:
    env = {**{k: v for k, v in os.environ.items() if k != "TICKETS_TOKEN"}, **extra_env}
    proc = subprocess.run(
        [sys.executable, "-m", "examples.demo", "--config", str(config)],
        capture_output=True, text=True, timeout=timeout, cwd=REPO, env={**env, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def policy(request: Request) -> Reply:
    """A stand-in model that does the obvious thing for each kind of call."""
    question = request.question.lower()
    if request.schema and "source" in request.schema.get("properties", {}):
        return Json({"source": "sales" if "revenue" in question else "tickets" if "ticket" in question else "handbook"})
    if request.schema and "sql" in request.schema.get("properties", {}):
        return Json({"sql": "SELECT c.name, ROUND(SUM(i.amount), 2) AS revenue FROM invoices i "
                            "JOIN orders o ON o.order_id = i.order_id JOIN customers c USING (customer_id) "
                            "WHERE i.issued_on LIKE '2025%' GROUP BY c.name ORDER BY revenue DESC LIMIT 5"})
    if "tickets_getTicket" in request.tool_names and "untrusted-data" not in request.prompt:
        return Calls(("tickets_getTicket", {"ticket_id": 1}))  # no context yet: fetch it
    return Text("Here is what the sources say [1].")


def test_demo_asks_one_question_per_source_through_the_agent(tmp_path, llm):
    llm.reset(policy=policy, models=("qwen2.5:7b-instruct",))
    out = run_demo(demo_config(tmp_path, llm.url))
    flat = " ".join(out.split())
    assert flat.count("Here is what the sources say [1].") == 3
    for source in ("handbook", "sales", "tickets"):
        assert f"route: {source} by" in flat
    assert "[1] handbook" in flat  # each answer lists what [1] points to
    assert "SELECT c.name" in flat
    assert "getTicket" in flat
    assert "Cannot reach" not in flat
    assert f"LLM: ollama qwen2.5:7b-instruct at {llm.url}; Ollama at {llm.url} has qwen2.5:7b-instruct" in flat


def test_demo_without_an_llm_says_how_to_start_one_and_shows_the_sources(tmp_path):
    # provider = "ollama": with "auto" the embedded model would answer (test_demo_embedded.py)
    out = run_demo(demo_config(tmp_path, f"http://127.0.0.1:{free_port()}", provider="ollama"))
    flat = " ".join(out.split())
    assert "Cannot reach Ollama" in flat and "ollama serve" in flat
    assert "set [llm] host" in flat  # rich would take "[llm]" for markup and drop it
    assert "25 days of paid annual leave" in flat  # the handbook passage
    assert "Tidal Textiles KK" in flat  # the top customer of 2025, from SQL
    assert '"id":1' in flat.replace(" ", "")  # ticket 1 from the API
    assert "Traceback" not in out


@pytest.fixture(autouse=True)
def _no_stray_token(monkeypatch):
    """The demo falls back to the API's demo token; the tests prove that works."""
    monkeypatch.delenv("TICKETS_TOKEN", raising=False)
