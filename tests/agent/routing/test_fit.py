"""Fitting the no-LLM decision: thresholds that avoid misroutes, stored for one embedder and profile."""

import json
import logging
import math

from agent import NOT_FOUND
from agent.eval import GoldQuestion
from agent.routing import (FIT_FILE, Evidence, LabelledFeatures, RouterParams, SourceFeatures, evaluate,
                           fit_params, fit_router)
from testkit.llm_server import Json, Text


def sample(gold: str, **best: float) -> LabelledFeatures:
    share = 1 / len(best)
    return LabelledFeatures(id=f"{gold}-{sorted(best.items())}", gold=gold, features={
        name: SourceFeatures(vote=share, best=value, evidence=Evidence()) for name, value in best.items()})


def test_thresholds_keep_what_is_safe_and_leave_the_rest_to_the_llm():
    samples = [sample("docs", docs=0.8 + i / 100, db=0.2) for i in range(6)]
    samples += [sample("db", db=0.7 + i / 100, docs=0.3) for i in range(6)]
    samples += [sample("docs", db=0.6, docs=0.35), sample("none", db=0.62, docs=0.2)]  # db's look-alikes
    params = fit_params(samples, ["docs", "db"], RouterParams())
    figures = evaluate(params, samples)
    assert figures.misrouted == 0 and figures.right == 12 and figures.decided == 12
    assert 0.62 < params.thresholds["db"] <= 0.7
    assert math.isclose(figures.llm_rate, 2 / 14)


def test_a_source_that_is_never_safe_is_never_taken_alone():
    samples = [sample("db", docs=0.9, db=0.1), sample("none", docs=0.9, db=0.1)] * 3
    params = fit_params(samples, ["docs", "db"], RouterParams())
    assert math.isinf(params.thresholds["docs"]) and evaluate(params, samples).decided == 0


GOLD = [
    ("How many days of paid annual leave do employees get?", "handbook"),
    ("How many days of leave carry over to next year?", "handbook"),
    ("Within how many days must travel expense receipts be submitted?", "handbook"),
    ("Must laptops use full-disk encryption?", "handbook"),
    ("Where do I report phishing?", "handbook"),
    ("How many customers are there?", "sales"),
    ("Which customer placed the most orders?", "sales"),
    ("What is the total of all invoices?", "sales"),
    ("Which products sell best?", "sales"),
    ("What is ticket 7 about?", "tickets"),
    ("Is ticket 9 still open?", "tickets"),
    ("What will the weather be tomorrow?", "none"),
]


def questions():
    return [GoldQuestion(id=f"q{i}", question=q, source=s) for i, (q, s) in enumerate(GOLD)]


def test_the_fit_is_stored_and_the_router_uses_it(open_agent, llm, tmp_path):
    agent = open_agent()
    outcome = fit_router(agent, questions(), data_dir=tmp_path)
    assert outcome.path == tmp_path / FIT_FILE and outcome.after.misrouted == 0
    stored = json.loads(outcome.path.read_text(encoding="utf-8"))
    assert stored["embedder"] == agent.vectors.embedder.name and stored["profile_hash"]
    assert set(stored["params"]["thresholds"]) == {"handbook", "sales", "tickets"}
    assert not llm.requests  # fitting asks no LLM

    agent.vectors.data_dir = tmp_path  # where the agent keeps its files
    llm.script(Text("25 days [1]."))
    answer = agent.ask(GOLD[0][0])
    route_step = next(s for s in answer.trace.steps if s.name == "route")
    assert route_step.detail["params"] == "fit"


def test_a_stale_fit_is_ignored_with_a_warning(open_agent, llm, tmp_path, caplog):
    agent = open_agent()
    path = fit_router(agent, questions(), data_dir=tmp_path).path
    data = json.loads(path.read_text(encoding="utf-8"))
    data["profile_hash"] = "0" * 16  # as if a source's description had changed since
    data["params"]["thresholds"] = {"handbook": 0.0, "sales": 0.0, "tickets": 0.0}
    path.write_text(json.dumps(data), encoding="utf-8")

    agent.vectors.data_dir = tmp_path
    llm.script(Json({"source": "none"}))
    with caplog.at_level(logging.WARNING, logger="agent.routing"):
        answer = agent.ask("Anything new since Monday?")
    assert "stale router fit" in caplog.text and "route fit" in caplog.text
    assert answer.route.stage == "none" and answer.text == NOT_FOUND  # the defaults, not the zero thresholds
    assert any(s.name == "route_fit_ignored" for s in answer.trace.steps)
    assert next(s for s in answer.trace.steps if s.name == "route").detail["params"] == "defaults"


def test_a_fit_for_another_embedder_is_stale(open_agent, llm, tmp_path, caplog):
    agent = open_agent()
    path = fit_router(agent, questions(), data_dir=tmp_path).path
    data = json.loads(path.read_text(encoding="utf-8"))
    data["embedder"] = "some-other-model"
    path.write_text(json.dumps(data), encoding="utf-8")
    agent.vectors.data_dir = tmp_path
    llm.script(Text("25 days [1]."))
    with caplog.at_level(logging.WARNING, logger="agent.routing"):
        answer = agent.ask(GOLD[0][0])
    assert "some-other-model" in caplog.text
    assert next(s for s in answer.trace.steps if s.name == "route").detail["params"] == "defaults"
