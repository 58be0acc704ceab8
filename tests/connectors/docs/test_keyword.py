"""The keyword index: which FTS5 table a query goes to, the pushed-down LIMIT, narrowing a
query of common words, and the schema-1 upgrade (run on real SQLite files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.docs.database import SCHEMA_VERSION, open_database
import connectors.docs.keyword as keyword
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


def test_document_counts_use_the_index_stems_and_follow_writes(index: KeywordIndex) -> None:
    index.replace("a", "a.md", [_chunk("a", "a.md", i, "Leaves are granted yearly.") for i in range(3)])
    assert index._document_counts(["leave", "leaves", "e-217", "absent"]) == {
        "leave": 3, "leaves": 3, "e-217": 0, "absent": 0}
    index.replace("b", "b.md", [_chunk("b", "b.md", 0, "Error E-217 means leave the room.")])
    assert index._document_counts(["leave", "e-217"]) == {"leave": 4, "e-217": 1}


def _corpus(index: KeywordIndex) -> None:
    filler = [_chunk("f", "f.md", i, f"hotel night policy filler {i}") for i in range(30)]
    index.replace("f", "f.md", filler)
    index.replace("a", "all.md", [_chunk("a", "all.md", 0, "hotel cap per night for travel")])
    index.replace("a", "two.md", [_chunk("a", "two.md", 0, "the cap on a hotel room")])
    index.replace("a", "cap.md", [_chunk("a", "cap.md", i, f"cap {i}") for i in range(3)])


def test_a_query_of_common_words_is_narrowed_to_chunks_with_two_or_more(
    index: KeywordIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    _corpus(index)
    # hotel 32 rows + cap 5 + night 31 = 68 over budget; the pairs bound (41) fits.
    monkeypatch.setattr(keyword, "RANKED_ROWS", 50)
    narrowed = [i for i, _ in index.search("hotel cap night", limit=3, sources=["a", "f"])]
    assert narrowed[:2] == ["a:all.md:0", "a:two.md:0"]  # all three words, then cap + hotel
    assert narrowed[2].startswith("f:")  # "hotel night": two words, but common ones


def test_when_even_pairs_are_too_many_all_words_come_first_then_the_rarest(
    index: KeywordIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    _corpus(index)
    monkeypatch.setattr(keyword, "RANKED_ROWS", 10)
    found = [i for i, _ in index.search("hotel cap night", limit=8, sources=["a", "f"])]
    # One row holds all three words; the rest come from "cap", the rarest word, and
    # none from the 30 rows that hold only the common "hotel night".
    assert found[0] == "a:all.md:0"
    assert set(found) == {"a:all.md:0", "a:two.md:0", "a:cap.md:0", "a:cap.md:1", "a:cap.md:2"}
