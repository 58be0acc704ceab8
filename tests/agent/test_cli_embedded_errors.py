"""``agent ask`` with a broken embedded model: one clear line, exit 1, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.llm.llamacpp_chat import memory_available
from agent.models import DEFAULT_MODEL, MODELS
from tests.support import ACME_DB, REPO

pytestmark = pytest.mark.slow

SPEC = MODELS[DEFAULT_MODEL]


def ask(tmp_path: Path, model: str, *, python: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "ragbox.toml"
    config.write_text(f"""
[llm]
provider = "llamacpp"
model = "{model}"
models_dir = "{tmp_path / 'models'}"

[embeddings]
provider = "hashing"

[[databases]]
name = "sales"
url = "sqlite:///{ACME_DB}"
description = "Sales database"
""", encoding="utf-8")
    args = ["ask", "How many customers are there?", "--config", str(config), "--route", "sales"]
    command = python or [sys.executable, "-m", "agent"]
    # Only tmp_path's folders: the real model in the user cache must not stand in.
    env = {k: v for k, v in os.environ.items() if k != "RAGBOX_MODELS_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, cwd=REPO, env=env)


def assert_clean_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    error_lines = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, proc.stderr
    for needle in needles:
        assert needle in error_lines[0]


def registry_file(tmp_path: Path, size: int) -> Path:
    (tmp_path / "models").mkdir()
    path = tmp_path / "models" / SPEC.filename
    with path.open("wb") as f:
        f.write(b"GGUF")
        f.truncate(size)  # sparse: no real disk
    return path


def test_a_missing_model_file(tmp_path):
    assert_clean_error(ask(tmp_path, str(tmp_path / "absent.gguf")), "No model file", "models list")


def test_a_registry_model_not_downloaded(tmp_path):
    assert_clean_error(ask(tmp_path, DEFAULT_MODEL), "not downloaded", f"python -m agent models pull {DEFAULT_MODEL}")


def test_a_truncated_download(tmp_path):
    registry_file(tmp_path, SPEC.size // 3)
    assert_clean_error(ask(tmp_path, DEFAULT_MODEL), "truncated", f"models pull {DEFAULT_MODEL}")


def test_a_file_with_the_wrong_sha256(tmp_path):
    path = registry_file(tmp_path, SPEC.size)
    assert_clean_error(ask(tmp_path, DEFAULT_MODEL), "sha256", "Delete it")
    assert not path.with_name(path.name + ".verified").exists()  # a bad file is never marked good


def test_a_model_too_large_for_memory(tmp_path):
    path = tmp_path / "huge.gguf"
    with path.open("wb") as f:
        f.write(b"GGUF")
        f.truncate(2 * memory_available())
    assert_clean_error(ask(tmp_path, str(path)), "GiB of memory", "smaller model")


def test_llama_cpp_python_not_installed(tmp_path):
    hide = "import sys; sys.modules['llama_cpp'] = None; from agent.cli import main; sys.argv[0] = 'agent'; main()"
    proc = ask(tmp_path, str(tmp_path / "any.gguf"), python=[sys.executable, "-c", hide])
    assert_clean_error(proc, "llama-cpp-python", "ragbox[local]")
