"""Routing a question to a source: embeddings first, then the LLM, then fan-out."""

from agent.routing.embedding_router import decide_by_margin, score_sources
from agent.routing.llm_router import ask_router_llm, router_messages, router_schema
from agent.routing.profiles import profile_items
from agent.routing.route import Route, Stage
from agent.routing.router import route_question

__all__ = [
    "Route",
    "Stage",
    "ask_router_llm",
    "decide_by_margin",
    "profile_items",
    "route_question",
    "router_messages",
    "router_schema",
    "score_sources",
]
