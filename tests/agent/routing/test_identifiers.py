"""Identifiers shaped like a source's path parameters are strong evidence for it."""

import pytest

from agent.mcp_hub import RemoteTool
from agent.routing import find_identifiers, identifier_nouns


def tool(name: str, schema: dict, description: str = "") -> RemoteTool:
    return RemoteTool(name=name, remote_name=name, tool=name, source="desk", description=description,
                      input_schema=schema, server="desk")


GET_TICKET = tool("get_ticket", {"type": "object", "properties": {"ticket_id": {"type": "integer"}},
                                 "required": ["ticket_id"]})
GET_ORDER = tool("getOrder", {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
                 "Get an order. (Reads data via GET /orders/{id} on the 'desk' API.)")
LIST = tool("list_tickets", {"type": "object", "properties": {
    "status": {"enum": ["open", "closed"]}, "customer_id": {"type": "integer"}}})  # optional: a filter, not a key


def test_nouns_come_from_required_id_parameters_and_id_paths():
    assert identifier_nouns([GET_TICKET, GET_ORDER, LIST]) == ["order", "ticket"]


def test_other_script_nouns_come_from_the_sources_examples():
    examples = ["チケット200の担当者は誰ですか？", "2025年に一番売れた製品はどれですか？", "Show ticket 12."]
    assert identifier_nouns([GET_TICKET], examples) == ["ticket", "チケット"]
    assert identifier_nouns([LIST], examples) == []  # no tool looks anything up by id


@pytest.mark.parametrize(("question", "expected"), [
    ("What is the current status of ticket 42?", [("ticket", "42")]),
    ("Who owns ticket #1234?", [("ticket", "1234")]),
    ("Show the comments on ticket no. 7", [("ticket", "7")]),
    ("Is ticket TCK-77 closed?", [("ticket", "TCK-77")]),
    ("チケット105の現在のステータスを教えてください。", [("チケット", "105")]),
    ("チケット１０５は？", [("チケット", "105")]),  # full-width digits
    ("Where is order 5512 now?", [("order", "5512")]),
])
def test_a_number_or_code_after_the_noun_is_an_identifier(question, expected):
    assert find_identifiers(question, ["order", "ticket", "チケット"]) == expected


@pytest.mark.parametrize("question", [
    "How many tickets were opened in 2024?",
    "Who are urgent tickets escalated to after 30 minutes?",
    "Is a ticket 3 days old overdue?",
    "チケットは3件ありますか？",
    "How many orders are there?",
])
def test_counts_years_and_durations_are_not_identifiers(question):
    assert find_identifiers(question, ["order", "ticket", "チケット"]) == []


def test_a_ticket_number_routes_to_the_ticket_source_without_an_llm_call(open_agent, llm):
    from testkit.llm_server import Calls, Text
    agent = open_agent()
    llm.script(Calls(("tickets_get_ticket", {"ticket_id": 8})), Text("Ticket 8 was charged twice [1]."))
    answer = agent.ask("What happened with ticket 8?")
    assert answer.route.stage == "embedding" and answer.route.sources == ("tickets",)
    assert "ticket 8" in answer.route.reason
    route_step = next(s for s in answer.trace.steps if s.name == "route")
    assert route_step.detail["evidence"]["tickets"]["identifiers"] == ["ticket 8"]
    assert [c.purpose for c in answer.trace.llm_calls][0] != "route"
