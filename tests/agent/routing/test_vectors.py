"""Profile vectors are kept in data_dir by embedder and text, so a later command embeds only the question."""

from collections.abc import Sequence

from agent.vectors import STORE_DIR, VectorCache
from connectors.embeddings import Embedder, HashingEmbedder

PROFILE = ["Employee handbook: leave, expenses", "Sales database: customers, orders", "Support tickets"]


class CountingEmbedder(Embedder):
    """The hashing embedder, counting the texts it is asked to embed."""

    def __init__(self, name: str = "counting") -> None:
        self._inner = HashingEmbedder()
        self.name, self.dim = f"{name}-{self._inner.name}", self._inner.dim
        self.texts: list[str] = []

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts += texts
        return self._inner.embed_batch(texts)


def test_a_warm_cache_embeds_only_the_question(tmp_path):
    cold_embedder, warm_embedder = CountingEmbedder(), CountingEmbedder()
    cold = VectorCache(lambda: cold_embedder, data_dir=tmp_path).similarities("How many orders?", PROFILE)
    warm = VectorCache(lambda: warm_embedder, data_dir=tmp_path).similarities("How many orders?", PROFILE)
    assert len(cold_embedder.texts) == 4 and warm_embedder.texts == ["How many orders?"]
    assert [round(a, 5) for a in cold] == [round(b, 5) for b in warm]
    assert len(list((tmp_path / STORE_DIR).iterdir())) == 1


def test_another_embedder_does_not_read_the_kept_vectors(tmp_path):
    VectorCache(CountingEmbedder, data_dir=tmp_path).similarities("q", PROFILE)
    other = CountingEmbedder(name="other")
    VectorCache(lambda: other, data_dir=tmp_path).similarities("q", PROFILE)
    assert len(other.texts) == 4


def test_a_damaged_file_is_rewritten(tmp_path):
    VectorCache(CountingEmbedder, data_dir=tmp_path).similarities("q", PROFILE)
    (kept,) = (tmp_path / STORE_DIR).iterdir()
    kept.write_text("{not json", encoding="utf-8")
    again = CountingEmbedder()
    VectorCache(lambda: again, data_dir=tmp_path).similarities("q", PROFILE)
    assert len(again.texts) == 4 and kept.read_text(encoding="utf-8").startswith("{")


def test_without_a_data_dir_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    VectorCache(CountingEmbedder).similarities("q", PROFILE)
    assert list(tmp_path.iterdir()) == []
