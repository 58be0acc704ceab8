"""Documents index benchmarks: embedder throughput against the CPU's peak, ingest, search latency.

    python benchmarks/docs_index.py [--models-dir ../shared/models] [--copies 4] [--sizes 100000]
                                    [--chroma-server] [--skip-ingest] [--skip-quality]

Every figure is printed with its ratio to a baseline measured in the same run, on the same
texts, on this machine's cores:

1. **Peak.** The fp32 peak is cores x clock x FLOP per cycle per core, the last from the
   CPU flags (two FMA pipes: 32 for AVX2 and for AMD's AVX-512, 64 for Intel's AVX-512);
   the clock is the nominal one /proc/cpuinfo gives, which a VM reports and boosting
   exceeds. numpy's SGEMM (OpenBLAS) on the same cores is printed beside it as the
   ceiling a tuned kernel reaches.
2. **Embedders** on the Acme chunk texts: Chroma 1.5's ``DefaultEmbeddingFunction``
   (one call, and batches of 32) is the baseline; then ragbox's ``default`` (fp32) and
   ``minilm-int8``. Achieved GFLOP/s counts the real (unpadded) tokens: MiniLM-L6 costs
   ~21.2 MFLOP per token in its matrix products, plus attention (4 x tokens x 384 per
   layer per token). Cosine agreement is against the stock function's vectors.
3. **Quality**: nDCG@10 on the Acme questions (hybrid and keyword) for both embedders.
4. **Ingest**: the Acme documents copied ``--copies`` times through the real pipeline,
   against the pure embedding time of the same chunk texts.
5. **Search** p50/p95 at each size in ``--sizes`` (hybrid, semantic, keyword), with the
   query's MiniLM embedding included. The baseline is the keyword query ragbox ran before
   (trigram table, joined and filtered before the LIMIT), run on the same index. Bulk
   vectors are sums of random per-word vectors (numpy), so 100k chunks build in minutes;
   ``--chroma-server`` runs the same search against a ``chroma run`` server too.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
_HOME = Path(tempfile.mkdtemp(prefix="ragbox-bench-home-"))
os.environ["HOME"] = str(_HOME)  # before chromadb is imported: it reads the cache path at import

import numpy as np  # noqa: E402
from retrieval import ndcg_at_k, read_jsonl  # noqa: E402

from connectors.config import DocumentsSource, EmbeddingsConfig  # noqa: E402
from connectors.docs import Chunk, DocumentIndex, chunk_id  # noqa: E402
from connectors.embeddings import Embedder, HashingEmbedder, get_embedder  # noqa: E402
from connectors.embeddings.onnx_minilm import OnnxMiniLMEmbedder  # noqa: E402
from testkit.servers import free_port, stop_process, wait_http  # noqa: E402

ACME = REPO / "examples" / "acme" / "docs"
QUERIES = [
    "How many days of annual leave do I get?", "hotel cap per night", "error E-217",
    "remote work allowance", "what to bring on the first day", "warranty of the vacuum",
    "expense claim deadline", "VPN does not load internal sites", "有給休暇は何日", "parental leave weeks",
]
HIDDEN, LAYERS, FFN = 384, 6, 1536


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


# --- 1. the peak -------------------------------------------------------------------------


def cpu_peak() -> tuple[float, str]:
    """(GFLOP/s, how it was computed) for this process's cores at the nominal clock."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    vendor = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("vendor_id")), "")
    mhz = float(next((line.split(":", 1)[1] for line in info.splitlines() if line.startswith("cpu MHz")), "0"))
    cores = len(os.sched_getaffinity(0))
    if "avx512f" in flags and vendor == "GenuineIntel":
        per_cycle, isa = 64, "AVX-512, 2 FMA pipes"
    elif "avx512f" in flags:
        per_cycle, isa = 32, "AVX-512 on 2x256-bit FMA pipes"
    elif "fma" in flags:
        per_cycle, isa = 32, "AVX2, 2 FMA pipes"
    else:
        per_cycle, isa = 8, "SSE"
    peak = cores * mhz / 1000 * per_cycle
    return peak, f"{cores} cores x {mhz / 1000:.2f} GHz (nominal) x {per_cycle} FLOP/cycle ({isa})"


def sgemm_ceiling() -> float:
    a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32)
    a @ a
    started = time.perf_counter()
    for _ in range(5):
        a @ a
    return 5 * 2 * 2048**3 / (time.perf_counter() - started) / 1e9


def model_flops(token_counts: list[int]) -> float:
    """FLOPs of MiniLM-L6's matrix products over texts of these (real) token counts."""
    per_token = 2 * LAYERS * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN)
    return float(sum(n * per_token + LAYERS * 4 * n * n * HIDDEN for n in token_counts))


# --- 2. embedders ------------------------------------------------------------------------


def timed(fn, repeats: int = 2) -> tuple[object, float]:  # type: ignore[no-untyped-def]
    """(result, best seconds of ``repeats`` runs)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return result, best


def bench_embedders(fp32: OnnxMiniLMEmbedder, int8: OnnxMiniLMEmbedder, models_dir: Path,
                    texts: list[str], peak: float, ceiling: float) -> dict[str, float]:
    cache = _HOME / ".cache" / "chroma" / "onnx_models" / "all-MiniLM-L6-v2"
    cache.mkdir(parents=True, exist_ok=True)
    if not (cache / "onnx").exists():
        (cache / "onnx").symlink_to(models_dir / "all-MiniLM-L6-v2" / "onnx", target_is_directory=True)
    from chromadb.utils.embedding_functions import DefaultEmbeddingFunction

    stock = DefaultEmbeddingFunction()
    for warm in (lambda: stock([texts[0]]), lambda: fp32.embed([texts[0]]), lambda: int8.embed([texts[0]])):
        warm()
    tokens = [min(fp32.count_tokens(t) + 2, 256) for t in texts]
    flops = model_flops(tokens)
    reference, stock_s = timed(lambda: np.array(stock(texts)))
    _, stock32_s = timed(lambda: [stock(texts[i : i + 32]) for i in range(0, len(texts), 32)])
    rows = [("Chroma DefaultEmbeddingFunction, one call", stock_s, reference),
            ("Chroma DefaultEmbeddingFunction, batches of 32", stock32_s, None)]
    for embedder in (fp32, int8):
        vectors, seconds = timed(lambda e=embedder: np.array(e.embed(texts)))
        rows.append((f"ragbox {embedder.name}", seconds, vectors))
    print(f"\nembedders on {len(texts)} Acme chunk texts ({statistics.mean(tokens):.0f} tokens on average):")
    print(f"  {'embedder':50s} {'texts/s':>8s} {'vs stock':>8s} {'GFLOP/s':>8s} {'% peak':>7s} {'% SGEMM':>8s} {'cosine min':>10s}")
    rates: dict[str, float] = {}
    for label, seconds, vectors in rows:
        gflops = flops / seconds / 1e9
        cosine = "" if vectors is None else f"{float((vectors * reference).sum(axis=1).min()):.6f}"  # type: ignore[operator]
        print(f"  {label:50s} {len(texts) / seconds:8.1f} {stock_s / seconds:7.2f}x {gflops:8.1f} "
              f"{100 * gflops / peak:6.0f}% {100 * gflops / ceiling:7.0f}% {cosine:>10s}")
        rates[label] = len(texts) / seconds
    print(f"  int8 / fp32: {rates[f'ragbox {int8.name}'] / rates[f'ragbox {fp32.name}']:.2f}x")
    return rates


# --- 3. quality --------------------------------------------------------------------------


def acme_ndcg(embedder: Embedder, work: Path) -> dict[str, float]:
    questions = read_jsonl(REPO / "examples" / "acme" / "docs_questions.jsonl")
    with DocumentIndex(sources=[DocumentsSource(name="acme", paths=[ACME])], data_dir=work / f"q-{embedder.name}",
                       embedder=embedder) as index:
        index.ingest()
        scores = {}
        for mode in ("hybrid", "keyword"):
            total = 0.0
            for q in questions:
                hits = index.search(q["question"], top_k=50, mode=mode, merge=False)  # type: ignore[arg-type]
                total += ndcg_at_k(list(dict.fromkeys(h.path for h in hits)), {q["path"]: 1})
            scores[mode] = total / len(questions)
    return scores


# --- 4. ingest ---------------------------------------------------------------------------


def bench_ingest(embedder: OnnxMiniLMEmbedder, copies: int, work: Path) -> None:
    docs = work / "docs"
    if not docs.exists():
        for i in range(copies):
            shutil.copytree(ACME, docs / f"copy{i:02}")
            for path in (docs / f"copy{i:02}").rglob("*.md"):  # make copies differ, so chunk ids do too
                path.write_text(path.read_text() + f"\n\nCopy {i}.\n")
    with DocumentIndex(sources=[DocumentsSource(name="bench", paths=[docs])], data_dir=work / f"ingest-{embedder.name}",
                       embedder=embedder) as index:
        (summary,) = index.ingest()
        texts = [c.embedding_text() for c in index.keyword.chunks(index.keyword.ids("bench")).values()]
    _, pure = timed(lambda: embedder.embed(texts), repeats=1)
    print(f"  {embedder.name:24s} {summary.chunks_written} chunks in {summary.seconds:6.2f}s = "
          f"{summary.chunks_written / summary.seconds:5.1f} chunks/s; pure embedding of the same chunks "
          f"{pure:.2f}s -> ingest is {summary.seconds / pure:.2f}x the embedding time")


# --- 5. search ---------------------------------------------------------------------------


def _old_keyword(index: DocumentIndex, query: str, limit: int) -> None:
    """The keyword query ragbox ran before issue 14: trigrams, joined before ORDER BY/LIMIT."""
    from connectors.docs.keyword import fts_query

    match = fts_query(query)
    if match is None:
        return
    index.keyword._conn.execute(
        "SELECT c.chunk_id, -bm25(chunks_fts, 1.0, 0.5, 0.8) FROM chunks_fts JOIN chunks c "
        "ON c.rowid = chunks_fts.rowid WHERE chunks_fts MATCH ? AND c.source IN (?) "
        "AND (? IS NULL OR glob_match(c.path, ?)) ORDER BY bm25(chunks_fts, 1.0, 0.5, 0.8) LIMIT ?",
        (match, "bench", None, None, limit),
    ).fetchall()


def corpus(kind: str) -> tuple[list[str], np.ndarray]:
    """The bulk corpus's vocabulary and each word's probability per token.

    ``zipf``: the words of the Acme documents, commonest first, then made-up words up to
    50,000, with P(rank r) proportional to 1/r (Zipf's law, as in real text). ``uniform``:
    the handbook's ~300 words, equally likely, so every word is in a quarter of the
    chunks; the corpus of the issue 14 "before" figures, kept as the worst case for FTS5.
    """
    if kind == "uniform":
        words = sorted({w for w in (ACME / "handbook.md").read_text().split() if w.isalpha()})
        return words, np.full(len(words), 1 / len(words))
    counts: dict[str, int] = {}
    for path in ACME.rglob("*"):
        if path.suffix in (".md", ".txt", ".rst"):
            for word in re.findall(r"[a-z]+", path.read_text(errors="replace").lower()):
                counts[word] = counts.get(word, 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))
    letters = "abcdefghijklmnopqrstuvwxyz"
    n = 0
    while len(words) < 50_000:
        n += 1
        words.append("zq" + "".join(letters[(n // 26**i) % 26] for i in range(4)))
    weights = 1 / np.arange(1, len(words) + 1)
    return words, weights / weights.sum()


def build_bulk(size: int, data: Path, store_url: str | None, kind: str) -> DocumentIndex:
    rng = np.random.default_rng(42)
    vocabulary, probability = corpus(kind)
    cumulative = np.cumsum(probability)
    word_vectors = rng.standard_normal((len(vocabulary), 384)).astype(np.float32)
    bulk = HashingEmbedder()  # named like the real store would be; vectors come from numpy
    index = DocumentIndex(sources=[DocumentsSource(name="bench", paths=[data])], data_dir=data,
                          embedder=bulk, store_url=store_url)
    per_file = 500
    for f in range(size // per_file):
        path = f"file{f:05}.md"
        chunks, vectors = [], []
        for j in range(per_file):
            draws = rng.random(int(rng.integers(40, 121))) * cumulative[-1]
            words = np.minimum(np.searchsorted(cumulative, draws), len(vocabulary) - 1)
            text = " ".join(vocabulary[w] for w in words)
            vector = word_vectors[words].sum(axis=0)
            vectors.append((vector / np.linalg.norm(vector)).tolist())
            chunks.append(Chunk(id=chunk_id("bench", path, text, j), source="bench", path=path, title=path,
                                heading_path=("Section",), page=None, start=0, end=len(text), ordinal=j, text=text))
        index.store.upsert(chunks, vectors)
        index.keyword.replace("bench", path, chunks)
        index.manifest.mark_pending("bench", path)
        index.manifest.finish(source="bench", path=path, sha256="x", size=0, mtime_ns=0, settings="",
                              title=path, text="", chunks=len(chunks))
    return index


def bench_search(size: int, query_embedder: Embedder, work: Path, store_url: str | None, label: str,
                 kind: str) -> None:
    started = time.perf_counter()
    index = build_bulk(size, work / f"search{size}-{label.split()[0]}-{kind}", store_url, kind)
    print(f"\nsearch @ {size:,} chunks of the {kind} corpus, {label} (built in "
          f"{time.perf_counter() - started:.0f}s), query embedding included:")
    index.embedder = query_embedder  # the store keeps the bulk collection open; queries use MiniLM
    for q in QUERIES:  # warm the page cache and the session
        index.search(q, top_k=5)
    results: dict[str, tuple[float, float]] = {}
    runs = {
        "keyword before: its SQL alone (trigram, LIMIT last)": lambda q: _old_keyword(index, q, 20),
        "hybrid": lambda q: index.search(q, top_k=5, mode="hybrid"),
        "semantic": lambda q: index.search(q, top_k=5, mode="semantic"),
        "keyword": lambda q: index.search(q, top_k=5, mode="keyword"),
    }
    for name, run in runs.items():
        timings = []
        for _ in range(5):
            for q in QUERIES:
                index._query_vectors.clear()  # every search embeds its query, as a new question does
                t = time.perf_counter()
                run(q)
                timings.append((time.perf_counter() - t) * 1000)
        results[name] = (pct(timings, 50), pct(timings, 95))
    before = results["keyword before: its SQL alone (trigram, LIMIT last)"][0]
    for name, (p50, p95) in results.items():
        print(f"  {name:48s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  (p50 {before / p50:5.1f}x faster than keyword before)")
    embed_ms = [timed(lambda q=q: query_embedder.embed([q]), repeats=1)[1] * 1000 for q in QUERIES]
    print(f"  of which the query's embedding: p50 {statistics.median(embed_ms):.1f} ms")
    index.close()


def chroma_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI comes with the chromadb wheel"
    port = free_port()
    log = (folder / "chroma.log").open("wb")
    proc = subprocess.Popen([chroma, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(folder / "chroma")],
                            stdout=log, stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, timeout=60)
    return proc, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path,
                        default=Path(os.environ.get("RAGBOX_MODELS_DIR") or REPO.parent / "shared" / "models"))
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--corpus", default="zipf,uniform", help="bulk corpora to search: zipf, uniform")
    parser.add_argument("--chroma-server", action="store_true", help="also search a `chroma run` server")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    models_dir = args.models_dir.resolve()
    work = Path(tempfile.mkdtemp(prefix="ragbox-bench-"))
    try:
        fp32 = get_embedder(EmbeddingsConfig(models_dir=models_dir))
        int8 = get_embedder(EmbeddingsConfig(provider="minilm-int8", models_dir=models_dir))
        assert isinstance(fp32, OnnxMiniLMEmbedder) and isinstance(int8, OnnxMiniLMEmbedder)
        peak, how = cpu_peak()
        ceiling = sgemm_ceiling()
        print(f"fp32 peak {peak:.0f} GFLOP/s = {how}; numpy SGEMM 2048^3 reaches {ceiling:.0f} GFLOP/s")
        with DocumentIndex(sources=[DocumentsSource(name="acme", paths=[ACME])], data_dir=work / "texts",
                           embedder=HashingEmbedder()) as index:
            index.ingest()
            texts = [c.text for c in index.keyword.chunks(index.keyword.ids("acme")).values()]
        bench_embedders(fp32, int8, models_dir, texts * 2, peak, ceiling)
        if not args.skip_quality:
            print("\nnDCG@10 on the Acme questions:")
            base = acme_ndcg(fp32, work)
            for embedder in (fp32, int8):
                scores = base if embedder is fp32 else acme_ndcg(embedder, work)
                print(f"  {embedder.name:24s} hybrid {scores['hybrid']:.3f} ({scores['hybrid'] - base['hybrid']:+.3f})  "
                      f"keyword {scores['keyword']:.3f}")
        if not args.skip_ingest:
            print(f"\ningest of the Acme documents x{args.copies}, from an empty index:")
            for embedder in (fp32, int8):
                bench_ingest(embedder, args.copies, work)
        server = None
        try:
            stores: list[tuple[str | None, str]] = [(None, "embedded Chroma")]
            if args.chroma_server:
                server, url = chroma_server(work)
                stores.append((url, "chroma run server"))
            for size in (int(s) for s in args.sizes.split(",") if s):
                for kind in args.corpus.split(","):
                    for url, label in stores:
                        bench_search(size, fp32, work, url, label, kind)
        finally:
            if server is not None:
                stop_process(server)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(_HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
