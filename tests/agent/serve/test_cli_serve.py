"""``python -m agent serve`` as a real process: real MCP server subprocesses, the fake LLM."""

from __future__ import annotations

import os
import subprocess
import sys

import openai
import pytest

from tests.agent.test_cli import write_config
from testkit.llm_server import FakeLLM, Json, Text
from testkit.servers import free_port, stop_process, wait_http
from tests.support import REPO

pytestmark = pytest.mark.slow


def test_serve_answers_over_the_openai_api_until_stopped(tmp_path, llm: FakeLLM, acme_sqlite) -> None:
    config = write_config(tmp_path, llm.url, acme_sqlite)
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "agent", "serve", "--config", str(config), "--port", str(port)],
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, timeout=60)
        api = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="none", max_retries=0)
        assert [m.id for m in api.models.list()] == ["ragbox", "ragbox:sales", "ragbox:tickets"]
        llm.script(Json({"sql": "SELECT COUNT(*) AS n FROM customers"}), Text("There are 240 customers [1]."))
        reply = api.chat.completions.create(
            model="ragbox", messages=[{"role": "user", "content": "How many customers are in the sales database?"}])
        assert reply.choices[0].message.content == (
            "There are 240 customers [1].\n\nSources:\n[1] sales: SQL SELECT COUNT(*) AS n FROM customers")
        assert reply.model_extra["ragbox"]["route"]["sources"] == ["sales"]
    finally:
        stop_process(proc)
        log.close()
    assert proc.returncode is not None


def test_serving_beyond_loopback_without_a_token_is_refused(tmp_path, llm: FakeLLM, acme_sqlite) -> None:
    config = write_config(tmp_path, llm.url, acme_sqlite)
    env = {k: v for k, v in os.environ.items() if k != "RAGBOX_AUTH_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "agent", "serve", "--config", str(config), "--host", "0.0.0.0"],
                            cwd=REPO, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert "without a token" in result.stderr and "RAGBOX_AUTH_TOKEN" in result.stderr
