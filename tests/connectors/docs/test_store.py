"""The Chroma store: Chroma's errors arrive as DocumentError saying what to do, and only a
missing collection is quiet."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from chromadb.errors import ChromaError

from connectors.docs.models import Chunk
from connectors.docs.store import ChromaStore
from connectors.embeddings import HashingEmbedder
from connectors.errors import DocumentError
from testkit.servers import free_port, wait_http


def chunk(n: int = 0, source: str = "handbook") -> Chunk:
    return Chunk(id=f"{source}:a.md:{n}", source=source, path="a.md", title="A", heading_path=("A",),
                 page=None, start=0, end=5, ordinal=n, text=f"text {n}")


@pytest.fixture
def store(tmp_path: Path) -> ChromaStore:
    return ChromaStore(HashingEmbedder(dim=64), data_dir=tmp_path)


def test_store_drop_of_a_never_indexed_source_is_quiet(store):
    store.drop("never_indexed")  # `ingest --rebuild` on a first run
    assert store.count("never_indexed") == 0


def test_store_query_wraps_chroma_errors_with_the_next_step(store):
    store.upsert([chunk()], [[1.0] + [0.0] * 63])
    with pytest.raises(DocumentError, match=r"search the vectors for source 'handbook'.*--rebuild") as info:
        store.query("handbook", [1.0, 0.0], limit=1)  # a width Chroma refuses
    assert isinstance(info.value.__cause__, ChromaError)


def test_store_upsert_wraps_chroma_errors_with_the_next_step(store, tmp_path):
    store.upsert([chunk(0)], [[1.0] + [0.0] * 63])
    with pytest.raises(DocumentError, match=rf"store vectors for source 'handbook'.*delete {tmp_path}") as info:
        store.upsert([chunk(1)], [[1.0, 0.0]])
    assert isinstance(info.value.__cause__, ChromaError)


@pytest.mark.slow
def test_store_reports_a_chroma_server_that_went_away(tmp_path):
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI comes with the chromadb wheel"
    port = free_port()
    proc = subprocess.Popen([chroma, "run", "--host", "127.0.0.1", "--port", str(port), "--path",
                             str(tmp_path / "server")], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, timeout=60)
        store = ChromaStore(HashingEmbedder(dim=64), data_dir=tmp_path, url=f"http://127.0.0.1:{port}")
        store.check("handbook")
        store.drop("never_indexed")  # the server's "not found" is quiet too
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    server_gone = rf"for source 'handbook' \(ConnectError.*Chroma server at http://127.0.0.1:{port} is running"
    with pytest.raises(DocumentError, match="search the vectors " + server_gone):
        store.query("handbook", [0.0] * 64, limit=1)
    with pytest.raises(DocumentError, match="delete the collection " + server_gone):
        store.drop("handbook")  # not swallowed: only a missing collection is
