"""Embeddings for the router and schema linking, cached by text for the whole command.

With a ``data_dir`` the vectors of the texts the router compares questions against
(profile items, examples) are also kept on disk, keyed by the embedder's name and the
text's hash, so that a later command embeds only the question and what changed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from connectors.embeddings import Embedder

__all__ = ["VectorCache", "cosine", "text_key"]

STORE_DIR = "router_vectors"
"""Folder under ``data_dir`` holding one file of kept vectors per embedder."""


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def text_key(text: str) -> str:
    """A short stable hash of ``text``: the key of its kept vector."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _encode(vector: Sequence[float]) -> str:
    return base64.b64encode(array("f", vector).tobytes()).decode("ascii")


def _decode(data: str) -> list[float]:
    values = array("f")
    values.frombytes(base64.b64decode(data))
    return values.tolist()


@dataclass
class VectorCache:
    """Embeds each distinct text once; the embedder is built on first use (models load slowly).

    ``data_dir`` (optional) is where the command keeps its files: the vectors of kept
    texts (see :meth:`similarities`) are stored there, and the router reads its fit there.
    """

    make_embedder: Callable[[], Embedder]
    data_dir: Path | None = None
    _embedder: Embedder | None = None
    _vectors: dict[str, list[float]] = field(default_factory=dict)
    _kept: dict[str, str] | None = None  # text key -> encoded vector, as on disk

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self.make_embedder()
        return self._embedder

    def embed(self, texts: Sequence[str], *, keep: Sequence[str] = ()) -> list[list[float]]:
        """Vectors of ``texts``; those of the texts in ``keep`` are read from and written to disk."""
        kept = self._load_kept() if keep and self.data_dir is not None else None
        if kept is not None:
            for text in keep:
                if text not in self._vectors and (found := kept.get(text_key(text))) is not None:
                    self._vectors[text] = _decode(found)
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            self._vectors.update(zip(missing, self.embedder.embed(missing)))
        if kept is not None:
            new = {text_key(t): _encode(self._vectors[t]) for t in dict.fromkeys(keep)
                   if t in self._vectors and text_key(t) not in kept}
            if new:
                kept.update(new)
                self._save_kept(kept)
        return [self._vectors[t] for t in texts]

    def similarities(self, query: str, texts: Sequence[str]) -> list[float]:
        """Cosine of ``query`` against each of ``texts``; the vectors of ``texts`` are kept."""
        if not texts:
            return []
        q, *rest = self.embed([query, *texts], keep=texts)
        matrix = np.asarray(rest, dtype=np.float64)
        norms = np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(q))
        dots = matrix @ np.asarray(q, dtype=np.float64)
        return [float(d / n) if n else 0.0 for d, n in zip(dots, norms)]

    def _store_path(self) -> Path:
        assert self.data_dir is not None
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", self.embedder.name)[:80]
        return self.data_dir / STORE_DIR / f"{slug}-{text_key(self.embedder.name)[:8]}.json"

    def _load_kept(self) -> dict[str, str]:
        if self._kept is None:
            try:
                data = json.loads(self._store_path().read_text(encoding="utf-8"))
                ok = data.get("embedder") == self.embedder.name and isinstance(data.get("vectors"), dict)
                self._kept = dict(data["vectors"]) if ok else {}
            except (OSError, ValueError, AttributeError):
                self._kept = {}  # no file yet, or a damaged one: embed again and rewrite it
        return self._kept

    def _save_kept(self, kept: dict[str, str]) -> None:
        path = self._store_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"embedder": self.embedder.name, "vectors": kept}), encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass  # a read-only data_dir only costs embedding again next time
