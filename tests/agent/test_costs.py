"""LLM calls and prompt tokens per question, for each kind of source (measured on the fake).

The ceilings are what the prompts cost today, with a little room: a change that
makes them larger should be a decision, not an accident.
"""

import pytest

from testkit.llm_server import Calls, Json, Text

CASES = {
    # kind: (kinds configured, question, scripted replies, expected purposes, prompt-token ceiling)
    "documents": (("documents", "databases", "mcp_servers"), "How many days of paid annual leave do employees get?",
                  [Text("25 days [1].")], ["answer"], 450),
    "database": (("databases",), "How many customers are there?",
                 [Json({"sql": "SELECT COUNT(*) AS n FROM customers"}), Text("240 [1].")], ["sql", "answer"], 800),
    "mcp": (("mcp_servers",), "Which tickets are open?",
            [Calls(("tickets_list_tickets", {"status": "open"})), Text("7 and 9 [1].")], ["tool", "answer"], 900),
    "llm-routed": (("documents", "databases", "mcp_servers"), "Anything new since Monday?",
                   [Json({"source": "tickets"}), Calls(("tickets_list_tickets", {})), Text("ok [1]")],
                   ["route", "tool", "answer"], 1_100),
}


@pytest.mark.parametrize("case", list(CASES))
def test_calls_and_tokens_per_question(open_agent, llm, case, record_property):
    kinds, question, replies, purposes, ceiling = CASES[case]
    agent = open_agent(kinds=kinds)
    llm.script(*replies)
    answer = agent.ask(question)
    calls = answer.trace.llm_calls
    assert [c.purpose for c in calls] == purposes
    assert [c.prompt_tokens for c in calls] == [r.prompt_tokens for r in llm.requests]
    assert [c.output_tokens for c in calls] == [r.output_tokens for r in llm.requests]
    assert answer.trace.prompt_tokens == sum(r.prompt_tokens for r in llm.requests) <= ceiling
    record_property("prompt_tokens", {c.purpose: c.prompt_tokens for c in calls})
