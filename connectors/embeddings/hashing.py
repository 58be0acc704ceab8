"""An embedder that needs no model: signed feature hashing of words and CJK bigrams.

Good enough for keyword-like similarity on tiny installs and fast enough for bulk
benchmarks; no match for a trained model on meaning.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence

from connectors.config import EmbeddingsConfig
from connectors.embeddings.base import Embedder

__all__ = ["HashingEmbedder"]

_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def _features(text: str) -> list[str]:
    features: list[str] = []
    for word in _WORD.findall(text.lower()):
        if _CJK.search(word):
            chars = [c for c in word]
            features.extend(chars)
            features.extend(a + b for a, b in zip(chars, chars[1:]))
        else:
            features.append(word)
            if len(word) > 4:  # a little robustness to inflection: the 4-letter prefix
                features.append(word[:4] + "~")
    return features


class HashingEmbedder(Embedder):
    """Feature hashing into ``dim`` buckets with a sign bit, sublinear tf, L2-normalised."""

    batch_size = 256

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> list[float]:
        counts: dict[int, float] = {}
        for feature in _features(text):
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            bucket = value % self.dim
            sign = 1.0 if (value >> 63) & 1 else -1.0
            counts[bucket] = counts.get(bucket, 0.0) + sign
        vector = [0.0] * self.dim
        for bucket, count in counts.items():
            vector[bucket] = math.copysign(1.0 + math.log(abs(count)), count) if count else 0.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]


def hashing_factory(config: EmbeddingsConfig) -> HashingEmbedder:
    return HashingEmbedder()
