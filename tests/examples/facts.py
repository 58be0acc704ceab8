"""Fact matching for the labelled questions: the same fact in different clothes still matches.

``normalise`` folds case, width (NFKC: full-width digits, Japanese punctuation),
whitespace, thousands separators and trailing decimal zeros, so that the fact
"1,539,948.90" matches the SQL value 1539948.9. ``contains`` then looks for the
normalised fact as a whole token: "12" does not match inside "120" or "4.12".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["contains", "normalise", "render_rows"]

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_TRAILING_ZEROS = re.compile(r"(\d)\.(\d*?)0+(?![\d])")


def normalise(text: str) -> str:
    """Case-, width- and number-format-insensitive form of ``text``."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _THOUSANDS.sub("", text)
    text = _TRAILING_ZEROS.sub(lambda m: m[1] + (f".{m[2]}" if m[2] else ""), text)
    return " ".join(text.split())


def _is_word(char: str) -> bool:
    return char.isascii() and char.isalnum()


def contains(text: str, fact: str) -> bool:
    """Whether ``fact`` appears in ``text`` as a whole token, after normalising both."""
    needle = normalise(fact)
    if not needle:
        return False
    pattern = re.escape(needle)
    if _is_word(needle[0]):
        pattern = (r"(?<![0-9a-z.])" if needle[0].isdigit() else r"(?<![0-9a-z])") + pattern
    if _is_word(needle[-1]):
        pattern += r"(?![0-9]|\.[0-9])" if needle[-1].isdigit() else r"(?![0-9a-z])"
    return re.search(pattern, normalise(text)) is not None


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)


def render_rows(columns: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A query result as text, money-like floats with two decimals."""
    lines = [" | ".join(columns)]
    lines += [" | ".join(_cell(v) for v in row) for row in rows]
    return "\n".join(lines)
