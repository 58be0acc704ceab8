"""The nearest labelled items vote for their source; each source keeps its best cosine too."""

import math

from agent import AgentSettings
from agent.routing import knn_similarity
from agent.vectors import VectorCache
from connectors.embeddings import HashingEmbedder
from testkit.llm_server import Json, Text

ITEMS = {
    "fruit": ["apples pears bananas", "ripe mango and papaya", "orchard harvest"],
    "traffic": ["cars trucks buses", "motorway congestion", "parking garage fees"],
}


def test_the_nearest_items_vote_for_their_source():
    similarity = knn_similarity("ripe bananas and pears", ITEMS, VectorCache(HashingEmbedder), k=3,
                                temperature=0.05)
    assert similarity.vote["fruit"] > similarity.vote["traffic"]
    assert math.isclose(sum(similarity.vote.values()), 1.0, abs_tol=1e-3)
    assert similarity.best["fruit"] > similarity.best["traffic"]
    assert len(similarity.nearest) == 3 and similarity.nearest[0].source == "fruit"


def test_a_cold_temperature_gives_the_vote_to_the_single_nearest_item():
    similarity = knn_similarity("cars and buses", ITEMS, VectorCache(HashingEmbedder), k=5, temperature=0.001)
    assert similarity.vote["traffic"] > 0.99


def test_the_source_whose_examples_are_nearest_is_chosen(open_agent, llm):
    example = "Which reseller placed the largest consignment last spring?"
    agent = open_agent(databases=[{"name": "sales", "url": "sqlite:///acme.db", "examples": [example]}],
                       settings=AgentSettings(margin=0.05))
    llm.script(Json({"sql": "SELECT 1"}), Text("Nimbus [1]."))
    answer = agent.ask("Which reseller placed the largest consignment last autumn?")
    assert answer.route.stage == "embedding" and answer.route.sources == ("sales",)
