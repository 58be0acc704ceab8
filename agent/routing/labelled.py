"""Scoring labelled questions with the router's features, and fitting the router on them.

No LLM call is made: only the embedder and the cheap evidence tools, so a fit over a
hundred questions takes seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import AgentError
from agent.routing.features import route_features
from agent.routing.fit import MISROUTE_COST, Figures, LabelledFeatures, evaluate, fit_params
from agent.routing.fit_file import RouterFit, fit_problem, read_fit, save_fit
from agent.routing.params import RouterParams
from agent.routing.profiles import profile_hash, profile_items
from agent.run import Run
from agent.trace import Trace

if TYPE_CHECKING:
    from agent.agent import Agent
    from agent.eval import GoldQuestion

__all__ = ["FitOutcome", "fit_problem_for", "fit_router", "label_features"]


@dataclass(frozen=True, kw_only=True)
class FitOutcome:
    """What ``route fit`` did: the figures of the no-LLM decision before and after, and the fit."""

    before: Figures
    after: Figures
    before_from: str
    """"fit" (a valid stored fit) or "defaults"."""
    fit: RouterFit
    path: Path | None
    stale: str | None = None
    """Why the stored fit did not apply, when there was one that did not."""
    skipped: tuple[str, ...] = ()
    """Ids of questions whose gold source is not configured."""
    misrouted: tuple[str, ...] = field(default=())
    """Ids of questions the fitted decision still misroutes."""


def _run(agent: Agent) -> Run:
    return Run(llm=agent.llm, router_llm=agent.router_llm, catalog=agent.catalog, vectors=agent.vectors,
               settings=agent.settings, trace=Trace())


def label_features(agent: Agent, questions: Sequence[GoldQuestion], params: RouterParams, *,
                   on_question: Callable[[str], None] | None = None) -> list[LabelledFeatures]:
    """Each question's features (with ``params``' k and temperature) beside its gold source."""
    run = _run(agent)
    profiles = {s.name: profile_items(s, agent.catalog) for s in agent.sources}
    samples = []
    for question in questions:
        features = route_features(question.question, agent.sources, run, k=params.k,
                                  temperature=params.temperature, profiles=profiles)
        samples.append(LabelledFeatures(id=question.id, gold=question.source, features=features.sources))
        if on_question is not None:
            on_question(question.id)
    return samples


def fit_problem_for(agent: Agent, fit: RouterFit) -> str | None:
    """Why ``fit`` does not apply to ``agent``'s embedder and sources; None when it does."""
    if agent.vectors is None:
        return "the router has no embedder"
    profiles = {s.name: profile_items(s, agent.catalog) for s in agent.sources}
    return fit_problem(fit, embedder=agent.vectors.embedder.name, profile_hash=profile_hash(profiles))


def fit_router(agent: Agent, questions: Sequence[GoldQuestion], *, misroute_cost: float = MISROUTE_COST,
               write: bool = True, data_dir: Path | None = None,
               on_question: Callable[[str], None] | None = None) -> FitOutcome:
    """Fit the router's no-LLM decision on ``questions`` and store it in ``data_dir`` (default: the
    config's)."""
    names = {s.name for s in agent.sources}
    kept = [q for q in questions if q.source in names or not q.answerable]
    skipped = tuple(q.id for q in questions if q not in kept)
    if not kept:
        raise AgentError("No question names a configured source (or \"none\"); check the questions' "
                         f"'source' against the config's sources: {', '.join(sorted(names))}.")
    if agent.vectors is None:
        raise AgentError("The router has no embedder; set [embeddings] in the config.")
    data_dir = data_dir if data_dir is not None else agent.config.data_dir
    embedder = agent.vectors.embedder.name
    profiles = {s.name: profile_items(s, agent.catalog) for s in agent.sources}
    digest = profile_hash(profiles)

    defaults = RouterParams.from_settings(agent.settings)
    current, before_from, stale = defaults, "defaults", None
    stored = read_fit(data_dir)
    if stored is not None:
        stale = fit_problem(stored, embedder=embedder, profile_hash=digest)
        if stale is None:
            current, before_from = stored.params, "fit"

    samples = label_features(agent, kept, defaults, on_question=on_question)
    if (current.k, current.temperature) == (defaults.k, defaults.temperature):
        before = evaluate(current, samples)
    else:
        before = evaluate(current, label_features(agent, kept, current))
    params = fit_params(samples, [s.name for s in agent.sources], defaults, misroute_cost=misroute_cost)
    after = evaluate(params, samples)
    misrouted = tuple(s.id for s in samples if params.decide(params.scores(s.features)) not in (None, s.gold))
    fit = RouterFit(params=params, embedder=embedder, profile_hash=digest, questions=len(samples),
                    figures={"before": before.to_dict(), "after": after.to_dict(), "misroute_cost": misroute_cost})
    path = save_fit(fit, data_dir) if write else None
    return FitOutcome(before=before, after=after, before_from=before_from, stale=stale, fit=fit, path=path,
                      skipped=skipped, misrouted=misrouted)
