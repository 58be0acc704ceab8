"""Tool calling against a real foreign MCP server (tickets): repair, never an unknown tool."""

import pytest

from agent import AgentSettings
from testkit.llm_server import Calls, Text

OPEN = "Which support tickets are open?"


def tickets_agent(open_agent, **kwargs):
    return open_agent(kinds=("mcp_servers",), **kwargs)


def tool_steps(answer):
    return [s.detail for s in answer.trace.steps if s.name == "tool"]


def test_a_native_tool_call_runs_and_its_result_is_cited(open_agent, llm):
    agent = tickets_agent(open_agent)
    llm.script(Calls(("tickets_list_tickets", {"status": "open"})), Text("Tickets 7 and 9 [1]."))
    answer = agent.ask(OPEN)
    tool_call = llm.requests[0]
    assert tool_call.tool_names == ["tickets_list_tickets", "tickets_get_ticket"]
    assert "anyOf" in str(tool_call.tools[0]["function"]["parameters"])  # schema intact
    assert "RoboVac X200 will not dock" in llm.requests[1].prompt
    (n, citation), = answer.citations
    assert citation.kind == "mcp" and citation.tool == "list_tickets" and citation.arguments == {"status": "open"}
    assert [c.purpose for c in answer.trace.llm_calls] == ["tool", "answer"]


@pytest.mark.parametrize("provider", ["ollama", "openai"])
@pytest.mark.parametrize(
    ("bad", "complaint"),
    [
        (Text('{"name": "tickets_get_ticket", "arguments": {"ticket_id": 7'), "not valid JSON"),  # cut short
        (Calls(("delete_everything", {})), "There is no tool 'delete_everything'"),  # unknown tool
        (Calls(("tickets_get_ticket", {"ticket_id": "seven"})), "'seven' is not of type 'integer'"),
        (Calls(("tickets_get_ticket", {"ticket_id": 12})), "No ticket 12"),  # the server's own error
    ],
)
def test_bad_calls_are_retried_once_with_what_was_wrong(open_agent, llm, bad, complaint, provider):
    agent = tickets_agent(open_agent, provider=provider)
    llm.script(bad, Calls(("tickets_get_ticket", {"ticket_id": 7})), Text("Ticket 7 [1]."))
    answer = agent.ask("What is ticket 7 about?")
    assert complaint in llm.requests[1].messages[-1]["content"]
    assert [c.purpose for c in answer.trace.llm_calls] == ["tool", "tool_repair", "answer"]
    assert tool_steps(answer)[-1] == {"tool": "tickets_get_ticket", "arguments": {"ticket_id": 7}, "is_error": False}
    assert all(step["tool"].startswith("tickets_") for step in tool_steps(answer))


def test_malformed_native_arguments_are_retried(open_agent, llm):
    agent = tickets_agent(open_agent, provider="openai")  # only OpenAI servers pass raw argument strings
    llm.script(Calls(("tickets_get_ticket", '{"ticket_id": 7')), Calls(("tickets_get_ticket", '{"ticket_id": 7}')),
               Text("Ticket 7 [1]."))
    answer = agent.ask("What is ticket 7 about?")
    assert "not a JSON object" in llm.requests[1].messages[-1]["content"]
    assert tool_steps(answer)[-1]["arguments"] == {"ticket_id": 7}


def test_an_unknown_tool_is_never_called_even_twice(open_agent, llm):
    agent = tickets_agent(open_agent)
    llm.script(Calls(("drop_db", {})), Calls(("drop_db", {})))
    answer = agent.ask(OPEN)
    assert tool_steps(answer) == [] and answer.text == "not found in the sources"


def test_small_model_repairs_that_need_no_second_call(open_agent, llm):
    agent = tickets_agent(open_agent)
    # Bare server name, a quoted number, and the call written as JSON text instead of a native call.
    llm.script(Text('I will call {"name": "get_ticket", "arguments": {"ticket_id": "8"}}'), Text("Twice [1]."))
    answer = agent.ask("What is ticket 8 about?")
    assert tool_steps(answer) == [{"tool": "tickets_get_ticket", "arguments": {"ticket_id": 8}, "is_error": False}]
    assert [c.purpose for c in answer.trace.llm_calls] == ["tool", "answer"]


def test_more_steps_happen_in_the_answer_call_up_to_the_limit(open_agent, llm):
    agent = tickets_agent(open_agent, settings=AgentSettings(max_tool_steps=2))
    llm.script(
        Calls(("tickets_list_tickets", {"status": "open"})),
        Calls(("tickets_get_ticket", {"ticket_id": 9})),  # step 2, asked from the answer call
        Text("Ticket 9 is about logging in [2]."),  # no tools offered any more
    )
    answer = agent.ask("What is the newest open ticket about?")
    assert llm.requests[1].tool_names and not llm.requests[2].tools
    assert "call it instead" in llm.requests[1].messages[0]["content"]
    assert [c for _, c in answer.citations][0].arguments == {"ticket_id": 9}
    assert [c.purpose for c in answer.trace.llm_calls] == ["tool", "answer", "answer"]


def test_a_model_that_calls_no_tool_gets_not_found(open_agent, llm):
    agent = tickets_agent(open_agent)
    llm.script(Text("I don't know."))
    assert agent.ask(OPEN).text == "not found in the sources"
