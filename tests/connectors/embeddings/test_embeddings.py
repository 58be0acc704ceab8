"""The embedder registry and its three backends."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

import connectors.embeddings as embeddings
from connectors.config import EmbeddingsConfig
from connectors.embeddings import (
    Embedder,
    HashingEmbedder,
    available_embedders,
    find_minilm_dir,
    get_embedder,
    register_embedder,
)
from connectors.errors import DocumentError, EmbedderError


@pytest.fixture(scope="module")
def minilm(models_dir: Path) -> Embedder:
    return get_embedder(EmbeddingsConfig(models_dir=models_dir))


def test_public_names_are_exported() -> None:
    assert sorted(embeddings.__all__) == sorted(n for n in embeddings.__all__ if hasattr(embeddings, n))
    assert {"default", "ollama", "hashing"} <= set(available_embedders())


@pytest.mark.slow
def test_default_embedder_is_minilm_with_unit_vectors(minilm: Embedder) -> None:
    assert (minilm.name, minilm.dim) == ("all-MiniLM-L6-v2", 384)
    vectors = np.array(minilm.embed(["How many days of annual leave do I get?", "vacation allowance per year",
                                     "The robot vacuum shows error E-217"]))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


@pytest.mark.slow
def test_batching_and_padding_do_not_change_vectors(minilm: Embedder) -> None:
    texts = ["short", "a much longer sentence " * 20, "medium length text about expenses"] * 15
    together = np.array(minilm.embed(texts))
    alone = np.array([minilm.embed([t])[0] for t in texts[:3]])
    assert np.allclose(together[:3], alone, atol=1e-5)
    assert len(together) == 45


def test_models_dir_lookup_order(models_dir: Path, tmp_path: Path) -> None:
    assert find_minilm_dir(models_dir, env={}) == models_dir
    assert find_minilm_dir(None, env={"RAGBOX_MODELS_DIR": str(models_dir)}) == models_dir
    assert find_minilm_dir(tmp_path, env={}) in (None, Path.home() / ".cache" / "chroma" / "onnx_models")


def test_hashing_embedder_is_deterministic_and_offline() -> None:
    embedder = get_embedder(EmbeddingsConfig(provider="hashing"))
    a, b, c = embedder.embed(["annual leave days", "annual leave days", "有給休暇の日数"])
    assert a == b and len(a) == embedder.dim and abs(np.linalg.norm(c) - 1) < 1e-9
    assert np.dot(a, embedder.embed(["leave days per year"])[0]) > np.dot(a, c)


def test_unknown_provider_names_the_choices() -> None:
    with pytest.raises(EmbedderError, match="Unknown embeddings provider 'nope'.*hashing"):
        get_embedder(EmbeddingsConfig(provider="nope"))


def test_embedder_errors_are_document_errors() -> None:
    # The documents tools turn a DocumentError into a tool error; an embedder failing at
    # search time must reach the client the same way.
    assert issubclass(EmbedderError, DocumentError)


def test_registered_embedders_are_found_by_name() -> None:
    register_embedder("tiny-test", lambda config: HashingEmbedder(dim=16))
    assert get_embedder(EmbeddingsConfig(provider="tiny-test")).dim == 16


def test_embed_rejects_a_bare_string() -> None:
    with pytest.raises(TypeError):
        HashingEmbedder().embed("not a list")  # type: ignore[arg-type]


class _FakeOllama(BaseHTTPRequestHandler):
    """Ollama's /api/embed: a vector of the text's length, letters and vowels."""

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body["model"] != "nomic-embed-text":
            self.send_response(404)
            payload = {"error": f"model '{body['model']}' not found"}
        else:
            self.send_response(200)
            payload = {"model": body["model"], "embeddings": [
                [float(len(t)), float(sum(ch.isalpha() for ch in t)), float(sum(ch in "aeiou" for ch in t))]
                for t in body["input"]]}
        data = json.dumps(payload).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_ollama() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOllama)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_ollama_embedder_learns_its_width_and_batches(fake_ollama: str) -> None:
    embedder = get_embedder(EmbeddingsConfig(provider="ollama", host=fake_ollama))
    assert (embedder.name, embedder.dim) == ("ollama:nomic-embed-text", 3)
    texts = [f"text number {i}" for i in range(70)]
    assert embedder.embed(texts)[69] == [14.0, 10.0, 3.0]


def test_ollama_errors_say_what_to_do(fake_ollama: str) -> None:
    with pytest.raises(EmbedderError, match="ollama pull bge-m3"):
        get_embedder(EmbeddingsConfig(provider="ollama", model="bge-m3", host=fake_ollama))
    with pytest.raises(EmbedderError, match="Cannot reach Ollama.*ollama serve"):
        get_embedder(EmbeddingsConfig(provider="ollama", host="http://127.0.0.1:9"))


@pytest.mark.slow
def test_int8_embedder_has_its_own_name_and_stays_close_to_fp32(
    minilm: Embedder, models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    int8 = get_embedder(EmbeddingsConfig(provider="minilm-int8", models_dir=models_dir))
    assert (int8.name, int8.dim) == ("all-MiniLM-L6-v2-int8", 384) and int8.name != minilm.name
    built = list((tmp_path / "ragbox" / "models" / "all-MiniLM-L6-v2-int8").glob("model-*.onnx"))
    assert len(built) == 1 and not list(built[0].parent.glob("*.part"))
    texts = ["How many days of annual leave do I get?", "vacation allowance per year",
             "The robot vacuum shows error E-217", "hotel cap per night on business trips"]
    fp32, q = np.array(minilm.embed(texts)), np.array(int8.embed(texts))
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert ((fp32 * q).sum(axis=1) > 0.95).all()
    assert q[0] @ q[1] > q[0] @ q[2] + 0.2
    # A second embedder reuses the quantized file instead of building it again.
    mtime = built[0].stat().st_mtime_ns
    get_embedder(EmbeddingsConfig(provider="minilm-int8", models_dir=models_dir))
    assert built[0].stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_token_batches_keep_input_order_for_mixed_lengths(minilm: Embedder) -> None:
    texts = [("word " * n).strip() for n in (300, 1, 50, 7, 120, 2)] * 30  # several token batches
    together = np.array(minilm.embed(texts))
    alone = np.array([minilm.embed([t])[0] for t in texts[:6]])
    assert np.allclose(together[:6], alone, atol=1e-5) and np.allclose(together[6:12], alone, atol=1e-5)
    assert minilm.embed([]) == []
