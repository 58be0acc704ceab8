"""Text normalisation for fact matching and attribution: case, numbers and whitespace.

``"USD 1,234.50"`` and ``"usd  1234.5"`` normalise alike, and so do ``"twelve"`` and
``"12"``; a fact matches only at word edges, so ``"25"`` is not found in ``"250"``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["NOT_FOUND_PHRASES", "contains_fact", "normalize_text", "says_not_found"]

_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_COMPOUND = re.compile(rf"\b({_TENS})[- ]({_UNITS})\b")
_WORD = re.compile(r"\b(" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b")
_THOUSANDS = re.compile(r"(?<=\d)[,\u202f\u2009](?=\d{3}(?!\d))")
_TRAILING_ZEROS = re.compile(r"(\d)\.(\d*?)0+(?!\d)")
_BARE_POINT = re.compile(r"(\d)\.(?!\d)")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})

NOT_FOUND_PHRASES = (
    "not found in the sources", "not found", "no information", "does not contain", "doesn't contain",
    "does not mention", "doesn't mention", "not mentioned", "cannot find", "can't find", "could not find",
    "couldn't find", "no relevant", "not available", "not provided", "do not have", "don't have",
    "does not provide", "doesn't provide", "cannot answer", "can't answer", "unable to answer", "i don't know",
)


def normalize_text(text: str) -> str:
    """Lower case, NFKC, plain quotes, digits for number words, no thousands separators or
    trailing decimal zeros, ``%`` against its number, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    text = _COMPOUND.sub(lambda m: str(_WORDS[m.group(1)] + _WORDS[m.group(2)]), text)
    text = _WORD.sub(lambda m: str(_WORDS[m.group(1)]), text)
    text = _THOUSANDS.sub("", text)
    text = _TRAILING_ZEROS.sub(lambda m: f"{m.group(1)}.{m.group(2)}", text)
    text = _BARE_POINT.sub(r"\1", text)
    text = re.sub(r"(\d)\s+%", r"\1%", text)
    return " ".join(text.split())


def _edge(char: str) -> bool:
    return char.isascii() and char.isalnum()


_DECIMAL = re.compile(r"-?\d+\.\d+")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w]|\.\d)")


def _rounds_to(haystack: str, needle: str) -> bool:
    """A decimal fact matches a number in the text rounded to the fact's decimals
    (44992556.39999996 → 44992556.4); an integer fact never matches 11.6."""
    decimals = len(needle.partition(".")[2])
    target = float(needle)
    return any(round(float(m.group()), decimals) == target for m in _NUMBER.finditer(haystack))


def _fact_pattern(needle: str) -> re.Pattern[str]:
    """``needle`` as a whole token: "12" is not in "120" or "4.12", "open" not in "reopen";
    a number may run into a unit or a suffix ("12kg", "2025-01-29T18:46")."""
    pattern = re.escape(needle)
    if _edge(needle[0]):
        pattern = (r"(?<![0-9a-z.])" if needle[0].isdigit() else r"(?<![0-9a-z])") + pattern
    if _edge(needle[-1]):
        pattern += r"(?![0-9]|\.[0-9])" if needle[-1].isdigit() else r"(?![0-9a-z])"
    return re.compile(pattern)


def contains_fact(text: str, fact: str) -> bool:
    """Whether normalised ``fact`` occurs in normalised ``text`` as a whole token; a decimal
    fact also matches that number written with more decimals. An empty fact matches nothing.

    The one fact matcher: eval scoring and the checks of the gold question set both use it."""
    needle = normalize_text(fact)
    if not needle:
        return False
    haystack = normalize_text(text)
    if _DECIMAL.fullmatch(needle) and _rounds_to(haystack, needle):
        return True
    return _fact_pattern(needle).search(haystack) is not None


def says_not_found(text: str) -> bool:
    """Whether an answer says the sources do not hold the answer."""
    normal = normalize_text(text)
    return any(phrase in normal for phrase in NOT_FOUND_PHRASES)
