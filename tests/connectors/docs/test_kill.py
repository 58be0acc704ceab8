"""An ingest killed with SIGKILL converges on the next run: no duplicates, no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectors.docs.ingest import BATCH_CHUNKS
from connectors.embeddings import Embedder
from tests.connectors.docs.conftest import IndexFactory
from tests.connectors.docs.test_ingest import assert_consistent
from tests.support import REPO

pytestmark = pytest.mark.slow


def _write_corpus(folder: Path, files: int) -> None:
    folder.mkdir()
    for i in range(files):
        paragraphs = [f"Policy {i}.{j}: team {i} reviews item {j} of the quarterly plan every week." * 3
                      for j in range(24)]
        (folder / f"policy_{i:03}.md").write_text(f"# Policy {i}\n\n" + "\n\n".join(paragraphs))


def _ingest(folder: Path, data: Path, models_dir: Path, *, kill_after: int | None, prune: bool = False) -> str:
    """Run the CLI ingest; SIGKILL it once it has reported ``kill_after`` files."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "servers", "docs", "ingest", "--path", str(folder), "--data-dir", str(data)]
        + (["--prune"] if prune else []),
        cwd=REPO, env={**os.environ, "RAGBOX_MODELS_DIR": str(models_dir)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        lines.append(line)
        if kill_after is not None and line.startswith(f"[{kill_after}/"):
            os.kill(proc.pid, signal.SIGKILL)
            break
        assert time.monotonic() < deadline, "ingest took too long"
    proc.wait(timeout=60)
    if kill_after is not None:
        assert proc.returncode == -signal.SIGKILL, "".join(lines)
    else:
        assert proc.returncode == 0, "".join(lines)
    return "".join(lines)


def test_killed_ingest_converges_to_the_same_index(
    tmp_path: Path, models_dir: Path, make_index: IndexFactory, minilm: Embedder
) -> None:
    folder = tmp_path / "corpus"
    _write_corpus(folder, 100)  # several ingest batches, so a kill lands between and inside them
    data = tmp_path / "killed"
    _ingest(folder, data, models_dir, kill_after=2)
    _ingest(folder, data, models_dir, kill_after=60)
    # an edit and a deletion while the index is half-written
    (folder / "policy_001.md").write_text("# Policy 1\n\nRewritten after the crash.")
    (folder / "policy_030.md").unlink()
    out = _ingest(folder, data, models_dir, kill_after=None, prune=True)  # policy_030 may be done by now
    assert "0 skipped" in out

    killed = make_index(folder, data_dir=data, source_name="docs", embedder=minilm)  # as the CLI
    clean = make_index(folder, data_dir=tmp_path / "clean", source_name="docs", embedder=minilm)
    (built,) = clean.ingest()
    assert built.chunks_written > 2 * BATCH_CHUNKS
    assert_consistent(killed, "docs")
    assert killed.keyword.ids("docs") == clean.keyword.ids("docs")
    assert killed.store.ids("docs") == clean.store.ids("docs")
    (again,) = killed.ingest()
    assert again.chunks_written == 0 and len(again.unchanged) == 99
