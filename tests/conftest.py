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
