"""API results for a small model: JSON flattened to ``key: value`` lines.

A 1.5B model reads ``status: open`` far more reliably than a nested JSON body.
Scalars come first (a page's ``total`` before its items), a list of objects
becomes one line per object, and nested objects get dotted keys.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_lines", "maybe_json_lines"]

_MAX_SCALAR = 300


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).replace("\n", " ")
    return text if len(text) <= _MAX_SCALAR else text[:_MAX_SCALAR] + "…"


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _pairs(value: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Dotted ``(key, value)`` pairs of an object's scalars and scalar lists, then of its nested objects."""
    pairs: list[tuple[str, str]] = []
    later: list[tuple[str, Any]] = []
    for key, item in value.items():
        name = f"{prefix}{key}"
        if _is_scalar(item):
            pairs.append((name, _scalar(item)))
        elif isinstance(item, list) and all(_is_scalar(v) for v in item):
            pairs.append((name, ", ".join(_scalar(v) for v in item) or "(none)"))
        else:
            later.append((name, item))
    for name, item in later:
        if isinstance(item, dict):
            pairs += _pairs(item, f"{name}.")
        else:
            pairs.append((name, json.dumps(item, ensure_ascii=False)))
    return pairs


def _object_list(value: Any) -> bool:
    return isinstance(value, list) and not all(_is_scalar(v) for v in value)


def json_lines(value: Any) -> str:
    """``value`` as ``key: value`` lines; each object of a list of objects on one ``- `` line."""
    if _is_scalar(value):
        return _scalar(value)
    if isinstance(value, list):
        return _list_lines(value, "items")
    lines = [f"{k}: {v}" for k, v in _pairs({k: v for k, v in value.items() if not _object_list(v)})]
    lines += [_list_lines(v, k) for k, v in value.items() if _object_list(v)]
    return "\n".join(lines)


def _list_lines(items: list[Any], name: str) -> str:
    lines = [f"{name} ({len(items)} shown):"]
    for item in items:
        if isinstance(item, dict):
            lines.append("- " + "; ".join(f"{k}: {v}" for k, v in _pairs(item)))
        else:
            lines.append(f"- {_scalar(item) if _is_scalar(item) else json.dumps(item, ensure_ascii=False)}")
    return "\n".join(lines)


def maybe_json_lines(text: str) -> str:
    """``text`` flattened when it is a JSON object or array; unchanged otherwise."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return text
    try:
        value = json.loads(stripped)
    except ValueError:
        return text
    return json_lines(value)
