"""Keyword search: SQLite FTS5, ranked by BM25, in two indexes over the same rows.

- ``chunks_words`` (``porter unicode61``) serves a query in Latin script: each word is
  one token, so a common word costs one posting list, not a phrase of trigrams.
- ``chunks_fts`` (``trigram``) serves a query with CJK in it: Japanese has no spaces,
  and trigrams match inside a run of characters.

A query becomes an OR of its words (three letters or more, minus stop words) and,
for CJK runs, of their character trigrams. The ranking runs inside FTS5 with the
``LIMIT`` pushed down (``ORDER BY rank LIMIT n``), so only the best ``n`` rows are
joined to their chunks and filtered; when the filters (sources, path glob) leave too
few of them, the search runs again unbounded.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence

from connectors.docs.globs import glob_match
from connectors.docs.models import Chunk

__all__ = ["CANDIDATES", "KeywordIndex", "fts_query", "fts_table"]

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
_RANK = "bm25(" + ", ".join(str(w) for w in _BM25_WEIGHTS) + ")"
CANDIDATES = 200
"""The most keyword matches ranked per query before filters; a multiple of any fused pool."""


def fts_table(query: str) -> str:
    """The FTS5 table that serves ``query``: trigrams when it holds CJK, words otherwise."""
    return "chunks_fts" if _CJK.search(query) else "chunks_words"


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
        table = fts_table(query)
        cap = max(CANDIDATES, limit)
        ranked = self._conn.execute(
            f"SELECT rowid, -rank FROM {table} WHERE {table} MATCH ? AND rank MATCH ? "
            "ORDER BY rank LIMIT ?", (match, _RANK, cap),
        ).fetchall()
        found = self._filter(ranked, sources, path_glob)
        if len(found) < limit and len(ranked) == cap:
            # The filters threw away too many of the best matches: rank them all.
            ranked = self._conn.execute(
                f"SELECT rowid, -rank FROM {table} WHERE {table} MATCH ? AND rank MATCH ? "
                "ORDER BY rank", (match, _RANK),
            ).fetchall()
            found = self._filter(ranked, sources, path_glob)
        return found[:limit]

    def _filter(
        self, ranked: Sequence[tuple[int, float]], sources: Sequence[str], path_glob: str | None
    ) -> list[tuple[str, float]]:
        """The chunk ids of ``ranked`` rows in ``sources`` (and ``path_glob``), order kept."""
        wanted = set(sources)
        ids: dict[int, str] = {}
        rowids = [r for r, _ in ranked]
        for start in range(0, len(rowids), 500):
            batch = rowids[start : start + 500]
            rows = self._conn.execute(
                f"SELECT rowid, chunk_id, source, path FROM chunks WHERE rowid IN ({','.join('?' * len(batch))})",
                batch,
            )
            for rowid, chunk_id, source, path in rows:
                if source in wanted and (path_glob is None or glob_match(path, path_glob)):
                    ids[rowid] = chunk_id
        return [(ids[r], float(score)) for r, score in ranked if r in ids]

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
