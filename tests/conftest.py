"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from collections.abc import Iterator

from testkit.llm_server import FakeLLM
from tests.support import REPO, need


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A PostgreSQL superuser URL for a scratch database (``RAGBOX_TEST_PG_URL``)."""
    url = os.environ.get("RAGBOX_TEST_PG_URL")
    if not url:
        need("RAGBOX_TEST_PG_URL is not set; `make test` starts PostgreSQL and sets it")
    return url


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The folder holding ``all-MiniLM-L6-v2/onnx/``: where the product looks
    (``RAGBOX_MODELS_DIR``, then Chroma's cache), else ../shared/models beside the checkout."""
    from connectors.embeddings.onnx_minilm import find_minilm_dir

    path = find_minilm_dir() or find_minilm_dir(REPO.parent / "shared" / "models", env={})
    if path is None:
        need("no MiniLM model in RAGBOX_MODELS_DIR, Chroma's cache or ../shared/models; set RAGBOX_MODELS_DIR")
    return path


@pytest.fixture(scope="session")
def acme_pg(pg_url: str) -> str:
    """``pg_url`` loaded with the demo sales data."""
    from tests.support import copy_acme_to

    copy_acme_to(pg_url)
    return pg_url


@pytest.fixture
def acme_sqlite(tmp_path: Path) -> Path:
    """A private copy of the demo sales database, free to be attacked."""
    import shutil

    from tests.support import ACME_DB

    return Path(shutil.copy(ACME_DB, tmp_path / "acme.db"))


@pytest.fixture(scope="session")
def tickets_api():
    """The example ticketing API under uvicorn on 127.0.0.1; yields its base URL."""
    import sys

    from testkit.servers import free_port, running
    from tests.support import TICKETS_TOKEN

    port = free_port()
    args = [sys.executable, "-m", "examples.tickets", "--port", str(port)]
    with running(args, ready_url=f"http://127.0.0.1:{port}/healthz", env={"TICKETS_TOKEN": TICKETS_TOKEN}):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory, tickets_api: str) -> Path:
    """A config over the demo documents (ingested), the sales DB and the tickets API."""
    from connectors.config import load_config
    from connectors.docs import DocumentIndex
    from tests.support import ACME_DB, write_demo_config

    path = write_demo_config(tmp_path_factory.mktemp("demo"), ACME_DB, tickets_api)
    with DocumentIndex.open(load_config(path)) as index:
        index.ingest()
    return path


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture
def llm(fake_llm_server: FakeLLM) -> Iterator[FakeLLM]:
    """The fake LLM, empty and with nothing scripted; at the end every scripted reply was used."""
    fake_llm_server.reset(models=("qwen2.5:7b-instruct", "small"))
    yield fake_llm_server
    assert fake_llm_server.pending == 0, "the test scripted LLM replies that were never asked for"
