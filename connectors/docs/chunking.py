"""Structure-following chunking to a token budget, with overlap.

A chunk never crosses a section (heading path or PDF page). Inside a section,
whole paragraphs are packed while they fit; a paragraph that does not fit is
split into sentences (``.!?`` followed by a space, or ``。！？`` with no space, so
Japanese splits too), and a sentence longer than the budget is cut by tokens
(words, or single characters for CJK). A new chunk in the same section starts
with the last sentences of the previous one, up to ``overlap`` tokens.

Tokens are estimated without a tokenizer (a word is one token plus one per 8
letters, a CJK character is one token), which tracks MiniLM's word pieces
closely enough to stay under its 256-token window at the default budget.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator

from connectors.docs.models import Chunk, LoadedDocument, Section

__all__ = ["chunk_document", "chunk_id", "estimate_tokens"]

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_TOKEN = re.compile(r"[^\W_]+|\S")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|[。！？]|\n")

Span = tuple[int, int, int]
"""(start, end, tokens) in the document's text."""


def estimate_tokens(text: str) -> int:
    """Roughly how many word pieces a BERT-style tokenizer makes of ``text``."""
    count = 0
    for match in _TOKEN.finditer(text):
        word = match.group()
        cjk = len(_CJK.findall(word))
        count += cjk + (1 + (len(word) - cjk) // 8 if len(word) > cjk else 0)
    return count


def chunk_id(source: str, path: str, text: str, occurrence: int = 0) -> str:
    """Stable id from the source, the document path and the content."""
    key = f"{source}\x00{path}\x00{occurrence}\x00{text}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _paragraph_spans(text: str, section: Section) -> Iterator[tuple[int, int]]:
    base = section.start
    position = 0
    for separator in re.finditer(r"\n\s*\n", section.text):
        yield _trimmed(text, base + position, base + separator.start())
        position = separator.end()
    yield _trimmed(text, base + position, base + len(section.text))


def _pieces(text: str, start: int, end: int, budget: int, count: Callable[[str], int]) -> list[Span]:
    """A paragraph as sentence spans, each at most ``budget`` tokens."""
    spans: list[Span] = []
    position = start
    for match in _SENTENCE_END.finditer(text, start, end):
        spans.append((position, match.end(), 0))
        position = match.end()
    spans.append((position, end, 0))
    out: list[Span] = []
    for s, e, _ in spans:
        s, e = _trimmed(text, s, e)
        if s >= e:
            continue
        tokens = count(text[s:e])
        if tokens <= budget:
            out.append((s, e, tokens))
            continue
        piece_start, piece_tokens = s, 0  # cut an over-long sentence by tokens
        for token in _TOKEN.finditer(text, s, e):
            weight = count(token.group())
            if piece_tokens + weight > budget and piece_tokens:
                out.append((piece_start, token.start(), piece_tokens))
                piece_start, piece_tokens = token.start(), 0
            piece_tokens += weight
        out.append((piece_start, e, piece_tokens))
    return out


def _section_chunks(
    text: str, section: Section, budget: int, overlap: int, count: Callable[[str], int]
) -> list[tuple[int, int]]:
    spans = [(s, e) for s, e in _paragraph_spans(text, section) if s < e]
    if spans and section.heading_path and text[slice(*spans[0])] == section.heading_path[-1]:
        spans = spans[1:]  # the heading line itself: it travels in the chunk's heading path
    paragraphs = [_pieces(text, s, e, budget, count) for s, e in spans]
    chunks: list[tuple[int, int]] = []
    current: list[Span] = []

    def emit() -> None:
        nonlocal current
        chunks.append((current[0][0], current[-1][1]))
        tail: list[Span] = []
        for span in reversed(current):
            if sum(t for *_, t in tail) + span[2] > overlap:
                break
            tail.insert(0, span)
        current = tail if len(tail) < len(current) else []

    def add(span: Span) -> None:
        nonlocal current
        if current and sum(t for *_, t in current) + span[2] > budget:
            emit()
            while current and sum(t for *_, t in current) + span[2] > budget:
                current.pop(0)
        current.append(span)

    for pieces in paragraphs:
        size = sum(t for *_, t in current)
        whole = sum(t for *_, t in pieces)
        if current and size + whole > budget and size >= budget // 2:
            emit()  # end the chunk at the paragraph break rather than mid-paragraph
        for span in pieces:
            add(span)
    if current:
        last = (current[0][0], current[-1][1])
        if not chunks or last[1] > chunks[-1][1]:
            chunks.append(last)
    return chunks


def chunk_document(
    document: LoadedDocument,
    *,
    source: str,
    path: str,
    max_tokens: int = 180,
    overlap: int = 30,
    count_tokens: Callable[[str], int] = estimate_tokens,
) -> list[Chunk]:
    """Split ``document`` into chunks of at most ``max_tokens`` (estimated) tokens."""
    if overlap >= max_tokens:
        raise ValueError("overlap must be smaller than max_tokens")
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for section in document.sections:
        for start, end in _section_chunks(document.text, section, max_tokens, overlap, count_tokens):
            body = document.text[start:end]
            occurrence = seen.get(body, 0)
            seen[body] = occurrence + 1
            chunks.append(Chunk(
                id=chunk_id(source, path, body, occurrence),
                source=source, path=path, title=document.title,
                heading_path=section.heading_path, page=section.page,
                start=start, end=end, ordinal=len(chunks), text=body,
            ))
    return chunks
