"""Reading JSON out of what a (small) model wrote."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["extract_json_object"]

_FENCED = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in ``text``: bare, in a code fence, or amid prose; else None.

    Raw newlines and tabs inside strings are accepted: a 1.5B model copying multi-line SQL
    examples writes them, and strict JSON would throw away a right query (issue 11)."""
    candidates = [text.strip(), *(m.group(1).strip() for m in _FENCED.finditer(text))]
    for candidate in candidates:
        try:
            value = json.loads(candidate, strict=False)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder(strict=False)
    for start in (i for i, ch in enumerate(text) if ch == "{"):
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None
