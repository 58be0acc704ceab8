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

FTS5 has no dynamic pruning: it scores every row a query matches, whatever the
``LIMIT``. So a word query whose words are together in more than :data:`RANKED_ROWS`
chunks is narrowed, from the index's own document counts: first the chunks that hold
every word (scored on all of them), then, if those are too few, the rarest words
that fit in the budget. The dropped words are the commonest, the ones BM25 weighs
least; a smaller index always gets the plain OR.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence

from connectors.docs.database import WORDS_TOKENIZER
from connectors.docs.globs import glob_match
from connectors.docs.models import Chunk

__all__ = ["CANDIDATES", "RANKED_ROWS", "KeywordIndex", "fts_query", "fts_table", "query_terms"]

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
RANKED_ROWS = 5_000
"""The matched rows a word query may score before it is narrowed (about 3 µs each here)."""


def fts_table(query: str) -> str:
    """The FTS5 table that serves ``query``: trigrams when it holds CJK, words otherwise."""
    return "chunks_fts" if _CJK.search(query) else "chunks_words"


def query_terms(query: str) -> list[str]:
    """The searchable terms of ``query``, first occurrence first: words, and CJK trigrams."""
    terms: list[str] = []
    for word in _WORD.findall(query.lower()):
        for part in re.split(f"({_CJK.pattern})", word):
            if not part:
                continue
            if _CJK.fullmatch(part):
                terms.extend(part[i : i + 3] for i in range(len(part) - 2))
            elif len(part) >= 3 and part not in _STOPWORDS:
                terms.append(part)
    return list(dict.fromkeys(terms))


def _match(terms: Sequence[str], operator: str = "OR") -> str:
    """An FTS5 MATCH expression: each term quoted (a phrase, never syntax), joined by ``operator``."""
    return f" {operator} ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _several_words(terms: Sequence[str], counts: dict[str, int]) -> str:
    """A MATCH for chunks holding two or more of ``terms``; all of them, when that is cheaper.

    "Two or more" is the OR of every pair. FTS5 scores a row on the pairs it matches, so
    a row with m of the words scores (m - 1) times its BM25: a coordination factor, as in
    Lucene's classic scoring, and exact BM25 order among rows with as many words.
    """
    pairs = [(a, b) for i, a in enumerate(terms) for b in terms[i + 1 :]]
    if len(terms) > 2 and sum(min(counts[a], counts[b]) for a, b in pairs) <= RANKED_ROWS:
        return " OR ".join(f"({_match(pair, 'AND')})" for pair in pairs)
    return _match(terms, "AND")


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression for ``query``, or None when nothing in it is searchable."""
    return _match(query_terms(query)) or None


class _Stemmer:
    """Query words as ``chunks_words`` stores them, from SQLite's own tokenizer.

    A word becomes one or more terms ("e-217" is "e" and "217"); the results are kept,
    since a server sees the same words again and again.
    """

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.executescript(
            f"CREATE VIRTUAL TABLE words USING fts5(word, tokenize='{WORDS_TOKENIZER}');"
            "CREATE VIRTUAL TABLE terms USING fts5vocab(words, instance);"
        )
        self._lock = threading.Lock()
        self._known: dict[str, tuple[str, ...]] = {}

    def __call__(self, words: Sequence[str]) -> dict[str, tuple[str, ...]]:
        with self._lock:
            missing = [w for w in words if w not in self._known]
            if missing:
                if len(self._known) > 100_000:
                    self._known.clear()
                self._conn.execute("DELETE FROM words")
                self._conn.executemany("INSERT INTO words (rowid, word) VALUES (?, ?)", enumerate(missing))
                parts: dict[int, list[str]] = {}
                for term, row in self._conn.execute("SELECT term, doc FROM terms ORDER BY doc, offset"):
                    parts.setdefault(row, []).append(term)
                for row, word in enumerate(missing):
                    self._known[word] = tuple(parts.get(row, ()))
            return {w: self._known[w] for w in words}


class KeywordIndex:
    """Rows of ``chunks`` (the text every hit is read from) and their FTS5 index."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_words_terms USING fts5vocab(main, chunks_words, row)"
        )
        self._stem = _Stemmer()
        self._counts: dict[str, int] = {}
        self._counted_at: tuple[int, int] = (-1, -1)
        self._counts_lock = threading.Lock()

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
        terms = query_terms(query)
        if not terms or not sources:
            return []
        table = fts_table(query)
        if table == "chunks_fts":
            return self._ranked(table, _match(terms), limit, sources, path_glob)
        counts = self._document_counts(terms)
        terms = [t for t in terms if counts[t]]  # a word no chunk holds matches nothing
        if sum(counts[t] for t in terms) <= RANKED_ROWS or len(terms) < 2:
            return self._ranked(table, _match(terms), limit, sources, path_glob) if terms else []
        found = self._ranked(table, _several_words(terms, counts), limit, sources, path_glob)
        if len(found) >= limit:
            return found
        rare: list[str] = []
        for term in sorted(terms, key=counts.__getitem__):
            if rare and sum(counts[t] for t in rare) + counts[term] > RANKED_ROWS:
                break
            rare.append(term)
        seen = {chunk for chunk, _ in found}
        more = self._ranked(table, _match(rare), limit, sources, path_glob)
        return (found + [hit for hit in more if hit[0] not in seen])[:limit]

    def _ranked(
        self, table: str, match: str, limit: int, sources: Sequence[str], path_glob: str | None
    ) -> list[tuple[str, float]]:
        """The best ``limit`` rows of ``table`` matching ``match`` that pass the filters."""
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

    def _document_counts(self, words: Sequence[str]) -> dict[str, int]:
        """How many chunks hold each word (at most; a phrase counts its rarest term).

        Counting reads a term's whole posting list, so counts are kept until the index
        changes (another connection's commit, or a write on this one).
        """
        stems = self._stem(words)
        with self._counts_lock:
            version = (self._conn.execute("PRAGMA data_version").fetchone()[0], self._conn.total_changes)
            if version != self._counted_at:
                self._counts.clear()
                self._counted_at = version
            for term in {t for w in words for t in stems[w]} - self._counts.keys():
                row = self._conn.execute("SELECT doc FROM temp.chunks_words_terms WHERE term = ?", (term,)).fetchone()
                self._counts[term] = row[0] if row else 0
            return {w: min((self._counts[t] for t in stems[w]), default=0) for w in words}

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
