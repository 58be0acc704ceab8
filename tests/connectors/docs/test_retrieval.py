"""Search quality on the labelled Acme question set, with the real MiniLM."""

from __future__ import annotations

import json

import pytest

from connectors.docs import DocumentIndex
from tests.connectors.docs.conftest import ACME_DOCS, IndexFactory
from tests.support import EXAMPLES

QUESTIONS = [json.loads(line) for line in (EXAMPLES / "acme" / "docs_questions.jsonl").read_text().splitlines() if line]


@pytest.fixture(scope="module")
def acme_index(tmp_path_factory: pytest.TempPathFactory, minilm) -> DocumentIndex:  # type: ignore[no-untyped-def]
    from connectors.config import DocumentsSource

    index = DocumentIndex(
        sources=[DocumentsSource(name="handbook", paths=[ACME_DOCS])],
        data_dir=tmp_path_factory.mktemp("acme"), embedder=minilm,
    )
    (summary,) = index.ingest()
    assert summary.skipped == () and len(summary.added) >= 8
    return index


def score(index: DocumentIndex, mode: str) -> tuple[float, float]:
    """(hit rate of the right document in the top 3, mean reciprocal rank at 3)."""
    hits = rr = 0.0
    for q in QUESTIONS:
        paths = [h.path for h in index.search(q["question"], top_k=3, mode=mode)]  # type: ignore[arg-type]
        if q["path"] in paths:
            hits += 1
            rr += 1 / (paths.index(q["path"]) + 1)
    return hits / len(QUESTIONS), rr / len(QUESTIONS)


def test_question_set_is_labelled_against_real_documents() -> None:
    assert len(QUESTIONS) >= 20
    for q in QUESTIONS:
        assert (ACME_DOCS / q["path"]).is_file(), q


@pytest.mark.slow
def test_hybrid_finds_the_right_document_in_the_top_3(acme_index: DocumentIndex) -> None:
    hit_rate, _ = score(acme_index, "hybrid")
    assert hit_rate >= 0.9


@pytest.mark.slow
def test_hybrid_beats_keyword_only_and_semantic_only(acme_index: DocumentIndex) -> None:
    hybrid, semantic, keyword = (score(acme_index, m) for m in ("hybrid", "semantic", "keyword"))
    assert hybrid[0] >= max(semantic[0], keyword[0])
    assert hybrid[1] > semantic[1] and hybrid[1] > keyword[1], (hybrid, semantic, keyword)


@pytest.mark.slow
def test_hits_carry_citation_fields(acme_index: DocumentIndex) -> None:
    (hit,) = acme_index.search("E-217 main brush motor stalled", top_k=1, path_glob="*.pdf")
    assert hit.path == "robovac_x200_manual.pdf" and hit.page == 3
    assert hit.heading_path == ("3. Error codes",)
    assert hit.title == "RoboVac X200 User Manual"
    assert "Main brush motor stalled" in hit.text and hit.chunk_id in hit.chunk_ids


@pytest.mark.slow
def test_shift_jis_japanese_is_found_by_a_japanese_query(acme_index: DocumentIndex) -> None:
    hits = acme_index.search("地震のときの避難場所", top_k=3)
    assert hits[0].path == "tokyo_office_rules.txt"
    assert "芝公園" in hits[0].text


@pytest.mark.slow
def test_filters_by_path_glob_and_source(acme_index: DocumentIndex) -> None:
    hits = acme_index.search("decisions and action items", top_k=5, path_glob="meetings/**")
    assert hits and all(h.path.startswith("meetings/") for h in hits)
    assert acme_index.search("leave", path_glob="*.nothing", top_k=3) == []
    with pytest.raises(Exception, match="Unknown documents source 'nope'"):
        acme_index.search("leave", source="nope")


def test_neighbouring_chunks_merge_into_one_passage(make_index: IndexFactory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "long"
    folder.mkdir()
    sentences = [f"Rule {i}: the glacier budget covers item {i} of the expedition plan." for i in range(40)]
    (folder / "plan.md").write_text("# Plan\n\n## Budget\n\n" + " ".join(sentences))
    index = make_index(folder, chunk_tokens=64, chunk_overlap=16)
    index.ingest()
    merged = index.search("glacier budget expedition plan", top_k=1, mode="keyword")[0]
    single = index.search("glacier budget expedition plan", top_k=1, mode="keyword", merge=False)[0]
    assert len(merged.chunk_ids) > 1 and len(merged.text) > len(single.text)
    text = index.get_document("plan.md", length=20_000).text
    assert merged.text == text[merged.start : merged.end]  # overlaps appear once


@pytest.mark.slow
def test_get_document_pages_through_the_full_text(acme_index: DocumentIndex) -> None:
    first = acme_index.get_document("handbook.md", offset=0, length=1000)
    assert first.title == "Acme Corp Employee Handbook" and len(first.text) == 1000
    second = acme_index.get_document("handbook.md", offset=first.next_offset or 0, length=20_000)
    assert second.next_offset is None
    assert first.text + second.text == acme_index.get_document("handbook.md", length=20_000).text
    with pytest.raises(Exception, match="No indexed document"):
        acme_index.get_document("../../etc/passwd")


@pytest.mark.slow
def test_list_sources_counts_chunks(acme_index: DocumentIndex) -> None:
    (info,) = acme_index.list_sources()
    by_path = {d.path: d for d in info.documents}
    assert by_path["handbook.md"].chunks >= 10
    assert sum(d.chunks for d in info.documents) == acme_index.keyword.count("handbook")


def test_an_oversize_query_is_refused_before_any_work(acme_index: DocumentIndex) -> None:
    from connectors.docs import MAX_QUERY_CHARS
    from connectors.errors import DocumentError

    with pytest.raises(DocumentError, match=f"limit is {MAX_QUERY_CHARS:,}; send the question"):
        acme_index.search("annual leave " * 4_000)
    assert acme_index.search("x" * MAX_QUERY_CHARS, top_k=1, mode="keyword") is not None  # the limit itself passes


def test_a_repeated_query_is_embedded_once(make_index: IndexFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    index = make_index(ACME_DOCS)
    index.ingest()
    embedded: list[str] = []
    embed = index.embedder.embed
    monkeypatch.setattr(index.embedder, "embed", lambda texts: embedded.extend(texts) or embed(texts))
    first = index.search("remote work allowance", top_k=1, mode="semantic")
    again = index.search("remote work allowance", top_k=3, mode="hybrid")  # the agent's answer search
    index.search("hotel cap per night", top_k=1, mode="semantic")
    assert embedded == ["remote work allowance", "hotel cap per night"]
    assert again[0].chunk_id == first[0].chunk_id or first[0].chunk_id in {h.chunk_id for h in again}
