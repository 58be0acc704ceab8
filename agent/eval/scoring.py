"""Scores for one answered question: route, SQL result sets, facts and citations."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from agent.normalize import contains_fact
from agent.eval.questions import NO_SOURCE

__all__ = [
    "FANOUT",
    "CitationCheck",
    "ResultSet",
    "check_citations",
    "cited_refs",
    "fact_hits",
    "has_order_by",
    "result_sets_match",
    "route_label",
]

FANOUT = "fanout"
"""The predicted label of a route that fanned out to two sources."""

_CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_ABS_TOL = 1e-6
_REL_TOL = 1e-4


def route_label(sources: Sequence[str], llm_said_none: bool = False) -> str:
    """One label per route, for the confusion table: the source, ``none``, or ``fanout``."""
    if llm_said_none:
        return NO_SOURCE
    if len(sources) == 1:
        return sources[0]
    return FANOUT if sources else NO_SOURCE


# -- SQL ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ResultSet:
    """A query's columns and rows, as the SQL server returned them."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    @classmethod
    def from_structured(cls, data: dict[str, Any]) -> ResultSet:
        return cls(columns=tuple(data.get("columns") or ()), rows=tuple(tuple(r) for r in data.get("rows") or ()))


def has_order_by(sql: str) -> bool:
    """Whether the statement's outermost query orders its rows (window ORDER BYs don't count)."""
    try:
        tree = sqlglot.parse_one(sql)
    except sqlglot.errors.ParseError:
        return bool(re.search(r"\border\s+by\b", sql, re.IGNORECASE))
    return isinstance(tree, exp.Query) and tree.args.get("order") is not None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            return None
    return None


def _cells_equal(a: Any, b: Any) -> bool:
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return math.isclose(x, y, rel_tol=_REL_TOL, abs_tol=_ABS_TOL) or round(x, 2) == round(y, 2)
    if a is None or b is None:
        return a is None and b is None
    return str(a).strip().casefold() == str(b).strip().casefold()


def _sort_key(row: Sequence[Any]) -> tuple[tuple[int, Any], ...]:
    key = []
    for cell in row:
        number = _number(cell)
        if cell is None:
            key.append((0, ""))
        elif number is not None:
            key.append((1, round(number, 2)))
        else:
            key.append((2, str(cell).strip().casefold()))
    return tuple(key)


def _rows_equal(gold: Sequence[Sequence[Any]], got: Sequence[Sequence[Any]], ordered: bool) -> bool:
    if len(gold) != len(got):
        return False
    if not ordered:
        gold, got = sorted(gold, key=_sort_key), sorted(got, key=_sort_key)
    return all(len(g) == len(r) and all(map(_cells_equal, g, r)) for g, r in zip(gold, got))


def _column(rows: Sequence[Sequence[Any]], i: int) -> list[Any]:
    return [row[i] for row in rows]


def result_sets_match(gold: ResultSet, got: ResultSet, *, ordered: bool = False) -> bool:
    """Whether ``got`` holds ``gold``'s rows: every gold column is matched by one of ``got``'s
    columns (names ignored, extra columns allowed), rows compared as a multiset unless
    ``ordered``, numbers within a small tolerance."""
    if len(gold.rows) != len(got.rows):
        return False
    width = len(gold.rows[0]) if gold.rows else len(gold.columns)
    if not gold.rows:
        return True
    candidates: list[list[int]] = []
    for i in range(width):
        gold_col = _column(gold.rows, i)
        fits = [j for j in range(len(got.rows[0]))
                if _rows_equal([[c] for c in gold_col], [[c] for c in _column(got.rows, j)], ordered)]
        if not fits:
            return False
        candidates.append(fits)
    for mapping in itertools.islice(itertools.product(*candidates), 256):
        if len(set(mapping)) < len(mapping):
            continue
        projected = [[row[j] for j in mapping] for row in got.rows]
        if _rows_equal(gold.rows, projected, ordered):
            return True
    return False


# -- facts and citations --------------------------------------------------------------------


def fact_hits(answer: str, facts: Sequence[str]) -> list[bool]:
    """For each gold fact, whether the answer contains it (normalised)."""
    return [contains_fact(answer, fact) for fact in facts]


def cited_refs(text: str) -> list[int]:
    """Every number cited as ``[n]`` or ``[n, m]``, in order, duplicates removed, ranges unchecked."""
    seen: dict[int, None] = {}
    for match in _CITE.finditer(text):
        for part in match.group(1).split(","):
            seen.setdefault(int(part), None)
    return list(seen)


@dataclass(frozen=True, kw_only=True)
class CitationCheck:
    """Which blocks an answer cites, whether they all exist, and whether one holds a gold fact."""

    cited: tuple[int, ...]
    in_range: bool
    cites_fact: bool | None  # None when there are no gold facts to look for

    @property
    def valid(self) -> bool:
        return bool(self.cited) and self.in_range and self.cites_fact is not False


def check_citations(answer: str, block_texts: Sequence[str], facts: Sequence[str]) -> CitationCheck:
    """Every ``[n]`` must point to a returned block; one cited block should contain a gold fact."""
    cited = cited_refs(answer)
    in_range = all(1 <= n <= len(block_texts) for n in cited)
    cites_fact = None
    if facts:
        texts = [block_texts[n - 1] for n in cited if 1 <= n <= len(block_texts)]
        cites_fact = any(contains_fact(text, fact) for text in texts for fact in facts)
    return CitationCheck(cited=tuple(cited), in_range=in_range, cites_fact=cites_fact)
