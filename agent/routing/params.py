"""How the router weighs its features and when it trusts them, without an LLM call.

A source's score is ``best cosine + vote_weight * vote`` plus a bonus per kind of
evidence: ``identifier_weight`` times the identifier's strength, ``value_weight`` when
the question names one of its stored values, ``keyword_weight`` when its keyword search
scores at least ``keyword_min`` with a gap of at least ``keyword_gap``. The best source
is taken when its score reaches its threshold and leads the runner-up by ``margin``;
otherwise the LLM router decides. ``python -m agent route fit`` fits all of these on
labelled questions; without a fit, the defaults come from :class:`AgentSettings`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.routing.features import SourceFeatures
from agent.settings import AgentSettings

__all__ = ["RouterParams", "decide_by_margin"]


@dataclass(frozen=True, kw_only=True)
class RouterParams:
    k: int = 5
    temperature: float = 0.05
    vote_weight: float = 0.0
    identifier_weight: float = 1.0
    value_weight: float = 0.0
    keyword_weight: float = 0.0
    keyword_min: float = math.inf
    keyword_gap: float = 0.0
    min_score: float = 0.5
    """The threshold of a source that has none of its own in ``thresholds``."""
    thresholds: dict[str, float] = field(default_factory=dict)
    margin: float = 0.1

    @classmethod
    def from_settings(cls, settings: AgentSettings) -> RouterParams:
        return cls(k=settings.knn_k, temperature=settings.knn_temperature, vote_weight=settings.vote_weight,
                   identifier_weight=settings.identifier_weight, value_weight=settings.value_weight,
                   min_score=settings.min_score, margin=settings.margin)

    def threshold(self, source: str) -> float:
        return self.thresholds.get(source, self.min_score)

    def score(self, features: SourceFeatures) -> float:
        """One source's score for the question."""
        ev = features.evidence
        total = features.best + self.vote_weight * features.vote
        total += self.identifier_weight * ev.identifier_strength
        total += self.value_weight if ev.values else 0.0
        if self.keyword_match(features):
            total += self.keyword_weight
        return round(total, 4)

    def keyword_match(self, features: SourceFeatures) -> bool:
        """Whether the source's keyword search found a hit strong and distinct enough to count."""
        ev = features.evidence
        return (self.keyword_weight > 0 and ev.keyword is not None and ev.keyword >= self.keyword_min
                and ev.keyword_gap >= self.keyword_gap)

    def scores(self, features: Mapping[str, SourceFeatures]) -> dict[str, float]:
        return {name: self.score(f) for name, f in features.items()}

    def decide(self, scores: Mapping[str, float]) -> str | None:
        """The source to take without an LLM call, or None."""
        return decide_by_margin(scores, min_score={n: self.threshold(n) for n in scores}, margin=self.margin)

    def strong(self, scores: Mapping[str, float]) -> list[str]:
        """Sources whose score reaches their threshold, best first."""
        return [n for n in sorted(scores, key=lambda n: scores[n], reverse=True) if scores[n] >= self.threshold(n)]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["keyword_min"] = None if math.isinf(self.keyword_min) else self.keyword_min
        data["thresholds"] = {n: (None if math.isinf(v) else v) for n, v in self.thresholds.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RouterParams:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["keyword_min"] = math.inf if known.get("keyword_min") is None else float(known["keyword_min"])
        known["thresholds"] = {str(n): (math.inf if v is None else float(v))
                               for n, v in (known.get("thresholds") or {}).items()}
        return cls(**known)


def decide_by_margin(scores: Mapping[str, float], *, min_score: float | Mapping[str, float],
                     margin: float) -> str | None:
    """The best source when it reaches its ``min_score`` and leads the next by ``margin``; else None."""
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if not ranked:
        return None
    best, top = ranked[0]
    floor = min_score if isinstance(min_score, (int, float)) else min_score.get(best, math.inf)
    if top < floor:
        return None
    if len(ranked) > 1 and top - ranked[1][1] < margin:
        return None
    return best
