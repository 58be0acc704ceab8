"""Routing in stages: forced → only one source → embeddings → LLM → fan-out to the top two."""

from __future__ import annotations

from collections.abc import Sequence

from agent.errors import SourceError
from agent.routing.embedding_router import decide_by_margin, score_sources
from agent.routing.llm_router import ask_router_llm
from agent.routing.profiles import profile_items
from agent.routing.route import Route
from agent.run import Run
from connectors.config import SourceConfig

__all__ = ["route_question"]


def route_question(question: str, sources: Sequence[SourceConfig], run: Run, *, forced: str | None = None) -> Route:
    """Choose the source(s) for ``question``; the trace records the stage and the scores."""
    route = _route(question, list(sources), run, forced)
    run.trace.add("route", stage=route.stage, sources=list(route.sources), scores=route.scores, reason=route.reason)
    return route


def _route(question: str, sources: list[SourceConfig], run: Run, forced: str | None) -> Route:
    names = [s.name for s in sources]
    if forced is not None:
        if forced not in names:
            raise SourceError(f"--route {forced}: no such source; use one of: {', '.join(names)}.")
        return Route(sources=(forced,), stage="forced", reason="--route")
    if not sources:
        raise SourceError("The config has no sources; add [[documents]], [[databases]], [[apis]] or [[mcp_servers]].")
    if len(sources) == 1:
        return Route(sources=(names[0],), stage="single", reason="the only source")

    scores: dict[str, float] = {}
    settings = run.settings
    if settings.embedding_router and run.vectors is not None:
        profiles = {s.name: profile_items(s, run.catalog) for s in sources}
        scores = score_sources(question, profiles, run.vectors)
        best = decide_by_margin(scores, min_score=settings.min_score, margin=settings.margin)
        if best is not None:
            return Route(sources=(best,), stage="embedding", scores=scores,
                         reason=f"best score leads by ≥ {settings.margin}")

    choice = ask_router_llm(question, sources, run)
    if choice is not None:
        return Route(sources=(choice,), stage="llm", scores=scores, reason="the LLM chose")

    ranked = sorted(names, key=lambda n: scores.get(n, 0.0), reverse=True)
    return Route(sources=tuple(ranked[:2]), stage="fanout", scores=scores,
                 reason="neither the embeddings nor the LLM were sure")
