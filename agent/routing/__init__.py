"""Routing a question to a source: scores and cheap evidence first, then the LLM, else none."""

from agent.routing.evidence import Evidence, gather_evidence
from agent.routing.features import RouteFeatures, SourceFeatures, route_features
from agent.routing.fit import Figures, LabelledFeatures, evaluate, fit_params
from agent.routing.fit_file import FIT_FILE, RouterFit, load_fit, read_fit, save_fit
from agent.routing.identifiers import find_identifiers, identifier_nouns
from agent.routing.labelled import FitOutcome, fit_problem_for, fit_router, label_features
from agent.routing.knn import Neighbour, Similarity, knn_similarity
from agent.routing.llm_router import Candidate, ask_router_llm, router_messages, router_schema
from agent.routing.params import RouterParams, decide_by_margin
from agent.routing.profiles import exposed_items, profile_hash, profile_items
from agent.routing.route import Route, Stage
from agent.routing.router import route_params, route_question

__all__ = [
    "FIT_FILE",
    "Candidate",
    "Evidence",
    "Figures",
    "FitOutcome",
    "LabelledFeatures",
    "Neighbour",
    "Route",
    "RouteFeatures",
    "RouterFit",
    "RouterParams",
    "Similarity",
    "SourceFeatures",
    "Stage",
    "ask_router_llm",
    "decide_by_margin",
    "evaluate",
    "exposed_items",
    "find_identifiers",
    "fit_params",
    "fit_problem_for",
    "fit_router",
    "gather_evidence",
    "identifier_nouns",
    "knn_similarity",
    "label_features",
    "load_fit",
    "profile_hash",
    "profile_items",
    "read_fit",
    "route_features",
    "route_params",
    "route_question",
    "router_messages",
    "router_schema",
    "save_fit",
]
