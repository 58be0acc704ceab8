"""Citations by construction: which blocks an answer came from, when the model wrote no ``[n]``.

Small models often answer right and cite nothing. The answer's salient tokens
(numbers, names, longer words, runs of CJK characters) are looked up in each
block; the blocks that hold most of them are the answer's sources. Numbers weigh
double, because a figure is the part of an answer most worth tracing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.normalize import normalize_text

__all__ = ["attribute", "salient_tokens"]

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_STOPWORDS = frozenset(
    "the and for are was were has have had with from that this what which who whom whose when where "
    "how many much does did not any all one per can may our your their its there here than then them "
    "they you she his her will would should could about into over under only also each other some such "
    "more most less been being very just source sources context answer question found".split()
)
_MAX_CITED = 2


def salient_tokens(text: str) -> list[str]:
    """Numbers, words of four letters or more that are not stop words, and CJK character pairs."""
    tokens: list[str] = []
    for token in _TOKEN.findall(normalize_text(text)):
        if token[0].isdigit():
            tokens.append(token)
        elif _CJK.search(token):
            tokens += [token[i:i + 2] for i in range(max(len(token) - 1, 1))]
        elif len(token) >= 4 and token not in _STOPWORDS:
            tokens.append(token)
    return list(dict.fromkeys(tokens))


def _weight(token: str) -> float:
    return 2.0 if token[0].isdigit() else 1.0


def _present(token: str, block: str) -> bool:
    if token[0].isdigit():
        return re.search(rf"(?<![\d.]){re.escape(token)}(?![\d]|\.\d)", block) is not None
    return token in block


def attribute(answer: str, blocks: Sequence[str]) -> list[int]:
    """The 1-based numbers of the blocks ``answer`` most likely came from, best first.

    Blocks that score at least half the best score are kept, two at most. When no
    token matches anywhere, the first block (the best-ranked source) is the answer's
    source: every answer that is not "not found" cites a block it was given.
    """
    if not blocks:
        return []
    tokens = salient_tokens(answer)
    normal = [normalize_text(b) for b in blocks]
    scores = [sum(_weight(t) for t in tokens if _present(t, block)) for block in normal]
    best = max(scores)
    if best == 0:
        return [1]
    ranked = sorted(range(len(blocks)), key=lambda i: scores[i], reverse=True)
    return [i + 1 for i in ranked[:_MAX_CITED] if scores[i] >= best / 2]
