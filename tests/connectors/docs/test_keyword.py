"""The keyword index: which FTS5 table a query goes to, the pushed-down LIMIT, and the
schema-1 upgrade (run on real SQLite files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.docs.database import SCHEMA_VERSION, open_database
from connectors.docs.keyword import CANDIDATES, KeywordIndex, fts_table
from connectors.docs.models import Chunk


def _chunk(source: str, path: str, ordinal: int, text: str) -> Chunk:
    return Chunk(id=f"{source}:{path}:{ordinal}", source=source, path=path, title=path,
                 heading_path=("Section",), page=None, start=0, end=len(text), ordinal=ordinal, text=text)


@pytest.fixture
def index(tmp_path: Path) -> KeywordIndex:
    return KeywordIndex(open_database(tmp_path / "docs.sqlite3"))


def test_latin_queries_use_words_and_cjk_queries_use_trigrams() -> None:
    assert fts_table("annual leave days") == "chunks_words"
    assert fts_table("有給休暇は何日") == "chunks_fts"
    assert fts_table("VPN の設定") == "chunks_fts"  # mixed: the trigram index holds both


def test_word_index_stems_and_trigram_index_finds_japanese(index: KeywordIndex) -> None:
    index.replace("a", "policy.md", [_chunk("a", "policy.md", 0, "Employees get 25 days of annual leaves."),
                                    _chunk("a", "policy.md", 1, "The canteen opens at noon.")])
    index.replace("a", "jp.md", [_chunk("a", "jp.md", 0, "有給休暇は年間20日です。")])
    assert [i for i, _ in index.search("annual leave", limit=5, sources=["a"])] == ["a:policy.md:0"]
    assert [i for i, _ in index.search("有給休暇", limit=5, sources=["a"])] == ["a:jp.md:0"]
    assert index.search("E-217", limit=5, sources=["a"]) == []


def test_filters_that_drop_the_best_matches_fall_back_to_ranking_all(index: KeywordIndex) -> None:
    # More than CANDIDATES strong matches in source "a", three weak ones in "b": the
    # pushed-down LIMIT sees only "a"; the search must still find "b"'s three.
    strong = [_chunk("a", "a.md", i, "leave leave leave policy") for i in range(CANDIDATES + 20)]
    weak = [_chunk("b", "b.md", i, "leave is mentioned once among many other words here " * 3)
            for i in range(3)]
    index.replace("a", "a.md", strong)
    index.replace("b", "b.md", weak)
    found = index.search("leave", limit=5, sources=["b"])
    assert sorted(i for i, _ in found) == [c.id for c in weak]
    found = index.search("leave", limit=5, sources=["a", "b"], path_glob="b.md")
    assert len(found) == 3
    best = index.search("leave", limit=5, sources=["a", "b"])
    assert len(best) == 5 and all(i.startswith("a:") for i, _ in best)
    assert [s for _, s in best] == sorted((s for _, s in best), reverse=True)


def test_a_schema_1_index_gains_the_word_table_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "docs.sqlite3"
    conn = open_database(path)
    KeywordIndex(conn).replace("a", "leave.md", [_chunk("a", "leave.md", 0, "Annual leave is 25 days.")])
    # Make it look like ragbox before schema 2: no words table, version 1.
    conn.executescript("DROP TRIGGER chunks_words_ai; DROP TRIGGER chunks_words_ad; DROP TABLE chunks_words;"
                       "UPDATE meta SET value = '1' WHERE key = 'schema_version';")
    conn.close()
    conn = open_database(path)
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    assert [i for i, _ in KeywordIndex(conn).search("leave", limit=5, sources=["a"])] == ["a:leave.md:0"]
