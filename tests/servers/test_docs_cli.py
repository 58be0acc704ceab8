"""`python -m servers docs ingest|search` through click's runner (library tests live elsewhere)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from servers.cli import main
from tests.support import EXAMPLES

ACME_DOCS = EXAMPLES / "acme" / "docs"
N_DOCS = sum(1 for p in ACME_DOCS.rglob("*") if p.is_file())
N_MEETINGS = sum(1 for p in (ACME_DOCS / "meetings").rglob("*") if p.is_file())


@pytest.fixture
def env(models_dir: Path) -> dict[str, str]:
    return {"RAGBOX_MODELS_DIR": str(models_dir)}


@pytest.mark.slow
def test_ingest_prints_progress_and_summary_then_search_prints_hits(tmp_path: Path, env: dict[str, str]) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(ACME_DOCS, docs)
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    runner = CliRunner()
    args = ["--path", str(docs), "--data-dir", str(tmp_path / "data")]
    first = runner.invoke(main, ["docs", "ingest", *args], env=env)
    assert first.exit_code == 0, first.output
    assert f"[{N_DOCS + 1}/{N_DOCS + 1}]" in first.output
    assert f"docs: {N_DOCS} added, 0 updated, 0 unchanged, 0 removed, 1 skipped" in first.output
    assert "skipped broken.pdf: not a readable PDF" in first.output

    (docs / "it_faq.rst").unlink()
    second = runner.invoke(main, ["docs", "ingest", *args, "--prune"], env=env)
    assert f"0 added, 0 updated, {N_DOCS - 1} unchanged, 1 removed, 1 skipped" in second.output, second.output

    found = runner.invoke(main, ["docs", "search", "hotel cap per night in Tokyo", *args, "--top-k", "1"], env=env)
    assert found.exit_code == 0, found.output
    assert "1. handbook.md" in found.output and "260 EUR" in found.output


def test_config_and_path_together_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["docs", "ingest", "--path", str(tmp_path), "--config", "x.toml"])
    assert result.exit_code == 2 and "not both" in result.output


def test_config_file_drives_ingest(tmp_path: Path) -> None:
    config = tmp_path / "ragbox.toml"
    config.write_text(
        'data_dir = "data"\n\n[embeddings]\nprovider = "hashing"\n\n'
        f'[[documents]]\nname = "handbook"\npaths = ["{ACME_DOCS}"]\n'
        'include = ["meetings/**"]\n'
    )
    result = CliRunner().invoke(main, ["docs", "ingest", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert f"handbook: {N_MEETINGS} added, 0 updated" in result.output
    assert (tmp_path / "data" / "docs.sqlite3").is_file()  # relative to the config file


def test_our_errors_are_one_clean_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["docs", "search", "x", "--config", str(tmp_path / "missing.toml")])
    assert result.exit_code == 1 and "No config file" in result.output and "Traceback" not in result.output
