"""Which stored text values a question names: an index of short text columns' distinct values.

The SQL route writes ``WHERE status = 'cancelled'`` right only when it knows the
stored spelling. :class:`ValueIndex` maps a question's words (crudely stemmed, so
"cancel" finds "cancelled") to the values that hold them, and says which values
the question names in full, by their distinctive words, or in quotes.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ValueIndex", "ValueMatch"]


@dataclass(frozen=True)
class ValueMatch:
    """A stored text value that a question names, and where it is stored."""

    table: str
    column: str
    value: str


# Words a question is made of; as stored values they name nothing in particular.
_STOPWORDS = frozenset("""
a about above after again all also an and any are as at be been before being below between both but by
can could did do does doing down during each either few for from further had has have having he her here
hers him his how i if in into is it its itself just many me more most much my no nor not of off on once
only or other our out over own per same she should show so some such than that the their them then there
these they this those through to too under until up very was we were what when where which while who
whom whose why will with would yes you your list give find tell count number total average sum name
every
""".split())
_SUFFIXES = ("ing", "ed", "es", "s", "e")
_NOT_PLURAL = ("ss", "us", "is")
_WORD = re.compile(r"\w+")
_QUOTED = re.compile(r"(?<!\w)[\"'`\u2018\u201c]([^\"'`\u2019\u201d]{1,200}?)[\"'`\u2019\u201d](?!\w)")


def _stem(word: str) -> str:
    """A crude English stem, so "cancel" finds "cancelled" and "singers" finds "Singer"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith(_NOT_PLURAL):
            word = word[: -len(suffix)]
            if suffix in ("ing", "ed") and word[-1] == word[-2]:  # shipped, cancelled
                word = word[:-1]
            break
    return word


def _words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.casefold())]


_STOP_STEMS = frozenset(_stem(w) for w in _STOPWORDS)


def _telling(word: str) -> bool:
    """Whether a word can single a value out: not a stopword, not a number, 3 characters or more."""
    return len(word) >= 3 and word not in _STOP_STEMS and not word.isdigit()


@dataclass(frozen=True)
class _Entry:
    match: ValueMatch
    phrase: str  # the value's words, space-joined and padded: " harbor pharma inc "
    words: frozenset[str]
    distinctive: frozenset[str]  # its telling words that few other values of its column share


class ValueIndex:
    """Values by word, so a question's words pick their candidates without a full scan."""

    def __init__(self, columns: Iterable[tuple[str, str, list[str]]]) -> None:
        self._by_word: dict[str, list[_Entry]] = defaultdict(list)
        self._quotable: dict[str, list[ValueMatch]] = defaultdict(list)  # every value, however short
        for table, column, values in columns:
            for value in values:
                self._quotable[value.strip().casefold()].append(ValueMatch(table, column, value))
            split = [(v, _words(v)) for v in values]
            split = [(v, w) for v, w in split if any(_telling(x) for x in w)]
            frequency = Counter(x for _, w in split for x in set(w))
            common = max(2, len(split) // 10)  # a word in more values than this names none of them
            for value, words in split:
                telling = {x for x in words if _telling(x)}
                entry = _Entry(
                    ValueMatch(table, column, value), f" {' '.join(words)} ", frozenset(words),
                    frozenset(x for x in telling if frequency[x] <= common),
                )
                for word in telling:
                    self._by_word[word].append(entry)

    def match(self, text: str, limit: int) -> list[ValueMatch]:
        words = _words(text)
        padded, present = f" {' '.join(words)} ", set(words)
        scored: dict[ValueMatch, tuple[tuple[int, int, int], _Entry]] = {}
        # A quoted literal names a value whatever its length: 'NY', "CD".
        for quoted in _QUOTED.findall(text):
            for found in self._quotable.get(quoted.strip().casefold(), ()):
                own = frozenset(_words(found.value))
                scored.setdefault(found, ((3, len(own), len(found.value)), _Entry(found, "", own, frozenset())))
        for word in dict.fromkeys(words):  # in question order, so that ties come out the same every run
            for entry in self._by_word.get(word, ()):
                if entry.match in scored:
                    continue
                if entry.phrase in padded:  # the whole value, word for word
                    scored[entry.match] = ((2, len(entry.words), len(entry.match.value)), entry)
                elif self._distinctive_hit(entry, present):
                    scored[entry.match] = ((1, len(entry.distinctive), len(entry.match.value)), entry)
        chosen: list[_Entry] = []
        whole: list[frozenset[str]] = []  # the words of the values named in full
        for (rank, *_), entry in sorted(scored.values(), key=lambda se: se[0], reverse=True):
            # "Pharma" adds nothing once "Harbor Pharma Inc" is in, nor does "Harbor Systems Inc".
            if any(entry.words < other.words for other in chosen):
                continue
            if rank == 1 and any(entry.words & present <= words for words in whole):
                continue
            chosen.append(entry)
            if rank > 1:
                whole.append(entry.words)
            if len(chosen) == limit:
                break
        return [e.match for e in chosen]

    @staticmethod
    def _distinctive_hit(entry: _Entry, present: set[str]) -> bool:
        """A several-word value whose distinctive words, and two thirds of its telling words, occur in the text."""
        telling = [w for w in entry.words if _telling(w)]
        found = sum(1 for w in telling if w in present)
        return (
            len(entry.words) > 1 and bool(entry.distinctive) and entry.distinctive <= present
            and 3 * found >= 2 * len(telling)
        )
