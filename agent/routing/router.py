"""Routing in stages: forced → only one source → scores and evidence → the LLM → none.

1. Each source is scored without an LLM call: its nearest profile items' vote, its best
   cosine, and cheap evidence (identifiers, stored values, keyword hits). A source whose
   score reaches its threshold and leads by the margin is taken (stage ``embedding``).
2. Otherwise the LLM picks among the best-scored candidates, or says none (stage ``llm``).
3. When it picks none (or answers outside the choices), two sources that both reach their
   thresholds and are close are both asked (``fanout``); else no source is (``none``), and
   the agent answers that the sources do not hold it.

The thresholds, weights and margin come from ``<data_dir>/router.json`` when
``python -m agent route fit`` made one for this embedder and these profiles, else
from :class:`agent.settings.AgentSettings`.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.errors import SourceError
from agent.routing.features import RouteFeatures, route_features
from agent.routing.fit_file import load_fit
from agent.routing.llm_router import Candidate, ask_router_llm
from agent.routing.params import RouterParams
from agent.routing.profiles import profile_hash, profile_items
from agent.routing.route import Route
from agent.run import Run
from connectors.config import SourceConfig

__all__ = ["route_params", "route_question"]


def route_question(question: str, sources: Sequence[SourceConfig], run: Run, *, forced: str | None = None) -> Route:
    """Choose the source(s) for ``question``; the trace records the stage and the scores."""
    route, detail = _route(question, list(sources), run, forced)
    run.trace.add("route", stage=route.stage, sources=list(route.sources), scores=route.scores, reason=route.reason,
                  **detail)
    return route


def route_params(profiles: dict[str, list[str]], run: Run) -> tuple[RouterParams, str]:
    """The parameters in force (a valid stored fit, else the settings) and where they come from."""
    defaults = RouterParams.from_settings(run.settings)
    if run.vectors is None or run.vectors.data_dir is None:
        return defaults, "defaults"
    params, problem = load_fit(run.vectors.data_dir, embedder=run.vectors.embedder.name,
                               profile_hash=profile_hash(profiles))
    if params is not None:
        return params, "fit"
    if problem is not None:
        run.trace.add("route_fit_ignored", reason=problem)
    return defaults, "defaults"


def _route(question: str, sources: list[SourceConfig], run: Run, forced: str | None) -> tuple[Route, dict]:
    names = [s.name for s in sources]
    if forced is not None:
        if forced not in names:
            raise SourceError(f"--route {forced}: no such source; use one of: {', '.join(names)}.")
        return Route(sources=(forced,), stage="forced", reason="--route"), {}
    if not sources:
        raise SourceError("The config has no sources; add [[documents]], [[databases]], [[apis]] or [[mcp_servers]].")
    if len(sources) == 1:
        return Route(sources=(names[0],), stage="single", reason="the only source"), {}

    settings = run.settings
    if not (settings.embedding_router and run.vectors is not None):
        candidates = [Candidate(source=s) for s in sources]
        choice = ask_router_llm(question, candidates, run)
        if choice is not None:
            return Route(sources=(choice,), stage="llm", reason="the LLM chose"), {}
        return Route(sources=(), stage="none", reason="the LLM found no source for the question"), {}

    profiles = {s.name: profile_items(s, run.catalog) for s in sources}
    params, origin = route_params(profiles, run)
    features = route_features(question, sources, run, k=params.k, temperature=params.temperature,
                              profiles=profiles)
    scores = params.scores(features.sources)
    detail = {"params": origin, **_detail(features)}
    best = params.decide(scores)
    if best is not None:
        said = _evidence_line(features, best, params)
        return Route(sources=(best,), stage="embedding", scores=scores,
                     reason=f"score leads by ≥ {params.margin}" + (f"; names {said}" if said else "")), detail

    ranked = sorted(sources, key=lambda s: scores[s.name], reverse=True)
    shortlist = {s.name for s in ranked[:max(settings.router_candidates, 1)]}
    candidates = [Candidate(source=s, evidence=_evidence_line(features, s.name, params))
                  for s in sources if s.name in shortlist]
    choice = ask_router_llm(question, candidates, run)
    if choice is not None:
        return Route(sources=(choice,), stage="llm", scores=scores, reason="the LLM chose"), detail

    strong = params.strong(scores)
    if len(strong) >= 2 and scores[strong[0]] - scores[strong[1]] < params.margin:
        return Route(sources=tuple(strong[:2]), stage="fanout", scores=scores,
                     reason="the LLM chose no candidate, and two sources score high and close"), detail
    return Route(sources=(), stage="none", scores=scores,
                 reason="the LLM chose no candidate, and no two sources score high and close"), detail


def _evidence_line(features: RouteFeatures, name: str, params: RouterParams) -> str:
    source = features.sources[name]
    return source.evidence.describe(keyword=params.keyword_match(source))


def _detail(features: RouteFeatures) -> dict:
    return {
        "vote": {n: f.vote for n, f in features.sources.items()},
        "best": {n: f.best for n, f in features.sources.items()},
        "evidence": {n: d for n, f in features.sources.items() if any((d := f.evidence.to_dict()).values())},
    }
