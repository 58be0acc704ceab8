"""Fixtures for the documents connector: real Chroma in temp dirs, the hashing embedder by
default and the real MiniLM where a test needs meaning."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connectors.config import DocumentsSource, EmbeddingsConfig
from connectors.docs import DocumentIndex
from connectors.embeddings import Embedder, HashingEmbedder, get_embedder
from testkit.servers import free_port, stop_process, wait_http
from tests.support import EXAMPLES

ACME_DOCS = EXAMPLES / "acme" / "docs"

IndexFactory = Callable[..., DocumentIndex]


@pytest.fixture(scope="session")
def minilm(models_dir: Path) -> Embedder:
    """The default embedder, loaded once for the whole session."""
    return get_embedder(EmbeddingsConfig(models_dir=models_dir))


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``chroma run`` on 127.0.0.1; yields its URL."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI comes with the chromadb wheel"
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    log = (folder / "chroma.log").open("wb")  # a file, not a pipe: chroma logs every request
    proc = subprocess.Popen(
        [chroma, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(folder / "data")],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)
        log.close()


def source(path: Path, name: str = "handbook", **overrides: object) -> DocumentsSource:
    return DocumentsSource(name=name, paths=[path], **overrides)  # type: ignore[arg-type]


@pytest.fixture
def make_index(tmp_path: Path) -> Iterator[IndexFactory]:
    """Build a DocumentIndex over given folders, in a fresh data dir; closes them after.
    The embedder is the hashing one unless ``embedder`` says otherwise."""
    opened: list[DocumentIndex] = []

    def factory(*folders: Path, embedder: Embedder | None = None, data_dir: Path | None = None,
                store_url: str | None = None, source_name: str = "handbook",
                **overrides: object) -> DocumentIndex:
        sources = [source(f, name=f"s{i}" if len(folders) > 1 else source_name, **overrides)
                   for i, f in enumerate(folders)]
        index = DocumentIndex(sources=sources, data_dir=data_dir or tmp_path / "data",
                              embedder=embedder or HashingEmbedder(), store_url=store_url)
        opened.append(index)
        return index

    yield factory
    for index in opened:
        index.close()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the Acme example documents."""
    target = tmp_path / "docs"
    shutil.copytree(ACME_DOCS, target)
    return target
