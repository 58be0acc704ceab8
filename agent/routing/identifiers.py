"""Identifiers in a question shaped like a source's path parameters: "ticket 1234", "チケット200".

A tool that takes a required ``ticket_id`` (or ``id`` under ``/tickets/{id}``) says the
source looks things up by a ticket's number, so a question naming "ticket 1234" is
strong evidence for it. The nouns come from the tools' input schemas and descriptions;
nouns in other scripts come from the source's own example questions, where a word of
kana, CJK or hangul stands right before a number ("チケット200の担当者は誰ですか？").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from agent.mcp_hub import RemoteTool

__all__ = ["find_identifiers", "identifier_nouns"]

_ID_PARAM = re.compile(r"^(?P<noun>[A-Za-z][A-Za-z0-9_]*?)(?:_id|_ID|Id|ID)$")
_PATH_ID = re.compile(r"/(?P<segment>[A-Za-z][A-Za-z0-9_-]*)/\{(?P<param>[A-Za-z_][A-Za-z0-9_]*)\}")
# A word in a script without spaces, right before a number: one script's run only, so that
# "注文のチケット200" gives "チケット", not the whole phrase.
_FOREIGN_NOUN = re.compile(
    r"(?P<noun>[\u30A0-\u30FF\u31F0-\u31FF]{2,}|[\u4E00-\u9FFF]{2,}|[\uAC00-\uD7AF]{2,})"
    r"\s*(?:#|No\.?|番号|番)?\s*(?P<number>\d+)"
)
_CODE = r"(?P<code>(?:[A-Za-z]{1,4}-?)?\d+)"
_AFTER = r"(?![\d.,]*\s*(?:%|件|個|枚|人|日|年|月|回|時|分|秒|days?\b|hours?\b|minutes?\b|years?\b|percent\b))"


def _words(name: str) -> str:
    """``ticket_id`` -> "ticket", ``orderItem`` -> "order item"."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").replace("-", " ")
    return " ".join(spaced.lower().split())


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _is_scalar(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if "enum" in schema or "const" in schema:
        return False
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return bool({"integer", "string", "number"} & set(kinds))
    if kinds in ("integer", "string", "number"):
        return True
    return any(_is_scalar(option) for option in schema.get("anyOf", []))


def _tool_nouns(tool: RemoteTool) -> set[str]:
    schema = tool.input_schema or {}
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    segments = {m["param"]: m["segment"] for m in _PATH_ID.finditer(tool.description or "")}
    nouns: set[str] = set()
    for param in required:
        if not _is_scalar(properties.get(param)):
            continue
        if param.lower() == "id":
            if param in segments:
                nouns.add(_singular(_words(segments[param])))
            continue
        match = _ID_PARAM.match(param)
        if match and match["noun"]:
            nouns.add(_words(match["noun"]))
    return {n for n in nouns if n}


def _example_nouns(examples: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for example in examples:
        for match in _FOREIGN_NOUN.finditer(unicodedata.normalize("NFKC", example)):
            if not _year_like(match["number"]):
                found.add(match["noun"])
    return found


def _year_like(number: str) -> bool:
    return len(number) == 4 and number.isdigit() and 1900 <= int(number) <= 2100


def identifier_nouns(tools: Sequence[RemoteTool], examples: Sequence[str] = ()) -> list[str]:
    """The nouns a source's tools look things up by ("ticket", "customer"), and their other-script
    spellings from ``examples``; empty when no tool takes an identifier."""
    nouns: set[str] = set()
    for tool in tools:
        nouns |= _tool_nouns(tool)
    if nouns:
        nouns |= _example_nouns(examples)
    return sorted(nouns)


def find_identifiers(question: str, nouns: Sequence[str]) -> list[tuple[str, str]]:
    """(noun, code) for each of ``nouns`` followed by a number or code in ``question``."""
    text = unicodedata.normalize("NFKC", question)
    found: list[tuple[str, str]] = []
    for noun in nouns:
        if noun.isascii():
            words = r"\s+".join(re.escape(w) for w in noun.split())
            pattern = (rf"\b{words}(?:e?s)?\s*(?:(?:id|no\.?|number|#)\s*)?[:#]?\s*{_CODE}\b{_AFTER}")
        else:
            pattern = rf"{re.escape(noun)}\s*(?:#|No\.?|番号|番)?\s*(?P<code>\d+){_AFTER}"
        for match in re.finditer(pattern, text, flags=re.IGNORECASE):
            if not _year_like(match["code"]):
                found.append((noun, match["code"]))
                break
    return found
