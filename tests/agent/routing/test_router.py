"""Routing: forced, single source, scores with the margin rule, the LLM among candidates, none, fan-out."""

import math

import pytest

from agent import NOT_FOUND, AgentSettings, SourceError
from agent.routing import decide_by_margin
from testkit.llm_server import Calls, Json, Text

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


def test_margin_rule_with_a_threshold_per_source():
    thresholds = {"a": 0.7, "b": 0.3, "c": math.inf}
    assert decide_by_margin({"a": 0.62, "b": 0.1}, min_score=thresholds, margin=0.1) is None
    assert decide_by_margin({"b": 0.62, "a": 0.1}, min_score=thresholds, margin=0.1) == "b"
    assert decide_by_margin({"c": 0.99, "a": 0.1}, min_score=thresholds, margin=0.1) is None


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
    assert set(route_step.detail["vote"]) == {"handbook", "sales", "tickets"}
    assert math.isclose(sum(route_step.detail["vote"].values()), 1.0, abs_tol=1e-3)


def test_unsure_embeddings_ask_the_llm_with_a_compact_enum_prompt(open_agent, llm):
    agent = open_agent()
    llm.script(Json({"source": "tickets"}), Calls(("tickets_list_tickets", {"status": "open"})),
               Text("Tickets 7 and 9 are open [1]."))
    answer = agent.ask(VAGUE)
    assert answer.route.stage == "llm" and answer.route.sources == ("tickets",)
    route_call = llm.requests[0]
    assert route_call.schema["properties"]["source"]["enum"] == ["handbook", "sales", "tickets", "none"]
    assert route_call.options["temperature"] == 0
    assert route_call.prompt_tokens < 160, route_call.prompt  # schema included
    assert VAGUE in route_call.prompt and "Sales database" in route_call.prompt
    assert answer.trace.llm_calls[0].purpose == "route"


def test_the_llm_router_sees_only_the_best_candidates_and_the_question_last(open_agent, llm):
    agent = open_agent(settings=AgentSettings(router_candidates=2, margin=1.0))  # embeddings never sure
    llm.script(Json({"source": "none"}), Json({"source": "none"}))
    first = agent.ask(VAGUE)
    second = agent.ask("Is anything broken in the office today?")
    for answer, request in zip((first, second), llm.requests):
        ranked = sorted(answer.route.scores, key=answer.route.scores.get, reverse=True)
        enum = request.schema["properties"]["source"]["enum"]
        assert set(enum) == {*ranked[:2], "none"} and enum[-1] == "none"
        assert f"{ranked[2]}:" not in request.prompt
        assert request.messages[-1]["content"].endswith(f"Question: {request.question}")
    # the instructions come first and do not change: a prompt cache keeps them
    assert llm.requests[0].messages[0] == llm.requests[1].messages[0]


def test_the_llm_router_is_told_what_the_question_names(open_agent, llm):
    agent = open_agent(settings=AgentSettings(margin=1.0, min_score=9.0))  # evidence alone never decides
    llm.script(Json({"source": "tickets"}), Calls(("tickets_get_ticket", {"ticket_id": 9})), Text("Open [1]."))
    answer = agent.ask("Anything new on ticket 9 since Monday?")
    assert answer.route.stage == "llm" and answer.route.sources == ("tickets",)
    prompt = llm.requests[0].messages[-1]["content"]
    assert "tickets: ticket 9" in prompt
    assert prompt.index("tickets: ticket 9") < prompt.index("Question: ")


@pytest.mark.parametrize("llm_says", [Json({"source": "none"}), Text("I think sales?"), Json({"source": "hr"}),
                                      Text('{"source": ')])
def test_llm_none_or_nonsense_ends_as_not_found_without_acting(open_agent, llm, llm_says):
    agent = open_agent(kinds=("documents", "databases"))
    llm.script(llm_says)
    answer = agent.ask(VAGUE)
    assert answer.route.stage == "none" and answer.route.sources == ()
    assert answer.text == NOT_FOUND
    assert not [s for s in answer.trace.steps if s.name == "act"]
    assert [c.purpose for c in answer.trace.llm_calls] == ["route"]
    # routing reads the catalog and its cheap evidence (keyword and passage hits, stored values); nothing else
    called = [(s.detail["tool"], s.detail["arguments"]) for s in answer.trace.steps if s.name == "tool"]
    assert not [t for t, _ in called if t.endswith("run_query")]
    assert all(args.get("mode") in ("keyword", "semantic") for t, args in called if t.endswith("search_documents"))


def test_two_strong_close_sources_are_both_asked_when_the_llm_says_none(open_agent, llm):
    agent = open_agent(settings=AgentSettings(min_score=0.0, margin=1.0))  # every source strong, none leads
    llm.script(Json({"source": "none"}), Calls(("tickets_list_tickets", {"status": "open"})),
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
    llm.script(Json({"source": "tickets"}), Calls(("tickets_list_tickets", {"status": "open"})), Text("ok [1]"))
    agent.ask(VAGUE)
    assert [r.model for r in llm.requests] == ["small", "qwen2.5:7b-instruct", "qwen2.5:7b-instruct"]


def test_follow_up_is_routed_with_the_previous_question(open_agent, llm):
    from agent import Turn
    agent = open_agent()
    llm.script(Text("25 days [1]."))
    answer = agent.ask("and for part-timers?", history=[Turn(question=LEAVE, answer="25 days [1].")])
    assert answer.route.stage == "embedding" and answer.route.sources == ("handbook",)


def test_a_documents_source_is_scored_by_its_best_passage_as_well_as_its_titles(open_agent, llm):
    agent = open_agent(kinds=("documents", "databases"))
    llm.script(Text("25 days [1]."))
    answer = agent.ask("Employees get 25 days of paid annual leave per year.")  # a passage, word for word
    route = next(s for s in answer.trace.steps if s.name == "route")
    passage = route.detail["evidence"]["handbook"]["passage"]
    assert passage > 0.7 and route.detail["best"]["handbook"] == pytest.approx(passage, abs=1e-3)  # beats every title
    assert answer.route.sources == ("handbook",) and answer.route.stage == "embedding"
