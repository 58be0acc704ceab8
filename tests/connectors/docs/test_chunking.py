"""Chunking follows structure, keeps the budget and offsets, and ids are stable."""

from __future__ import annotations

from connectors.docs import chunk_document, estimate_tokens, load_bytes, load_document
from tests.connectors.docs.conftest import ACME_DOCS

LONG = "# Policy\n\n## Travel\n\n" + "\n\n".join(
    " ".join(f"Sentence {p}.{s} explains one travel rule in plain words." for s in range(6)) for p in range(8)
) + "\n\n## Leave\n\nShort section."


def chunks(text: str = LONG, **kw: int):  # type: ignore[no-untyped-def]
    return chunk_document(load_bytes(text.encode(), ".md", "p"), source="s", path="p.md", **kw)


def test_chunks_respect_the_budget_and_point_at_their_text() -> None:
    doc = load_bytes(LONG.encode(), ".md", "p")
    result = chunk_document(doc, source="s", path="p.md", max_tokens=60, overlap=12)
    assert len(result) > 4
    for chunk in result:
        assert estimate_tokens(chunk.text) <= 60
        assert doc.text[chunk.start : chunk.end] == chunk.text
    assert [c.ordinal for c in result] == list(range(len(result)))


def test_chunks_never_cross_headings() -> None:
    result = chunks(max_tokens=60, overlap=12)
    assert result[-1].heading_path == ("Policy", "Leave") and result[-1].text == "Short section."
    assert all("Short section" not in c.text for c in result[:-1])


def test_consecutive_chunks_overlap() -> None:
    result = [c for c in chunks(max_tokens=60, overlap=20) if c.heading_path[-1] == "Travel"]
    overlapping = sum(1 for a, b in zip(result, result[1:]) if b.start < a.end)
    assert overlapping >= len(result) // 2


def test_ids_are_stable_and_follow_content() -> None:
    first, second = chunks(), chunks()
    assert [c.id for c in first] == [c.id for c in second]
    edited = chunks(LONG.replace("Short section.", "A changed section."))
    assert edited[-1].id != first[-1].id and edited[0].id == first[0].id
    assert len({c.id for c in first}) == len(first)


def test_repeated_paragraphs_get_distinct_ids() -> None:
    result = chunks("# A\n\nSame text.\n\n# B\n\nSame text.")
    assert len(result) == 2 and result[0].id != result[1].id


def test_japanese_splits_at_sentence_ends() -> None:
    text = "規則\n\n" + "有給休暇は入社6か月後に10日付与されます。" * 30
    result = chunks(text, max_tokens=60, overlap=0)
    assert len(result) > 3
    assert all(c.text.endswith("。") for c in result)
    assert all(estimate_tokens(c.text) <= 60 for c in result)


def test_example_pdf_chunks_carry_pages() -> None:
    doc = load_document(ACME_DOCS / "robovac_x200_manual.pdf")
    result = chunk_document(doc, source="s", path="m.pdf")
    assert {c.page for c in result} == {1, 2, 3, 4}
