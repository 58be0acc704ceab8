"""Where model files live, and how a file is proven to be the model it claims to be.

A model is looked for in every models folder, in order: ``[llm] models_dir``,
``$RAGBOX_MODELS_DIR``, then the user cache (``$XDG_CACHE_HOME/ragbox/models``, else
``~/.cache/ragbox/models``). Downloads go to the first of them that can be written, so a
read-only shared folder can hold models for everyone.

A file passes only when its size and sha256 match the registry. The sha256 is computed
once and remembered in ``FILE.verified`` (with the size and mtime it was computed for),
so later loads cost a ``stat``; a file changed since is hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from agent.models.errors import ModelError, ModelMissing
from agent.models.registry import DEFAULT_MODEL, ModelSpec, find_spec

__all__ = ["ModelFile", "locate", "model_dirs", "resolve_model", "sha256_of", "verify"]

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelFile:
    """A model file on disk; ``spec`` is its registry entry, or None for a plain path."""

    path: Path
    spec: ModelSpec | None = None

    @property
    def name(self) -> str:
        return self.spec.name if self.spec else self.path.name


def user_cache(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "ragbox" / "models"


def model_dirs(models_dir: Path | None = None, env: Mapping[str, str] | None = None) -> list[Path]:
    """The models folders, in the order they are searched."""
    env = os.environ if env is None else env
    dirs = [models_dir, Path(env["RAGBOX_MODELS_DIR"]).expanduser() if env.get("RAGBOX_MODELS_DIR") else None,
            user_cache(env)]
    unique: list[Path] = []
    for d in dirs:
        if d is not None and d not in unique:
            unique.append(d)
    return unique


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def remember_verified(path: Path, sha256: str) -> None:
    """Write the marker that spares the next load a full hash; skipped in a read-only folder."""
    try:
        _marker(path).write_text(json.dumps({"sha256": sha256, **_stamp(path)}), encoding="utf-8")
    except OSError:
        pass


def verify(path: Path, spec: ModelSpec) -> None:
    """Raise ModelError unless ``path`` is exactly ``spec``'s file (size, then sha256)."""
    size = path.stat().st_size
    if size != spec.size:
        what = "truncated" if size < spec.size else "larger than it should be"
        raise ModelError(
            f"{path} is {what} ({size:,} bytes; {spec.name} has {spec.size:,}): an interrupted or "
            f"damaged download. Run `python -m agent models pull {spec.name}` to fetch it again."
        )
    try:
        known = json.loads(_marker(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if known == {"sha256": spec.sha256, **_stamp(path)}:
        return
    actual = sha256_of(path)
    if actual != spec.sha256:
        raise ModelError(
            f"{path} has sha256 {actual}, not {spec.sha256}: it is not {spec.name}, or it is damaged. "
            f"Delete it and run `python -m agent models pull {spec.name}`."
        )
    remember_verified(path, actual)


def locate(spec: ModelSpec, dirs: list[Path]) -> Path:
    """The verified file of ``spec`` in the first folder that has a good one.

    A damaged copy (say, in a read-only shared folder) does not hide a good one further
    on; when no folder has a good one, the first damage found is the error.
    """
    damaged: ModelError | None = None
    for d in dirs:
        path = d / spec.filename
        if path.is_file():
            try:
                verify(path, spec)
            except ModelError as exc:
                damaged = damaged or exc
                continue
            return path
    if damaged is not None:
        raise damaged
    searched = ", ".join(str(d) for d in dirs)
    raise ModelMissing(
        f"The model {spec.name} is not downloaded yet (looked in {searched}). "
        f"Run `python -m agent models pull {spec.name}` ({spec.size / 1e9:.1f} GB), "
        "or set [llm] model to the path of a .gguf file you have."
    )


def check_gguf(path: Path) -> None:
    """A plain path must at least be a GGUF file."""
    if not path.is_file():
        raise ModelMissing(f"No model file at {path}: set [llm] model to an existing .gguf file, "
                           "or to a name from `python -m agent models list`.")
    with path.open("rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise ModelError(f"{path} is not a GGUF model file (it does not start with 'GGUF'); "
                             "llama.cpp reads only GGUF.")


def resolve_model(model: str | None, dirs: list[Path], base_dir: Path | None = None) -> ModelFile:
    """``[llm] model`` as a file: a registry name (verified), or a path to a ``.gguf`` file."""
    model = model or DEFAULT_MODEL
    candidate = Path(model).expanduser()
    if candidate.suffix == ".gguf" or os.sep in model or candidate.is_absolute():
        if not candidate.is_absolute() and base_dir is not None:
            candidate = base_dir / candidate
        try:
            spec = find_spec(candidate.name)
        except ModelError:
            spec = None
        check_gguf(candidate)
        if spec is not None:
            verify(candidate, spec)  # a registry model given by path is still checked
        return ModelFile(candidate, spec)
    spec = find_spec(model)
    return ModelFile(locate(spec, dirs), spec)
