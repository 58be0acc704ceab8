"""Keyword search: SQLite FTS5 with the trigram tokenizer, ranked by BM25.

Trigrams match substrings, so one index serves English (``leave`` finds
``leaves``) and Japanese, which has no spaces. A query becomes an OR of its
words (three letters or more, minus stop words) and, for CJK runs, of their
character trigrams.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence

from connectors.docs.models import Chunk

__all__ = ["KeywordIndex", "fts_query"]

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]+")
_WORD = re.compile(r"[^\W_]+(?:[-.'][^\W_]+)*")
_STOPWORDS = frozenset(
    "the and for are but not you all any can had her was one our out has him his how its "
    "may who did get got let she too use what when where which with would could should "
    "this that these those there their them they then than from into onto about does "
    "have will your yours been being were is do an of to in on at by or as it be if "
    "my me we i a so no up via per".split()
)
_BM25_WEIGHTS = (1.0, 0.5, 0.8)  # text, title, heading


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression for ``query``, or None when nothing in it is searchable."""
    terms: list[str] = []
    for word in _WORD.findall(query.lower()):
        for part in re.split(f"({_CJK.pattern})", word):
            if not part:
                continue
            if _CJK.fullmatch(part):
                terms.extend(part[i : i + 3] for i in range(len(part) - 2))
            elif len(part) >= 3 and part not in _STOPWORDS:
                terms.append(part)
    unique = list(dict.fromkeys(terms))
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in unique) or None


class KeywordIndex:
    """Rows of ``chunks`` (the text every hit is read from) and their FTS5 index."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def replace(self, source: str, path: str, chunks: Sequence[Chunk]) -> None:
        """Make ``chunks`` the only rows for the file (call inside a transaction)."""
        self.delete(source, path)
        self._conn.executemany(
            'INSERT INTO chunks (chunk_id, source, path, ordinal, title, heading, heading_json, '
            'page, start, "end", text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [(c.id, c.source, c.path, c.ordinal, c.title, " > ".join(c.heading_path),
              json.dumps(c.heading_path, ensure_ascii=False), c.page, c.start, c.end, c.text)
             for c in chunks],
        )

    def delete(self, source: str, path: str) -> None:
        self._conn.execute("DELETE FROM chunks WHERE source = ? AND path = ?", (source, path))

    def search(
        self, query: str, *, limit: int, sources: Sequence[str], path_glob: str | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, BM25 score, higher is better), best first."""
        match = fts_query(query)
        if match is None or not sources:
            return []
        marks = ",".join("?" * len(sources))
        weights = ", ".join(str(w) for w in _BM25_WEIGHTS)
        sql = (
            f"SELECT c.chunk_id, -bm25(chunks_fts, {weights}) AS score "
            "FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            f"WHERE chunks_fts MATCH ? AND c.source IN ({marks}) "
            "AND (? IS NULL OR glob_match(c.path, ?)) "
            f"ORDER BY bm25(chunks_fts, {weights}) LIMIT ?"
        )
        rows = self._conn.execute(sql, (match, *sources, path_glob, path_glob, limit))
        return [(chunk_id, float(score)) for chunk_id, score in rows]

    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        """The stored chunks for ``ids`` (missing ids are left out)."""
        ids = list(ids)
        found: dict[str, Chunk] = {}
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            rows = self._conn.execute(
                'SELECT chunk_id, source, path, ordinal, title, heading_json, page, start, "end", text '
                f"FROM chunks WHERE chunk_id IN ({','.join('?' * len(batch))})", batch,
            )
            for row in rows:
                found[row[0]] = Chunk(
                    id=row[0], source=row[1], path=row[2], ordinal=row[3], title=row[4],
                    heading_path=tuple(json.loads(row[5])), page=row[6], start=row[7],
                    end=row[8], text=row[9],
                )
        return found

    def count(self, source: str | None = None) -> int:
        if source is None:
            return self._conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return self._conn.execute("SELECT count(*) FROM chunks WHERE source = ?", (source,)).fetchone()[0]

    def ids(self, source: str) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT chunk_id FROM chunks WHERE source = ?", (source,))}
