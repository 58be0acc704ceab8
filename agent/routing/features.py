"""Everything the router knows about a question before any LLM call, per source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agent.routing.evidence import Evidence, gather_evidence
from agent.routing.knn import Similarity, knn_similarity
from agent.routing.profiles import exposed_items, profile_items
from agent.run import Run
from connectors.config import SourceConfig

__all__ = ["RouteFeatures", "SourceFeatures", "route_features"]


@dataclass(frozen=True, kw_only=True)
class SourceFeatures:
    vote: float
    """The source's share of the nearest items' vote (0..1; the shares sum to 1)."""
    best: float
    """The best cosine between the question and one of the source's items, or (documents) its best passage."""
    evidence: Evidence


@dataclass(frozen=True, kw_only=True)
class RouteFeatures:
    sources: dict[str, SourceFeatures]
    similarity: Similarity


def route_features(question: str, sources: Sequence[SourceConfig], run: Run, *, k: int,
                   temperature: float, profiles: dict[str, list[str]] | None = None) -> RouteFeatures:
    """The nearest-item vote, best cosines and cheap evidence of ``question`` for every source."""
    assert run.vectors is not None
    profiles = profiles if profiles is not None else {s.name: profile_items(s, run.catalog) for s in sources}
    similarity = knn_similarity(question, profiles, run.vectors, k=k, temperature=temperature)
    exposed = {s.name: exposed_items(s, run.catalog) for s in sources}
    evidence = gather_evidence(question, sources, run, exposed)
    return RouteFeatures(
        sources={s.name: SourceFeatures(vote=similarity.vote[s.name],
                                        best=max(similarity.best[s.name], evidence[s.name].passage or 0.0),
                                        evidence=evidence[s.name]) for s in sources},
        similarity=similarity,
    )
