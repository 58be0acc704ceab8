"""Fitting the router's no-LLM decision on labelled questions.

For every combination of feature weights and margin on a small grid, each source gets
the acceptance threshold that maximises ``right - misroute_cost * misrouted`` among the
questions it would take (see :data:`MISROUTE_COST`). The weights
and margin are chosen by 5-fold cross-validation of that objective, so that they hold on
questions the thresholds were not fitted on; then the thresholds are fitted on all of them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from agent.routing.features import SourceFeatures
from agent.routing.params import RouterParams

__all__ = ["Figures", "LabelledFeatures", "evaluate", "fit_params"]

MISROUTE_COST = 2.0
"""What a misroute costs against leaving the question to the LLM router. With a router LLM
that is right a share ``p`` of the time, deciding gains ``1 - p`` when right and loses ``p``
when wrong, so the cost is ``p / (1 - p)``. Qwen2.5-Coder-1.5B routed 65% of the tuning
questions right when asked (issue 11): ``0.65 / 0.35 ≈ 2``. A stronger router model deserves
a higher cost (``--misroute-cost``)."""
FOLDS = 5
VOTE_WEIGHTS = (0.0, 0.25, 0.5, 1.0)
IDENTIFIER_WEIGHTS = (0.5, 1.0)
VALUE_WEIGHTS = (0.0, 0.05, 0.1, 0.2)
KEYWORD_WEIGHTS = (0.1, 0.25, 0.5)
KEYWORD_QUANTILES = (0.5, 0.75, 0.9)
KEYWORD_GAPS = (0.0, 0.5)
MARGINS = (0.0, 0.05, 0.1, 0.2)
_SLACK = 0.01


@dataclass(frozen=True, kw_only=True)
class LabelledFeatures:
    """One labelled question: its gold source ("none": no source holds it) and its features."""

    id: str
    gold: str
    features: dict[str, SourceFeatures]


@dataclass(frozen=True, kw_only=True)
class Figures:
    """How the no-LLM decision does on labelled questions."""

    questions: int
    decided: int
    right: int
    misrouted: int

    @property
    def accuracy(self) -> float:
        """Right without an LLM call, over all questions."""
        return self.right / self.questions if self.questions else 0.0

    @property
    def llm_rate(self) -> float:
        """Questions left to the LLM router, over all questions."""
        return 1 - self.decided / self.questions if self.questions else 0.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Figures:
        return cls(**{k: int(data[k]) for k in ("questions", "decided", "right", "misrouted")})

    def to_dict(self) -> dict[str, float | int]:
        return {"questions": self.questions, "decided": self.decided, "right": self.right,
                "misrouted": self.misrouted, "accuracy": round(self.accuracy, 4),
                "llm_rate": round(self.llm_rate, 4)}


def evaluate(params: RouterParams, samples: Sequence[LabelledFeatures]) -> Figures:
    decided = right = 0
    for sample in samples:
        choice = params.decide(params.scores(sample.features))
        if choice is not None:
            decided += 1
            right += choice == sample.gold
    return Figures(questions=len(samples), decided=decided, right=right, misrouted=decided - right)


@dataclass(frozen=True)
class _Ranked:
    """One question under one set of weights: its best source, its score and lead, and whether it is right."""

    top: str
    score: float
    lead: float
    right: bool


def _rank(params: RouterParams, samples: Sequence[LabelledFeatures]) -> list[_Ranked]:
    ranked = []
    for sample in samples:
        scores = params.scores(sample.features)
        order = sorted(scores, key=lambda n: scores[n], reverse=True)
        lead = scores[order[0]] - scores[order[1]] if len(order) > 1 else math.inf
        ranked.append(_Ranked(order[0], scores[order[0]], lead, order[0] == sample.gold))
    return ranked


def _thresholds(ranked: Sequence[_Ranked], sources: Sequence[str], margin: float,
                cost: float) -> dict[str, float]:
    thresholds: dict[str, float] = {}
    for source in sources:
        taken = sorted(((r.score, r.right) for r in ranked if r.top == source and r.lead >= margin), reverse=True)
        gain, best_gain, cut = 0.0, 0.0, -1
        for i, (_, right) in enumerate(taken):
            gain += 1.0 if right else -cost
            if gain > best_gain:
                best_gain, cut = gain, i
        if cut < 0:
            thresholds[source] = math.inf
        elif cut + 1 < len(taken):
            thresholds[source] = round((taken[cut][0] + taken[cut + 1][0]) / 2, 4)
        else:
            thresholds[source] = round(taken[cut][0] - _SLACK, 4)
    return thresholds


def _gain(ranked: Sequence[_Ranked], thresholds: Mapping[str, float], margin: float, cost: float) -> float:
    taken = [r for r in ranked if r.lead >= margin and r.score >= thresholds.get(r.top, math.inf)]
    return sum(1.0 if r.right else -cost for r in taken)


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def _weight_grid(base: RouterParams, samples: Sequence[LabelledFeatures]) -> list[RouterParams]:
    keywords = [f.evidence.keyword for s in samples for f in s.features.values()
                if f.evidence.keyword is not None and f.evidence.keyword > 0]
    keyword_options: list[tuple[float, float, float]] = [(0.0, math.inf, 0.0)]
    if keywords:
        minimums = sorted({round(_quantile(keywords, q), 3) for q in KEYWORD_QUANTILES})
        keyword_options += list(itertools.product(KEYWORD_WEIGHTS, minimums, KEYWORD_GAPS))
    grid = []
    for vote, identifier, value, (kw, kw_min, kw_gap) in itertools.product(
            VOTE_WEIGHTS, IDENTIFIER_WEIGHTS, VALUE_WEIGHTS, keyword_options):
        grid.append(replace(base, vote_weight=vote, identifier_weight=identifier, value_weight=value,
                            keyword_weight=kw, keyword_min=kw_min, keyword_gap=kw_gap, thresholds={}))
    return grid


def _simplicity(params: RouterParams) -> tuple[float, ...]:
    """Higher is simpler and safer: fewer bonuses, smaller ones, a wider margin."""
    used = sum(w > 0 for w in (params.vote_weight, params.value_weight, params.keyword_weight))
    return (-used, params.margin, -params.vote_weight, -params.value_weight, -params.keyword_weight)


def fit_params(samples: Sequence[LabelledFeatures], sources: Sequence[str], base: RouterParams, *,
               misroute_cost: float = MISROUTE_COST) -> RouterParams:
    """Weights, margin and per-source thresholds that make the no-LLM decision pay on ``samples``."""
    if not samples:
        return base
    folds = [[i for i in range(len(samples)) if i % FOLDS == f] for f in range(min(FOLDS, len(samples)))]
    best: tuple[tuple[float, ...], RouterParams] | None = None
    for weights in _weight_grid(base, samples):
        ranked = _rank(weights, samples)
        for margin in MARGINS:
            gain = 0.0
            for held in folds:
                held_set = set(held)
                train = [r for i, r in enumerate(ranked) if i not in held_set]
                thresholds = _thresholds(train, sources, margin, misroute_cost)
                gain += _gain([ranked[i] for i in held], thresholds, margin, misroute_cost)
            candidate = replace(weights, margin=margin)
            key = (gain, *_simplicity(candidate))
            if best is None or key > best[0]:
                best = (key, candidate)
    assert best is not None
    chosen = best[1]
    thresholds = _thresholds(_rank(chosen, samples), sources, chosen.margin, misroute_cost)
    return replace(chosen, thresholds=thresholds)
