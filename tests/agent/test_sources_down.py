"""The agent with a source down: it answers from the others, and says which one is down."""

import os
import sys
from pathlib import Path

import pytest

from agent import Agent, McpHub, ServerSpec, ServerUnavailable, default_specs
from connectors.config import load_config
from testkit.llm_server import Json, Text

pytestmark = pytest.mark.slow


@pytest.fixture
def no_token_config(demo_config: Path, tmp_path: Path, llm) -> tuple[Path, dict[str, str]]:
    """The demo config on the fake LLM, served without TICKETS_TOKEN: the tickets API is down."""
    path = tmp_path / "ragbox.toml"
    path.write_text(demo_config.read_text() + f'\n[llm]\nprovider = "ollama"\nmodel = "qwen2.5:7b-instruct"\n'
                    f'host = "{llm.url}"\n')
    return path, {k: v for k, v in os.environ.items() if k != "TICKETS_TOKEN"}


def test_a_question_for_a_down_source_says_so_and_others_still_answer(no_token_config, llm):
    path, env = no_token_config
    config = load_config(path)
    with Agent(config, default_specs(config, path, env), env=env) as agent:
        assert set(agent.down()) == {"tickets"} and "TICKETS_TOKEN" in agent.down()["tickets"]
        assert agent.catalog.tools("tickets") == []

        down = agent.ask("What is the status of ticket 7?", route="tickets")
        assert "the tickets source is unavailable" in down.text and "TICKETS_TOKEN" in down.text
        assert down.citations == [] and down.trace.llm_calls == []
        assert any(s.name == "sources_down" for s in down.trace.steps)

        llm.script(Json({"sql": "SELECT count(*) AS n FROM customers"}), Text("There are 240 customers [1]."))
        sales = agent.ask("How many customers are there?", route="sales")
        assert "240" in sales.text and sales.citations


def test_a_failing_all_sources_server_is_one_error_with_its_own_last_line(capfd):
    script = "import sys; print('warming up', file=sys.stderr); print('Error: the config is broken', file=sys.stderr)"
    spec = ServerSpec.command([sys.executable, "-c", script], label="python -m servers all")
    with pytest.raises(ServerUnavailable) as raised:
        with McpHub([spec]):
            pass
    assert str(raised.value) == "Could not start or reach the MCP server python -m servers all: the config is broken"
    assert "the config is broken" not in capfd.readouterr().err  # said once, by the agent, not by the child too
