"""Routing: forced, single source, embeddings with the margin rule, the LLM, fan-out."""

import pytest

from agent import AgentSettings, SourceError
from agent.routing import decide_by_margin
from testkit.llm_server import Json, Text

LEAVE = "How many days of paid annual leave do employees get?"
VAGUE = "Anything new since Monday?"


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"a": 0.62, "b": 0.40}, "a"),  # clear lead
        ({"a": 0.62, "b": 0.60}, None),  # inside the margin
        ({"a": 0.20, "b": 0.01}, None),  # clear lead, but too weak
        ({"a": 0.45}, "a"),
        ({}, None),
    ],
)
def test_margin_rule(scores, expected):
    assert decide_by_margin(scores, min_score=0.3, margin=0.06) == expected


def test_clear_question_is_routed_by_embeddings_without_an_llm_call(open_agent, llm):
    agent = open_agent()
    llm.script(Text("25 days [1]."))
    answer = agent.ask(LEAVE)
    assert answer.route.stage == "embedding" and answer.route.sources == ("handbook",)
    assert set(answer.route.scores) == {"handbook", "sales", "tickets"}
    best, *rest = sorted(answer.route.scores.values(), reverse=True)
    assert best - rest[0] >= AgentSettings().margin
    assert [c.purpose for c in answer.trace.llm_calls] == ["answer"]
    route_step = next(s for s in answer.trace.steps if s.name == "route")
    assert route_step.detail["stage"] == "embedding" and route_step.detail["scores"] == answer.route.scores


def test_unsure_embeddings_ask_the_llm_with_a_compact_enum_prompt(open_agent, llm):
    agent = open_agent()
    llm.script(Json({"source": "tickets"}), Calls_list_tickets(), Text("Tickets 7 and 9 are open [1]."))
    answer = agent.ask(VAGUE)
    assert answer.route.stage == "llm" and answer.route.sources == ("tickets",)
    route_call = llm.requests[0]
    assert route_call.schema["properties"]["source"]["enum"] == ["handbook", "sales", "tickets", "none"]
    assert route_call.options["temperature"] == 0
    assert route_call.prompt_tokens < 150, route_call.prompt  # schema included
    assert VAGUE in route_call.prompt and "Sales database" in route_call.prompt
    assert answer.trace.llm_calls[0].purpose == "route"


def Calls_list_tickets():
    from testkit.llm_server import Calls
    return Calls(("tickets_list_tickets", {"status": "open"}))


@pytest.mark.parametrize("llm_says", [Json({"source": "none"}), Text("I think sales?"), Json({"source": "hr"})])
def test_unsure_llm_fans_out_to_the_top_two(open_agent, llm, llm_says):
    agent = open_agent(kinds=("documents", "databases"))
    llm.script(llm_says, Json({"sql": "SELECT COUNT(*) FROM customers"}), Text("not found in the sources"))
    answer = agent.ask(VAGUE)
    assert answer.route.stage == "fanout"
    assert set(answer.route.sources) == {"handbook", "sales"}
    acted = [s.detail["source"] for s in answer.trace.steps if s.name == "act"]
    assert acted == list(answer.route.sources)


def test_fanout_keeps_the_two_best_scores(open_agent, llm):
    agent = open_agent(settings=AgentSettings(margin=1.0))  # embeddings never sure
    llm.script(Json({"source": "none"}), Calls_list_tickets(),
               Json({"sql": "SELECT COUNT(*) FROM customers"}), Text("not found in the sources"))
    route = agent.ask("open tickets for customers").route
    assert route.stage == "fanout" and len(route.sources) == 2
    ranked = sorted(route.scores, key=route.scores.get, reverse=True)
    assert list(route.sources) == ranked[:2]


def test_without_the_embedding_stage_the_llm_routes(open_agent, llm):
    agent = open_agent(settings=AgentSettings(embedding_router=False))
    llm.script(Json({"source": "handbook"}), Text("25 days [1]."))
    answer = agent.ask(LEAVE)
    assert answer.route.stage == "llm" and answer.route.scores == {}


def test_route_flag_forces_a_source_and_rejects_unknown_names(open_agent, llm):
    agent = open_agent()
    llm.script(Json({"sql": "SELECT COUNT(*) AS n FROM customers"}), Text("240 [1]."))
    answer = agent.ask(LEAVE, route="sales")
    assert answer.route.stage == "forced" and answer.route.sources == ("sales",)
    with pytest.raises(SourceError, match="handbook, sales, tickets"):
        agent.ask(LEAVE, route="hr")


def test_one_source_needs_no_routing(open_agent, llm):
    agent = open_agent(kinds=("documents",))
    llm.script(Text("25 days [1]."))
    assert agent.ask(VAGUE).route.stage == "single"


def test_router_model_answers_the_routing_call(open_agent, llm):
    agent = open_agent(llm={"router_model": "small"})
    llm.script(Json({"source": "tickets"}), Calls_list_tickets(), Text("ok [1]"))
    agent.ask(VAGUE)
    assert [r.model for r in llm.requests] == ["small", "qwen2.5:7b-instruct", "qwen2.5:7b-instruct"]


def test_follow_up_is_routed_with_the_previous_question(open_agent, llm):
    from agent import Turn
    agent = open_agent()
    llm.script(Text("25 days [1]."))
    answer = agent.ask("and for part-timers?", history=[Turn(question=LEAVE, answer="25 days [1].")])
    assert answer.route.stage == "embedding" and answer.route.sources == ("handbook",)
