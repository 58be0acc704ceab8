"""Nearest labelled items: how close a question is to each source, by vote and by best match.

Every profile item (description, examples, table and document names, operation
summaries) is a text labelled with its source. The ``k`` items nearest the question
vote for their sources, each with weight ``exp(cosine / temperature)``; a source's
vote is its share of the weight, so the votes sum to 1. Beside the vote, each source
keeps its best single cosine: the vote says which source, the cosine how close.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agent.vectors import VectorCache

__all__ = ["Neighbour", "Similarity", "knn_similarity"]


@dataclass(frozen=True, kw_only=True)
class Neighbour:
    source: str
    text: str
    cosine: float


@dataclass(frozen=True, kw_only=True)
class Similarity:
    """Per source: its share of the ``k`` nearest items' weighted vote, and its best cosine."""

    vote: dict[str, float]
    best: dict[str, float]
    nearest: tuple[Neighbour, ...] = ()


def knn_similarity(
    question: str, items: Mapping[str, Sequence[str]], vectors: VectorCache, *, k: int, temperature: float
) -> Similarity:
    """The vote of the ``k`` items of ``items`` (source -> texts) nearest ``question``."""
    labelled = [(name, text) for name, texts in items.items() for text in texts]
    cosines = vectors.similarities(question, [text for _, text in labelled])
    best = {name: 0.0 for name in items}
    for (name, _), score in zip(labelled, cosines):
        best[name] = max(best[name], score)
    ranked = sorted(zip(labelled, cosines), key=lambda pair: pair[1], reverse=True)[:max(k, 1)]
    vote = {name: 0.0 for name in items}
    if ranked:
        top = ranked[0][1]
        weights = [math.exp((score - top) / temperature) for _, score in ranked]
        total = sum(weights)
        for ((name, _), _), weight in zip(ranked, weights):
            vote[name] += weight / total
    return Similarity(
        vote={name: round(v, 4) for name, v in vote.items()},
        best={name: round(v, 4) for name, v in best.items()},
        nearest=tuple(Neighbour(source=name, text=text, cosine=round(score, 4)) for (name, text), score in ranked),
    )
