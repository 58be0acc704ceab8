"""Query results as the text the gold facts are matched in (``agent.eval.contains_fact``)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["render_rows"]


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)


def render_rows(columns: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A query result as text, money-like floats with two decimals."""
    lines = [" | ".join(columns)]
    lines += [" | ".join(_cell(v) for v in row) for row in rows]
    return "\n".join(lines)
