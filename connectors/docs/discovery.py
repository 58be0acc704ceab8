"""Which files a documents source holds: walk its folders safely.

Folder symlinks are followed, but a folder already on the walk (a symlink loop)
is skipped with a reason, and so is a file symlink that loops or dangles.
Hidden files and folders are left out; so are suffixes no loader reads.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

from connectors.config import DocumentsSource
from connectors.docs.globs import glob_match
from connectors.docs.loaders import LOADERS
from connectors.docs.models import SkippedFile

__all__ = ["FoundFile", "discover_files"]


@dataclass(frozen=True, kw_only=True)
class FoundFile:
    path: Path
    rel: str
    """The name the index uses: relative to the source folder (prefixed by the folder's
    name when the source has several folders)."""


def _wanted(rel: str, source: DocumentsSource) -> bool:
    return any(glob_match(rel, p) for p in source.include) and not any(
        glob_match(rel, p) for p in source.exclude
    )


def discover_files(source: DocumentsSource) -> tuple[list[FoundFile], list[SkippedFile]]:
    """Every loadable file under the source's paths, sorted, plus the ones skipped and why."""
    found: dict[str, FoundFile] = {}
    skipped: list[SkippedFile] = []
    several = len(source.paths) > 1
    for root in source.paths:
        prefix = f"{root.name}/" if several else ""
        if root.is_file():
            if root.suffix.lower() in LOADERS:
                found[root.name] = FoundFile(path=root, rel=root.name)
            continue
        if not root.is_dir():
            skipped.append(SkippedFile(path=str(root), reason="folder does not exist"))
            continue
        _walk(root, root, prefix, source, found, skipped, {_key(root)})
    return sorted(found.values(), key=lambda f: f.rel), skipped


def _key(folder: Path) -> tuple[int, int]:
    st = folder.stat()
    return st.st_dev, st.st_ino


def _walk(
    root: Path, folder: Path, prefix: str, source: DocumentsSource,
    found: dict[str, FoundFile], skipped: list[SkippedFile], ancestors: set[tuple[int, int]],
) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        skipped.append(SkippedFile(path=prefix + folder.relative_to(root).as_posix(),
                                   reason=f"cannot list the folder: {exc.strerror or exc}"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        rel = prefix + path.relative_to(root).as_posix()
        try:
            is_dir = entry.is_dir(follow_symlinks=True)
        except OSError as exc:
            is_dir = False
            if exc.errno == errno.ELOOP:
                skipped.append(SkippedFile(path=rel, reason="symlink loop"))
                continue
        if is_dir:
            try:
                key = _key(path)
            except OSError as exc:
                skipped.append(SkippedFile(path=rel, reason=f"cannot open: {exc.strerror or exc}"))
                continue
            if key in ancestors:
                skipped.append(SkippedFile(path=rel, reason="symlink loop (folder links to its own parent)"))
                continue
            _walk(root, path, prefix, source, found, skipped, ancestors | {key})
            continue
        if path.suffix.lower() not in LOADERS or not _wanted(rel, source):
            continue
        if entry.is_symlink():
            try:
                path.stat()
            except OSError as exc:
                reason = "symlink loop" if exc.errno == errno.ELOOP else "broken symlink"
                skipped.append(SkippedFile(path=rel, reason=reason))
                continue
        found.setdefault(rel, FoundFile(path=path, rel=rel))
