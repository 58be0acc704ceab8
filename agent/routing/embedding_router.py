"""The first routing stage: no LLM call, only cosine similarity to source profiles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agent.vectors import VectorCache

__all__ = ["decide_by_margin", "score_sources"]


def score_sources(question: str, profiles: Mapping[str, Sequence[str]], vectors: VectorCache) -> dict[str, float]:
    """Each source's best cosine between ``question`` and one of its profile items."""
    names = [name for name, items in profiles.items() for _ in items]
    texts = [item for items in profiles.values() for item in items]
    scores = {name: 0.0 for name in profiles}
    for name, score in zip(names, vectors.similarities(question, texts)):
        scores[name] = max(scores[name], score)
    return {name: round(score, 4) for name, score in scores.items()}


def decide_by_margin(scores: Mapping[str, float], *, min_score: float, margin: float) -> str | None:
    """The best source when it reaches ``min_score`` and leads the next by ``margin``; else None."""
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if not ranked or ranked[0][1] < min_score:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < margin:
        return None
    return ranked[0][0]
