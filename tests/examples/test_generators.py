"""The committed demo data is what its generators produce, so a fresh clone needs no build step."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from connectors.docs import load_document
from examples.acme import generate_db, make_docs
from tests.support import ACME_DB, EXAMPLES, data_digest, need

pytestmark = pytest.mark.slow  # rebuilds the demo data from scratch

TICKETS_DB = EXAMPLES / "tickets" / "tickets.db"


@pytest.fixture(scope="module")
def fresh_acme_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_db.build(tmp_path_factory.mktemp("acme") / "acme.db")


def test_generate_db_reproduces_the_committed_database(fresh_acme_db: Path) -> None:
    assert generate_db.rows_digest(fresh_acme_db) == generate_db.rows_digest(ACME_DB), (
        "acme.db differs from its generator; run `python -m examples.acme.generate_db`"
    )


def _structure(path: Path) -> tuple[str, str, list[tuple[tuple[str, ...], int | None]]]:
    document = load_document(path)
    return document.title, document.text, [(s.heading_path, s.page) for s in document.sections]


def test_make_docs_reproduces_the_committed_documents(tmp_path: Path) -> None:
    for module in ("reportlab", "docx"):
        if importlib.util.find_spec(module) is None:
            need(f"{module} is not installed (it is a dev extra)")
    written = make_docs.build(tmp_path)
    assert len(written) == len(make_docs.GENERATED)
    for path in written:
        committed = make_docs.DOCS / path.relative_to(tmp_path)
        hint = f"{committed.name} differs from make_docs.py; run `python examples/acme/make_docs.py`"
        assert committed.is_file(), hint
        if path.suffix in (".pdf", ".docx"):
            # Zip and PDF containers may differ by library version; what is read must not.
            assert _structure(path) == _structure(committed), hint
        else:
            assert path.read_bytes() == committed.read_bytes(), hint


def test_tickets_data_follows_from_the_generated_sales_data(fresh_acme_db: Path, tmp_path: Path) -> None:
    from examples.tickets.generate import generate

    fresh = generate(tmp_path / "tickets.db", acme_db=fresh_acme_db)
    assert data_digest(f"sqlite:///{fresh}") == data_digest(f"sqlite:///{TICKETS_DB}"), (
        "tickets.db does not follow from acme.db; run `python -m examples.tickets.generate`"
    )
