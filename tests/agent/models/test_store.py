"""agent.models.store on real files: folder order, size+sha256 checks, the ``.verified`` marker.

The models here are a few KB of fabricated bytes starting with ``GGUF``, with their real
size and sha256 in a ModelSpec; nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path

import pytest

from agent.models import DEFAULT_MODEL, MODELS, ModelError, ModelMissing, PyPIChunks, locate, model_dirs
from agent.models.registry import ModelSpec, find_spec
from agent.models.store import ModelFile, check_gguf, resolve_model, sha256_of, verify


def fabricated(name: str = "tiny-test-model", size: int = 6000, seed: int = 1) -> tuple[ModelSpec, bytes]:
    data = b"GGUF" + random.Random(seed).randbytes(size - 4)
    spec = ModelSpec(
        name=name, filename=f"{name}-q4.gguf", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        description="a fabricated model for tests",
        sources=(PyPIChunks(package="ragbox-test-chunk-part", parts=1,
                            member="ragbox_test_chunk_part{i}/data/part{ii}.bin"),),
    )
    return spec, data


def marker_of(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


@pytest.fixture
def spec_and_data() -> tuple[ModelSpec, bytes]:
    return fabricated()


@pytest.fixture
def placed(tmp_path, spec_and_data) -> tuple[ModelSpec, bytes, Path]:
    """The fabricated model written, unverified, into ``tmp_path/models``."""
    spec, data = spec_and_data
    folder = tmp_path / "models"
    folder.mkdir()
    path = folder / spec.filename
    path.write_bytes(data)
    return spec, data, path


# --- model_dirs -------------------------------------------------------------------------------


def test_model_dirs_order_is_config_then_env_then_xdg_cache(tmp_path):
    env = {"RAGBOX_MODELS_DIR": str(tmp_path / "env"), "XDG_CACHE_HOME": str(tmp_path / "xdg"),
           "HOME": str(tmp_path / "home")}
    assert model_dirs(tmp_path / "cfg", env) == [tmp_path / "cfg", tmp_path / "env",
                                                 tmp_path / "xdg" / "ragbox" / "models"]


def test_model_dirs_without_config_or_env_is_the_cache_alone(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert model_dirs(None, env) == [tmp_path / "xdg" / "ragbox" / "models"]
    # An empty RAGBOX_MODELS_DIR counts as unset.
    assert model_dirs(None, {**env, "RAGBOX_MODELS_DIR": ""}) == [tmp_path / "xdg" / "ragbox" / "models"]


def test_model_dirs_falls_back_to_home_cache_without_xdg(tmp_path):
    env = {"HOME": str(tmp_path / "home")}
    assert model_dirs(None, env) == [tmp_path / "home" / ".cache" / "ragbox" / "models"]
    # An empty XDG_CACHE_HOME counts as unset too.
    assert model_dirs(None, {**env, "XDG_CACHE_HOME": ""}) == [tmp_path / "home" / ".cache" / "ragbox" / "models"]


def test_model_dirs_drops_duplicates_keeping_the_first(tmp_path):
    cache = tmp_path / "xdg" / "ragbox" / "models"
    env = {"RAGBOX_MODELS_DIR": str(tmp_path / "same"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert model_dirs(tmp_path / "same", env) == [tmp_path / "same", cache]
    # A trailing slash names the same folder.
    assert model_dirs(tmp_path / "same", {**env, "RAGBOX_MODELS_DIR": f"{tmp_path / 'same'}/"}) == [
        tmp_path / "same", cache]
    # RAGBOX_MODELS_DIR pointing at the user cache, and [llm] models_dir too: one entry.
    env2 = {"RAGBOX_MODELS_DIR": str(cache), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert model_dirs(cache, env2) == [cache]


def test_model_dirs_reads_os_environ_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("RAGBOX_MODELS_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert model_dirs() == [tmp_path / "env", tmp_path / "xdg" / "ragbox" / "models"]


# --- locate and verify ------------------------------------------------------------------------


def test_locate_returns_a_verified_file_and_writes_the_marker(placed):
    spec, data, path = placed
    assert not marker_of(path).exists()
    assert locate(spec, [path.parent]) == path
    marker = json.loads(marker_of(path).read_text(encoding="utf-8"))
    st = path.stat()
    assert marker == {"sha256": spec.sha256, "size": len(data), "mtime_ns": st.st_mtime_ns}
    assert path.read_bytes() == data  # verifying does not touch the file


def test_second_locate_trusts_the_marker_and_does_not_hash(placed):
    """Proof that the hash is skipped: after the first locate, the bytes are replaced by
    wrong ones of the same size and the old mtime is put back. A rehash would reject
    them; the marker (same size, same mtime_ns) lets them pass. This is the documented
    trade-off (a stat instead of a hash), not a tamper check."""
    spec, data, path = placed
    locate(spec, [path.parent])
    st = path.stat()
    path.write_bytes(b"GGUF" + bytes(len(data) - 4))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert locate(spec, [path.parent]) == path
    assert sha256_of(path) != spec.sha256  # really wrong bytes: only the marker let them through


def test_a_changed_mtime_makes_locate_hash_again_and_reject_wrong_bytes(placed):
    spec, data, path = placed
    locate(spec, [path.parent])
    path.write_bytes(b"GGUF" + bytes(len(data) - 4))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # surely a different mtime
    with pytest.raises(ModelError, match="sha256"):
        locate(spec, [path.parent])


def test_a_marker_with_another_sha_makes_locate_hash_again_and_rewrite_it(placed):
    spec, _, path = placed
    locate(spec, [path.parent])
    marker = json.loads(marker_of(path).read_text(encoding="utf-8"))
    marker_of(path).write_text(json.dumps({**marker, "sha256": "0" * 64}), encoding="utf-8")
    assert locate(spec, [path.parent]) == path
    assert json.loads(marker_of(path).read_text(encoding="utf-8"))["sha256"] == spec.sha256


def test_a_touched_good_file_is_hashed_again_and_the_marker_follows_the_new_mtime(placed):
    spec, _, path = placed
    locate(spec, [path.parent])
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert locate(spec, [path.parent]) == path
    assert json.loads(marker_of(path).read_text(encoding="utf-8"))["mtime_ns"] == st.st_mtime_ns + 5_000_000_000


def test_a_garbage_marker_is_ignored_and_replaced(placed):
    spec, _, path = placed
    marker_of(path).write_text("{not json", encoding="utf-8")
    assert locate(spec, [path.parent]) == path
    assert json.loads(marker_of(path).read_text(encoding="utf-8"))["sha256"] == spec.sha256


def test_a_truncated_file_names_truncated_and_the_pull_command(placed):
    spec, data, path = placed
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError) as info:
        locate(spec, [path.parent])
    assert not isinstance(info.value, ModelMissing)
    message = str(info.value)
    assert "truncated" in message and f"python -m agent models pull {spec.name}" in message
    assert f"{len(data) // 2:,} bytes" in message
    assert not marker_of(path).exists()


def test_a_longer_file_is_rejected_as_larger(placed):
    spec, data, path = placed
    path.write_bytes(data + b"x")
    with pytest.raises(ModelError, match="larger than it should be"):
        verify(path, spec)


def test_same_size_wrong_content_names_sha256_and_is_never_marked(placed):
    spec, data, path = placed
    wrong = data[:-1] + bytes([data[-1] ^ 0xFF])
    path.write_bytes(wrong)
    with pytest.raises(ModelError) as info:
        locate(spec, [path.parent])
    message = str(info.value)
    assert hashlib.sha256(wrong).hexdigest() in message and spec.sha256 in message
    assert "sha256" in message and f"models pull {spec.name}" in message
    assert not marker_of(path).exists()


def test_a_stale_marker_does_not_rescue_a_file_of_another_size(placed):
    spec, data, path = placed
    locate(spec, [path.parent])
    path.write_bytes(data[:100])
    with pytest.raises(ModelError, match="truncated"):
        locate(spec, [path.parent])


def test_missing_everywhere_is_model_missing_naming_the_pull_command_and_the_folders(tmp_path, spec_and_data):
    spec, _ = spec_and_data
    dirs = [tmp_path / "a", tmp_path / "b"]  # the first does not even exist
    (tmp_path / "b").mkdir()
    with pytest.raises(ModelMissing) as info:
        locate(spec, dirs)
    message = str(info.value)
    assert f"python -m agent models pull {spec.name}" in message
    assert str(tmp_path / "a") in message and str(tmp_path / "b") in message
    assert not (tmp_path / "a").exists()  # looking creates nothing


def test_locate_searches_the_folders_in_order(tmp_path, spec_and_data):
    spec, data = spec_and_data
    first, second = tmp_path / "first", tmp_path / "second"
    second.mkdir()
    (second / spec.filename).write_bytes(data)
    assert locate(spec, [first, second]) == second / spec.filename
    first.mkdir()
    (first / spec.filename).write_bytes(data)
    assert locate(spec, [first, second]) == first / spec.filename


def test_a_folder_named_like_the_model_is_not_a_model(tmp_path, spec_and_data):
    spec, data = spec_and_data
    (tmp_path / "a" / spec.filename).mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / spec.filename).write_bytes(data)
    assert locate(spec, [tmp_path / "a", tmp_path / "b"]) == tmp_path / "b" / spec.filename


def test_a_marker_that_cannot_be_written_does_not_fail_locate(placed):
    """remember_verified swallows OSError (a read-only folder). We run as root, where chmod does not
    stop writes, so the write is made to fail by a folder standing where the marker goes."""
    spec, _, path = placed
    marker_of(path).mkdir()
    assert locate(spec, [path.parent]) == path
    assert locate(spec, [path.parent]) == path  # and again: hashed again each time, still fine
    assert marker_of(path).is_dir()


# --- resolve_model -----------------------------------------------------------------------------


def test_resolve_a_plain_gguf_path(tmp_path):
    path = tmp_path / "mine.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 64)
    found = resolve_model(str(path), [tmp_path / "nowhere"])
    assert found == ModelFile(path, None)
    assert found.name == "mine.gguf"


def test_resolve_a_relative_gguf_path_against_base_dir(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "mine.gguf"
    path.write_bytes(b"GGUF1234")
    assert resolve_model("sub/mine.gguf", [], base_dir=tmp_path).path == path
    assert resolve_model("mine.gguf", [], base_dir=tmp_path / "sub").path == path


def test_resolve_an_absolute_path_without_gguf_suffix_checks_the_magic(tmp_path):
    good = tmp_path / "model.bin"
    good.write_bytes(b"GGUF....")
    assert resolve_model(str(good), []).path == good
    bad = tmp_path / "weights.bin"
    bad.write_bytes(b"PK\x03\x04 not a gguf")
    with pytest.raises(ModelError, match="not a GGUF") as info:
        resolve_model(str(bad), [])
    assert not isinstance(info.value, ModelMissing)


def test_resolve_a_non_gguf_file_with_gguf_suffix(tmp_path):
    path = tmp_path / "fake.gguf"
    path.write_text("hello, I am text", encoding="utf-8")
    with pytest.raises(ModelError, match="does not start with 'GGUF'"):
        resolve_model(str(path), [])
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(ModelError, match="not a GGUF"):
        resolve_model(str(empty), [])


def test_resolve_a_missing_path(tmp_path):
    with pytest.raises(ModelMissing, match="No model file at") as info:
        resolve_model(str(tmp_path / "absent.gguf"), [])
    assert "models list" in str(info.value)
    # A folder is not a model file either.
    (tmp_path / "dir.gguf").mkdir()
    with pytest.raises(ModelMissing):
        check_gguf(tmp_path / "dir.gguf")


def test_resolve_an_unknown_registry_name(tmp_path):
    with pytest.raises(ModelError) as info:
        resolve_model("no-such-model", [tmp_path])
    assert not isinstance(info.value, ModelMissing)
    message = str(info.value)
    assert "no-such-model" in message and "python -m agent models list" in message


def test_resolve_a_registry_name_not_downloaded(tmp_path):
    with pytest.raises(ModelMissing, match=f"python -m agent models pull {DEFAULT_MODEL}"):
        resolve_model(DEFAULT_MODEL, [tmp_path / "empty"])
    # No model at all means the default one.
    with pytest.raises(ModelMissing, match=DEFAULT_MODEL):
        resolve_model(None, [tmp_path / "empty"])


def test_resolve_a_registry_file_given_by_path_is_still_verified(tmp_path):
    spec = MODELS[DEFAULT_MODEL]
    path = tmp_path / spec.filename
    path.write_bytes(b"GGUF" + b"\0" * 1000)  # starts like GGUF, but far too short to be the model
    with pytest.raises(ModelError, match="truncated"):
        resolve_model(str(path), [])


def test_find_spec_accepts_the_name_the_filename_and_the_stem():
    spec = MODELS[DEFAULT_MODEL]
    assert find_spec(spec.name) is spec
    assert find_spec(spec.filename) is spec
    assert find_spec(spec.filename.removesuffix(".gguf")) is spec
    own, _ = fabricated()
    assert find_spec(own.filename, {own.name: own}) is own
    with pytest.raises(ModelError):
        find_spec(DEFAULT_MODEL, {own.name: own})


def test_the_registry_entries_are_well_formed():
    for spec in MODELS.values():
        assert spec.filename.endswith(".gguf")
        assert len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0
        assert spec.size > 0 and spec.sources
        for source in spec.sources:
            if isinstance(source, PyPIChunks):
                width = len(str(source.parts))
                member = source.member.format(i=source.parts, ii=str(source.parts).zfill(width))
                assert "{" not in member
