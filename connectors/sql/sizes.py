"""Size checks for the SQL guard: a call whose literal arguments alone build too big a value.

``repeat('x', 1e9)``, ``zeroblob(5e8)`` or ``printf('%900000000d')`` is refused
before it runs. This is the cheapest layer only: the database caps values too
(``connectors.sql.readonly``), whatever their size depends on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NoReturn

from sqlglot import exp

from connectors.errors import SqlRefused

__all__ = ["check_sizes"]


def check_sizes(root: exp.Expr, funcs: list[exp.Func], max_value_bytes: int, *, fold: Callable[[str], str]) -> None:
    """Refuse a call, or a row of calls, that literal arguments alone make bigger than the limit.

    ``fold`` normalises a function name as the guard does for its deny-list.
    """
    for func in funcs:
        size = _size(func, fold)
        if size is not None and size > max_value_bytes:
            _refuse_size(f"{_function_name(func)}() here", size, max_value_bytes)
    for select in root.find_all(exp.Select):
        row = sum(size for size in (_size(e, fold) for e in select.expressions) if size is not None)
        if row > max_value_bytes:
            _refuse_size("one row of these columns", row, max_value_bytes)


def _refuse_size(what: str, size: int, max_value_bytes: int) -> NoReturn:
    raise SqlRefused(
        "too_large",
        f"{what} would build about {size:,} bytes, above this database's limit of "
        f"{max_value_bytes:,} bytes per value and row (max_value_bytes); use a smaller count, "
        "width or length, or select less data (substr, length, an aggregate)",
    )


# SQLite's blob makers and MySQL's space(): the first argument is the size.
_SIZED_BY_FIRST_ARGUMENT = frozenset({"randomblob", "zeroblob", "space"})
_FORMATTERS = frozenset({"printf", "format"})
_INT64 = 2**63
# A printf/format conversion: %[n$][flags][width][.precision]type, where * takes an argument.
_FORMAT_SPEC = re.compile(r"%(?:\d+\$)?[-+ #0!,']*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")


def _size(node: exp.Expr | None, fold: Callable[[str], str]) -> int | None:
    """About how many bytes ``node`` builds, from its literals alone; None when data decides."""
    if isinstance(node, (exp.Paren, exp.Alias)):
        return _size(node.this, fold)
    if isinstance(node, exp.Literal):
        return len(node.this.encode()) if node.is_string else None
    if isinstance(node, exp.Repeat):
        count = _count(node.args.get("times"))
        return None if count is None else max(count, 0) * max(_size(node.this, fold) or 1, 1)
    if isinstance(node, exp.Pad):
        return _count(node.args.get("expression"))
    if isinstance(node, exp.Space):
        return _count(node.this)
    if isinstance(node, exp.Hex):
        inner = _size(node.this, fold)
        return None if inner is None else 2 * inner
    if isinstance(node, exp.Replace):
        text, old = _size(node.this, fold), _size(node.args.get("expression"), fold)
        new = _size(node.args.get("replacement"), fold) or 0
        return text if text is None or not old else max(text, text // old * new)
    if isinstance(node, (exp.Concat, exp.ConcatWs)):
        known = [size for size in (_size(e, fold) for e in node.expressions) if size is not None]
        return sum(known) if known else None
    if isinstance(node, exp.Format):
        return _format_size(node.this, node.expressions)
    if isinstance(node, exp.Anonymous) and node.expressions:
        name = fold(node.name)
        if name in _SIZED_BY_FIRST_ARGUMENT:
            return _count(node.expressions[0])
        if name in _FORMATTERS:
            return _format_size(node.expressions[0], node.expressions[1:])
    return None


def _format_size(pattern: exp.Expr | None, args: list[exp.Expr]) -> int | None:
    """What printf/format with a literal ``pattern`` builds at least: its widths and precisions."""
    if not (isinstance(pattern, exp.Literal) and pattern.is_string):
        return None
    total, remaining = len(pattern.this), iter(args)
    for spec in _FORMAT_SPEC.finditer(pattern.this):
        if spec.group(0) == "%%":
            continue
        widths = [_count(next(remaining, None)) or 0 if part == "*" else int(part)
                  for part in spec.groups() if part]  # fmt: skip
        total += max(widths, default=0)
        next(remaining, None)  # the value this conversion formats
    return total


def _count(node: exp.Expr | None) -> int | None:
    """The value of a constant integer expression (``5e8``, ``10 ^ 9``, ``CAST(1e9 AS INT)``), or None."""
    if isinstance(node, (exp.Paren, exp.Cast)):
        return _count(node.this)
    if isinstance(node, exp.Neg):
        value = _count(node.this)
        return None if value is None else -value
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(float(node.this))
        except (ValueError, OverflowError):
            return None
    if isinstance(node, (exp.Mul, exp.Add, exp.Sub, exp.Pow)):
        a, b = _count(node.this), _count(node.expression)
        if a is None or b is None:
            return None
        if isinstance(node, exp.Pow):
            value = a ** min(b, 64) if b >= 0 else 0
        else:
            value = a * b if isinstance(node, exp.Mul) else a + b if isinstance(node, exp.Add) else a - b
        return max(-_INT64, min(value, _INT64))  # no database counts further
    return None


def _function_name(func: exp.Func) -> str:
    if isinstance(func, exp.Anonymous):
        return func.name
    if isinstance(func, exp.Pad):
        return "lpad" if func.args.get("is_left") else "rpad"
    return type(func).sql_names()[0].lower()
