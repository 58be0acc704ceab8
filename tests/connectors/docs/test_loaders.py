"""Loaders: encodings, structure (title, heading path, page) and refusals."""

from __future__ import annotations

import pytest

from connectors.docs import BinaryContent, decode_bytes, load_bytes, load_document
from connectors.errors import DocumentError
from tests.connectors.docs.conftest import ACME_DOCS

JAPANESE = "有給休暇は入社6か月後に10日付与されます。申請は上長の承認が必要です。"
WESTERN = "Café résumé — naïve “quotes”, the employee’s 50 € gift limit."


@pytest.mark.parametrize(
    ("text", "encoding"),
    [(JAPANESE, "shift_jis"), (JAPANESE, "euc_jp"), (JAPANESE, "utf-16"), (WESTERN, "utf-16"),
     (WESTERN, "cp1252"), (WESTERN, "utf-8"), (WESTERN, "utf-8-sig"), (JAPANESE, "utf-8")],
)
def test_decode_detects_the_encoding(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding)) == text


def test_decode_refuses_binary() -> None:
    with pytest.raises(BinaryContent, match="binary"):
        decode_bytes(bytes(range(256)) * 8)


def test_markdown_headings_become_the_heading_path() -> None:
    doc = load_bytes(b"# Guide\n\nIntro.\n\n## Setup\n\nStep one.\n\n```\n# not a heading\n```\n\n### Wi-Fi\n\nPair it.\n", ".md", "g")
    assert doc.title == "Guide"
    assert [s.heading_path for s in doc.sections] == [("Guide",), ("Guide", "Setup"), ("Guide", "Setup", "Wi-Fi")]
    assert all(doc.text[s.start : s.start + len(s.text)] == s.text for s in doc.sections)


def test_html_is_parsed_not_regexed() -> None:
    doc = load_document(ACME_DOCS / "release_notes.html")
    assert doc.title == "RoboVac Firmware Release Notes"
    assert "window.analytics" not in doc.text and "Home | Support" not in doc.text
    paths = [s.heading_path for s in doc.sections]
    assert ("RoboVac Firmware Release Notes", "Version 3.3.2 (15 January 2024)", "Fixes") in paths
    assert "stores up to four floor maps" in doc.text  # inline <strong> keeps the sentence whole


def test_rst_sections() -> None:
    doc = load_document(ACME_DOCS / "it_faq.rst")
    assert doc.title == "IT Help Desk FAQ"
    assert ("IT Help Desk FAQ", "VPN") in [s.heading_path for s in doc.sections]


def test_pdf_keeps_pages_and_bookmarks() -> None:
    doc = load_document(ACME_DOCS / "robovac_x200_manual.pdf")
    assert doc.title == "RoboVac X200 User Manual"
    by_page = {s.page: s for s in doc.sections}
    assert set(by_page) == {1, 2, 3, 4}
    assert "E-217" in by_page[3].text and by_page[3].heading_path == ("3. Error codes",)


def test_docx_headings_and_tables() -> None:
    doc = load_document(ACME_DOCS / "onboarding_guide.docx")
    assert doc.title == "Acme Onboarding Guide"
    assert any(s.heading_path[-1:] == ("Your first day",) for s in doc.sections)
    assert "Payroll | payroll@acme.example" in doc.text


def test_shift_jis_and_cp1252_example_files() -> None:
    assert "芝公園" in load_document(ACME_DOCS / "tokyo_office_rules.txt").text
    assert "50 €" in load_document(ACME_DOCS / "supplier_code_of_conduct.txt").text


@pytest.mark.parametrize(
    ("data", "suffix", "reason"),
    [(b"%PDF-1.4 nonsense", ".pdf", "not a readable PDF"), (b"PK\x03\x04 broken", ".docx", "not a readable DOCX"),
     (b"   \n\n", ".md", "no text"), (b"x", ".exe", "unsupported file type")],
)
def test_bad_files_raise_a_reason(data: bytes, suffix: str, reason: str) -> None:
    with pytest.raises(DocumentError, match=reason):
        load_bytes(data, suffix)


def test_public_names_are_exported() -> None:
    import connectors.docs as docs

    assert all(hasattr(docs, name) for name in docs.__all__)
    assert {"DocumentIndex", "Chunk", "Hit", "IngestSummary", "load_document"} <= set(docs.__all__)
