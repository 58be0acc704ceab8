"""Redaction: configured patterns (``[[documents.redact]]``) replaced in text on its way out.

    redactor = Redactor(source.redact)
    text, count = redactor.redact(document_text)
    window = redactor.redact_window(document_text, 4_000, 8_000)

The index keeps the original text, so a config change takes effect without
re-indexing; a keyword search can therefore still *match* on a redacted value
(searching for an e-mail finds its chunk), but the value never comes back.

Every pattern runs on the whole original text, and overlapping matches merge
into one replaced span (keeping the replacement of the first of ``iban``,
``email``, ``phone``, then the custom regexes in config order). So no pattern
can leave half a value another one matched (an IBAN's digits read as a phone
number), and a window cut through a value (``redact_window``) shows the
replacement, never a fragment.

Built-ins, and what they leave alone:

- ``email``: ``local@domain.tld`` with dots and ``+tags``, in any case, and with a
  space either side of ``@``; not quoted local parts nor ``[1.2.3.4]`` domains.
- ``phone``: ``+``/``00`` international forms, ``(area)`` and trunk-``0`` national
  forms and ``555-123-4567``, groups split by one or two spaces or by ``./-``;
  7 to 15 digits. Not dates (``2024-01-15``, ``15.01.2024 10:00``), years,
  versions, amounts (``1 234 567``), nor digit runs without a ``+`` or separators
  (order and account numbers look the same).
- ``iban``: two letters, two check digits and 11-30 letters or digits, in any case,
  with or without (uneven) spaces; only when the mod-97 checksum holds.

Spelled-out evasions (``name [at] example [dot] com``, digits as words) are out
of scope: a pattern cannot tell them from prose.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from connectors.config import DocumentsSource, Redaction

__all__ = ["Redactor", "iban_is_valid", "redactors"]

Span = tuple[int, int, str]
"""(start, end, replacement) in the original text."""

# Each pattern opens with a plain character class and checks the character before it
# in a lookbehind after that: re then skips ahead to candidates at C speed.
_LOCAL = r"[\w!#$%&'*+/=?^`{|}~-]"
_EMAIL = re.compile(
    rf"{_LOCAL}(?<![\w.!#$%&'*+/=?^`{{|}}~-]{_LOCAL})"
    rf"{_LOCAL}*(?:\.{_LOCAL}+)*"
    r"[ \t]?@[ \t]?"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}"
)
_EMAIL_REACH = 320
"""Characters searched either side of an ``@`` (a local part has at most 64, a domain 253)."""
_SEP = r"(?:[ \u00a0]{1,2}|[ \u00a0]?[./-][ \u00a0]?)"
"""Between digit groups: a space or two, or one of ``./-`` with a space either side or none."""
_PHONE = re.compile(
    r"[+(\d](?<![\w+#/.,-].)(?:"                                        # not glued to a word or code
    rf"(?<=\+)\d+(?:{_SEP}?\(\d{{1,5}}\)\d*)?(?:{_SEP}\d+)*"               # +44 20 7946 0958
    rf"|(?<=0)0[1-9]\d*(?:{_SEP}?\(\d{{1,5}}\)\d*)?(?:{_SEP}\d+)+"          # 0049 30 123456
    rf"|(?<=\()\d{{2,5}}\){_SEP}?\d+(?:{_SEP}\d+)*"                          # (555) 123-4567
    rf"|(?<=0)\d+(?:{_SEP}\d+)+"                                             # 030 123456
    r"|(?:(?<=1)[ .-]\d{3}|(?<=\d)\d\d)([ .-])\d{3}\1\d{4}(?![\w@]|[.,/-]\d)"  # 555-123-4567
    r")"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_DATE = re.compile(rf"{_DAY}([./-]){_DAY}\1(?:(?:19|20)\d\d(?!\d)|\d\d$)")
"""A date that opens a phone-shaped match (15.01.2024, 01/15/24); a two-digit year only ends one."""
_GAP = r"[ \t\u00a0]{0,3}"
_IBAN = re.compile(
    rf"[A-Z](?<![0-9A-Za-z].)[A-Z]{_GAP}\d{_GAP}\d(?:{_GAP}[0-9A-Z]){{11,30}}", re.ASCII | re.IGNORECASE
)
_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[0-9A-Z]{11,30}")


_IBAN_DIGITS = str.maketrans({c: str(ord(c) - 55) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def iban_is_valid(iban: str) -> bool:
    """Whether ``iban`` (spaces removed, upper case) has an IBAN's shape and mod-97 checksum."""
    return bool(_IBAN_SHAPE.fullmatch(iban)) and int((iban[4:] + iban[:4]).translate(_IBAN_DIGITS)) % 97 == 1


def _emails(text: str, replacement: str) -> list[Span]:
    spans: list[Span] = []
    done, at = 0, text.find("@")
    while at != -1:
        match = _EMAIL.search(text, max(done, at - _EMAIL_REACH), at + _EMAIL_REACH)
        if match and match.start() <= at:
            spans.append((match.start(), match.end(), replacement))
            done = match.end()
        at = text.find("@", max(done, at + 1))
    return spans


def _phones(text: str, replacement: str) -> list[Span]:
    spans: list[Span] = []
    position = 0
    while match := _PHONE.search(text, position):
        value = match.group()
        if date := _DATE.match(value):  # "05.06.2024 10:00": the date is no phone; look on after it
            position = match.start() + date.end()
            continue
        digits = sum(map(str.isdigit, value)) - (2 if value.startswith("00") else 0)
        if 7 <= digits <= 15:
            spans.append((match.start(), match.end(), replacement))
        position = match.end()
    return spans


def _ibans(text: str, replacement: str) -> list[Span]:
    """The longest valid IBAN at each candidate: the pattern runs on into the next words,
    so the candidate is cut back, a word at a time, until the checksum holds."""
    spans: list[Span] = []
    position = 0
    while match := _IBAN.search(text, position):
        start, end = match.span()
        words = list(re.finditer(r"\S+", match.group()))
        if end < len(text) and text[end].isalnum():
            words.pop()  # cut inside a longer word
        position = start + 1
        for count in range(len(words), 0, -1):
            if iban_is_valid("".join(w.group() for w in words[:count]).upper()):
                position = start + words[count - 1].end()
                spans.append((start, position, replacement))
                break
    return spans


def _matches(pattern: re.Pattern[str]) -> Callable[[str, str], list[Span]]:
    def find(text: str, replacement: str) -> list[Span]:
        return [(m.start(), m.end(), replacement) for m in pattern.finditer(text) if m.end() > m.start()]

    return find


_BUILT_INS: dict[str, Callable[[str, str], list[Span]]] = {
    "iban": _ibans, "email": _emails, "phone": _phones,
}


@dataclass(frozen=True)
class _Rule:
    find: Callable[[str, str], list[Span]]
    replacement: str


class Redactor:
    """A source's redaction rules, compiled once; thread-safe and cheap to call."""

    def __init__(self, redactions: Sequence[Redaction]) -> None:
        rank = {name: i for i, name in enumerate(_BUILT_INS)}
        ordered = sorted(redactions, key=lambda r: rank.get(r.pattern or "", len(rank)))
        self._rules = [
            _Rule(_BUILT_INS[r.pattern] if r.pattern else _matches(re.compile(r.regex or "")), r.replacement)
            for r in ordered
        ]
        # An agent pages through one document, and searches it, again and again.
        self._document_spans = lru_cache(maxsize=8)(self.spans)

    def spans(self, text: str) -> tuple[Span, ...]:
        """Every match in ``text``, sorted, overlaps merged (the higher-ranked replacement kept)."""
        found = [(s, e, rank, r) for rank, rule in enumerate(self._rules) for s, e, r in rule.find(text, rule.replacement)]
        found.sort()
        merged: list[tuple[int, int, int, str]] = []
        for start, end, rank, replacement in found:
            if merged and start < merged[-1][1]:
                s, e, best, kept = merged[-1]
                merged[-1] = (s, max(e, end), *min((best, kept), (rank, replacement)))
            else:
                merged.append((start, end, rank, replacement))
        return tuple((s, e, r) for s, e, _, r in merged)

    def redact(self, text: str) -> tuple[str, int]:
        """``text`` with every match replaced, and the number of replacements."""
        spans = self.spans(text)
        return self._render(text, spans, 0, len(text)), len(spans)

    def redact_window(self, text: str, start: int, end: int) -> str:
        """``text[start:end]`` redacted as part of ``text``: a value cut by the window's
        edge becomes its replacement, never a fragment."""
        spans = self._document_spans(text)
        first = bisect.bisect_right([e for _, e, _ in spans], start)
        return self._render(text, spans[first:], start, end)

    @staticmethod
    def _render(text: str, spans: Sequence[Span], start: int, end: int) -> str:
        out, position = [], start
        for s, e, replacement in spans:
            if s >= end:
                break
            out += (text[position:max(s, start)], replacement)
            position = min(e, end)
        out.append(text[position:end])
        return "".join(out)


def redactors(sources: Iterable[DocumentsSource]) -> dict[str, Redactor]:
    """Source name → its redactor, for the sources that have ``redact`` rules."""
    return {s.name: Redactor(s.redact) for s in sources if s.redact}
