"""Ranking: dense, keyword, and their reciprocal rank fusion; merging neighbouring chunks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from connectors.docs.models import Chunk, Hit

__all__ = ["RRF_K", "merge_neighbours", "reciprocal_rank_fusion", "to_hits"]

RRF_K = 60
"""The constant from Cormack et al. (2009); it damps the weight of the very top ranks."""


def reciprocal_rank_fusion(*rankings: Sequence[tuple[str, float]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Fuse ranked id lists: each id scores the sum of ``1 / (k + rank)``, best first."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, (item, _) in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda entry: (-entry[1], entry[0]))


def _hit(chunks: list[Chunk], score: float, text: str) -> Hit:
    first = chunks[0]
    return Hit(
        text=text, source=first.source, path=first.path, title=first.title,
        heading_path=first.heading_path, page=first.page, chunk_id=first.id,
        chunk_ids=tuple(c.id for c in chunks), start=chunks[0].start,
        end=max(c.end for c in chunks), score=score,
    )


def to_hits(ranked: Sequence[tuple[Chunk, float]], top_k: int) -> list[Hit]:
    """One hit per chunk, best first."""
    return [_hit([chunk], score, chunk.text) for chunk, score in ranked[:top_k]]


def merge_neighbours(
    ranked: Sequence[tuple[Chunk, float]],
    top_k: int,
    document_text: Callable[[str, str], str | None],
    *,
    max_chunks: int = 3,
) -> list[Hit]:
    """Join hits that are neighbouring chunks of the same section into one passage.

    A lower-ranked chunk right before or after an accepted hit, in the same file,
    section and page, extends that hit (up to ``max_chunks``) instead of taking a
    slot; the merged text is read from the document, so overlaps appear once.
    """
    groups: list[tuple[list[Chunk], float]] = []
    for chunk, score in ranked:
        for members, _ in groups:
            head = members[0]
            ordinals = [m.ordinal for m in members]
            if (len(members) < max_chunks and (head.source, head.path, head.heading_path, head.page)
                    == (chunk.source, chunk.path, chunk.heading_path, chunk.page)
                    and (chunk.ordinal == min(ordinals) - 1 or chunk.ordinal == max(ordinals) + 1)):
                members.append(chunk)
                members.sort(key=lambda c: c.ordinal)
                break
        else:
            if len(groups) < top_k:
                groups.append(([chunk], score))
    hits = []
    for members, score in groups:
        text = members[0].text
        if len(members) > 1:
            full = document_text(members[0].source, members[0].path)
            start, end = members[0].start, max(m.end for m in members)
            text = full[start:end] if full and len(full) >= end else "\n".join(m.text for m in members)
        hits.append(_hit(members, score, text))
    return hits
