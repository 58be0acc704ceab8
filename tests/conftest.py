"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
    """The folder holding ``all-MiniLM-L6-v2/onnx/`` (``RAGBOX_MODELS_DIR``, else ../shared/models)."""
    path = Path(os.environ.get("RAGBOX_MODELS_DIR") or REPO.parent / "shared" / "models")
    if not (path / "all-MiniLM-L6-v2" / "onnx" / "model.onnx").is_file():
        need(f"no MiniLM model under {path}; set RAGBOX_MODELS_DIR")
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
