"""Incremental ingest, bad input, embedder mismatch and the `chroma run` server mode."""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

import connectors.docs.ingest as ingest_module
from connectors.docs import DocumentIndex
from connectors.docs.models import IngestProgress
from connectors.embeddings import HashingEmbedder
from connectors.errors import DocumentError
from tests.connectors.docs.conftest import ACME_DOCS, IndexFactory

N_DOCS = sum(1 for p in ACME_DOCS.rglob("*") if p.is_file())


def assert_consistent(index: DocumentIndex, source: str = "handbook") -> None:
    """Chroma and the keyword index hold exactly the chunks the manifest lists."""
    keyword_ids = index.keyword.ids(source)
    assert index.store.ids(source) == keyword_ids
    assert index.store.count(source) == len(keyword_ids)  # no duplicates
    documents = next(s for s in index.list_sources() if s.name == source).documents
    assert sum(d.chunks for d in documents) == len(keyword_ids)


@pytest.mark.slow
def test_second_run_skips_unchanged_files(make_index: IndexFactory, corpus: Path) -> None:
    index = make_index(corpus)
    (first,) = index.ingest()
    (second,) = index.ingest()
    assert len(first.added) == N_DOCS and first.chunks_written > 30
    assert second.counts() == {"added": 0, "updated": 0, "unchanged": N_DOCS, "removed": 0, "skipped": 0}
    assert second.chunks_written == 0
    assert_consistent(index)


def test_touched_but_identical_file_is_unchanged(make_index: IndexFactory, corpus: Path) -> None:
    index = make_index(corpus)
    index.ingest()
    os.utime(corpus / "handbook.md", ns=(1, 1))
    (summary,) = index.ingest()
    assert "handbook.md" in summary.unchanged and summary.chunks_written == 0


def test_edit_replaces_the_old_chunks(make_index: IndexFactory, corpus: Path) -> None:
    index = make_index(corpus)
    index.ingest()
    handbook = corpus / "handbook.md"
    handbook.write_text(handbook.read_text().replace("25 days of paid annual leave", "27 days of paid annual leave"))
    (summary,) = index.ingest()
    assert summary.updated == ("handbook.md",) and len(summary.unchanged) == N_DOCS - 1
    texts = index.get_document("handbook.md", length=20_000).text
    assert "27 days" in texts and "25 days" not in texts
    hits = index.search("paid annual leave days", top_k=3, mode="keyword")
    assert any("27 days" in h.text for h in hits) and not any("25 days" in h.text for h in hits)
    assert_consistent(index)


def test_delete_and_rename_with_prune(make_index: IndexFactory, corpus: Path) -> None:
    index = make_index(corpus)
    index.ingest()
    (corpus / "it_faq.rst").unlink()
    (corpus / "release_notes.html").rename(corpus / "firmware_notes.html")
    (kept,) = index.ingest()  # without --prune, gone files stay
    assert kept.removed == () and kept.added == ("firmware_notes.html",)
    (pruned,) = index.ingest(prune=True)
    assert sorted(pruned.removed) == ["it_faq.rst", "release_notes.html"]
    paths = {d.path for d in index.list_sources()[0].documents}
    assert "firmware_notes.html" in paths and "release_notes.html" not in paths and "it_faq.rst" not in paths
    assert all(h.path != "it_faq.rst" for h in index.search("WireGuard VPN", top_k=5))
    assert_consistent(index)


@pytest.mark.slow
def test_changed_chunk_settings_reindex_everything(make_index: IndexFactory, corpus: Path, tmp_path: Path) -> None:
    make_index(corpus).ingest()
    (summary,) = make_index(corpus, chunk_tokens=100, chunk_overlap=10).ingest()
    assert len(summary.updated) == N_DOCS


def _encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(ACME_DOCS / "robovac_x200_manual.pdf"))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_bad_input_is_skipped_with_reasons_and_the_run_finishes(make_index: IndexFactory, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.md").write_text("# Good\n\nThe cafeteria opens at 08:00.")
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage\n%%EOF")
    (folder / "encrypted.pdf").write_bytes(_encrypted_pdf())
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "empty.md").write_bytes(b"")
    (folder / "blank.txt").write_text("   \n\n  ")
    (folder / "huge.txt").write_text("big " * 5_000)
    (folder / "dangling.md").symlink_to(folder / "missing.md")
    (folder / "loop_a.md").symlink_to(folder / "loop_b.md")
    (folder / "loop_b.md").symlink_to(folder / "loop_a.md")
    (folder / "sub" / "up").symlink_to(folder, target_is_directory=True)
    expected = {
        "corrupt.pdf": "not a readable PDF", "encrypted.pdf": "encrypted PDF",
        "binary.txt": "binary content", "empty.md": "empty file", "blank.txt": "no text",
        "huge.txt": "larger than the size cap", "dangling.md": "broken symlink",
        "loop_a.md": "symlink loop", "loop_b.md": "symlink loop", "sub/up": "symlink loop",
    }
    if os.geteuid() != 0:  # root reads any file, so a permission test needs a normal user
        (folder / "secret.md").write_text("# Secret")
        (folder / "secret.md").chmod(0)
        expected["secret.md"] = "cannot read"
    index = make_index(folder, max_file_bytes=10_000)
    (summary,) = index.ingest()
    reasons = {s.path: s.reason for s in summary.skipped}
    assert summary.added == ("good.md",)
    for path, reason in expected.items():
        assert reason in reasons.get(path, ""), (path, reasons)
    assert index.search("cafeteria", top_k=1)[0].path == "good.md"


def test_a_file_turning_bad_loses_its_old_chunks(make_index: IndexFactory, corpus: Path) -> None:
    index = make_index(corpus)
    index.ingest()
    (corpus / "it_faq.rst").write_bytes(b"\x00\x01\x02" * 1000)
    (summary,) = index.ingest()
    assert [s.path for s in summary.skipped] == ["it_faq.rst"]
    assert "it_faq.rst" not in {d.path for d in index.list_sources()[0].documents}
    assert_consistent(index)


@pytest.mark.slow
def test_opening_an_index_with_another_embedder_is_a_clear_error(make_index: IndexFactory, corpus: Path, tmp_path: Path) -> None:
    make_index(corpus, data_dir=tmp_path / "d").ingest()
    other = make_index(corpus, data_dir=tmp_path / "d", embedder=HashingEmbedder(dim=256))
    with pytest.raises(DocumentError, match="built with the embedder 'hashing-384'.*--rebuild"):
        other.check()
    (rebuilt,) = other.ingest(rebuild=True)
    assert len(rebuilt.added) == N_DOCS and other.search("annual leave", top_k=1)


@pytest.mark.slow
def test_chroma_server_mode_ingests_searches_and_updates(
    make_index: IndexFactory, corpus: Path, chroma_server: str
) -> None:
    index = make_index(corpus, store_url=chroma_server)
    (first,) = index.ingest()
    assert len(first.added) == N_DOCS
    assert index.search("What does error E-217 mean?", top_k=3)[0].path in {
        "robovac_x200_manual.pdf", "meetings/2024-05-07-product-sync.md"}
    (corpus / "handbook.md").unlink()
    (pruned,) = index.ingest(prune=True)
    assert pruned.removed == ("handbook.md",)
    assert_consistent(index)
    assert "localhost" in index.store.location or "127.0.0.1" in index.store.location


def _many_files(folder: Path, files: int) -> None:
    folder.mkdir()
    for i in range(files):
        (folder / f"note_{i:02}.md").write_text(f"# Note {i}\n\nRoom {i} is booked on day {i} for team {i}.")


def test_batches_span_files_and_each_report_follows_its_commit(
    make_index: IndexFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "BATCH_CHUNKS", 3)  # 12 one-chunk files: four batches
    folder = tmp_path / "notes"
    _many_files(folder, 12)
    index = make_index(folder)
    embed_calls: list[int] = []
    embed = index.embedder.embed
    monkeypatch.setattr(index.embedder, "embed", lambda texts: embed_calls.append(len(texts)) or embed(texts))
    database = index.data_dir / "docs.sqlite3"
    states: list[tuple[str, str]] = []

    def progress(event: IngestProgress) -> None:
        with sqlite3.connect(database) as other:  # another connection sees only committed rows
            (state,) = other.execute("SELECT state FROM files WHERE path = ?", (event.path,)).fetchone()
        states.append((event.path, state))

    (summary,) = index.ingest(progress=progress)
    assert embed_calls == [3, 3, 3, 3]
    assert [p for p, _ in states] == sorted(p.name for p in folder.iterdir())
    assert {s for _, s in states} == {"done"}
    assert len(summary.added) == 12
    assert_consistent(index)


def test_a_failed_write_stops_the_run_and_the_next_run_converges(
    make_index: IndexFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "BATCH_CHUNKS", 4)
    folder = tmp_path / "notes"
    _many_files(folder, 12)
    index = make_index(folder)
    upsert = index.store.upsert
    calls: list[int] = []

    def flaky(chunks, vectors):  # type: ignore[no-untyped-def]
        calls.append(len(chunks))
        if len(calls) == 2:
            raise DocumentError("Chroma went away")
        upsert(chunks, vectors)

    monkeypatch.setattr(index.store, "upsert", flaky)
    with pytest.raises(DocumentError, match="Chroma went away"):
        index.ingest()
    records = index.manifest.records("handbook")
    assert sum(r.state == "done" for r in records.values()) == 4  # the first batch, committed
    assert sum(r.state == "pending" for r in records.values()) == 4  # the failed one, marked
    monkeypatch.setattr(index.store, "upsert", upsert)
    (summary,) = index.ingest()
    assert len(summary.added) == 8 and len(summary.unchanged) == 4
    assert_consistent(index)
