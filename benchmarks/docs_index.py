"""Documents index benchmarks: ingest throughput, embedder speed and agreement, search latency.

    python benchmarks/docs_index.py [--models-dir ../shared/models] [--copies 10] [--sizes 10000,100000]

1. Ingest: the Acme example documents copied ``--copies`` times, through the real
   pipeline (load, chunk, MiniLM, Chroma, FTS5): chunks/s and the share of time
   spent embedding.
2. Embedders: our ``default`` (one ONNX session, padding to the longest text in the
   batch) against Chroma's stock ``DefaultEmbeddingFunction`` on the same chunk texts:
   speed ratio and cosine agreement. The stock function reads the model from
   ``$HOME/.cache/chroma/onnx_models``; this script points HOME at a temp folder
   holding a symlink to ``--models-dir``, so nothing is downloaded.
3. Search latency p50/p95 (hybrid, semantic, keyword) at each size in ``--sizes``.
   Bulk vectors come from the ``hashing`` embedder: MiniLM on 2 cores makes
   ~250 passages/s, so 100k chunks would take ~7 minutes before the first query.
   Query latency does not depend on which embedder made the stored vectors,
   except for the query's own embedding, which is MiniLM here (reported apart).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
_HOME = Path(tempfile.mkdtemp(prefix="ragbox-bench-home-"))
os.environ["HOME"] = str(_HOME)  # before chromadb is imported: it reads the cache path at import

import numpy as np  # noqa: E402

from connectors.config import DocumentsSource, EmbeddingsConfig  # noqa: E402
from connectors.docs import Chunk, DocumentIndex, chunk_id  # noqa: E402
from connectors.embeddings import Embedder, HashingEmbedder, get_embedder  # noqa: E402

ACME = REPO / "examples" / "acme" / "docs"
QUERIES = [
    "How many days of annual leave do I get?", "hotel cap per night", "error E-217",
    "remote work allowance", "what to bring on the first day", "warranty of the vacuum",
    "expense claim deadline", "VPN does not load internal sites", "有給休暇は何日", "parental leave weeks",
]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def bench_ingest(embedder: Embedder, copies: int, work: Path) -> list[str]:
    docs = work / "docs"
    for i in range(copies):
        shutil.copytree(ACME, docs / f"copy{i:02}")
        for path in (docs / f"copy{i:02}").rglob("*.md"):  # make copies differ, so chunk ids do too
            path.write_text(path.read_text() + f"\n\nCopy {i}.\n")
    with DocumentIndex(sources=[DocumentsSource(name="bench", paths=[docs])], data_dir=work / "data",
                       embedder=embedder) as index:
        (summary,) = index.ingest()
        texts = [c.text for c in index.keyword.chunks(index.keyword.ids("bench")).values()]
    print(f"ingest: {len(summary.added)} files, {summary.chunks_written} chunks in {summary.seconds:.2f}s = "
          f"{summary.chunks_written / summary.seconds:.0f} chunks/s; embedding "
          f"{summary.embed_seconds:.2f}s ({100 * summary.embed_seconds / summary.seconds:.0f}% of the time)")
    return texts


def bench_embedders(ours: Embedder, models_dir: Path, texts: list[str]) -> None:
    cache = _HOME / ".cache" / "chroma" / "onnx_models" / "all-MiniLM-L6-v2"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "onnx").symlink_to(models_dir / "all-MiniLM-L6-v2" / "onnx", target_is_directory=True)
    from chromadb.utils.embedding_functions import DefaultEmbeddingFunction

    stock = DefaultEmbeddingFunction()
    stock([texts[0]])  # warm-up: both sides get one call before timing
    ours.embed([texts[0]])
    started = time.perf_counter()
    theirs = np.array(stock(texts))
    stock_s = time.perf_counter() - started
    started = time.perf_counter()
    mine = np.array(ours.embed(texts))
    ours_s = time.perf_counter() - started
    cosine = (mine * theirs).sum(axis=1) / (np.linalg.norm(mine, axis=1) * np.linalg.norm(theirs, axis=1))
    print(f"embedders on {len(texts)} chunk texts: ours {len(texts) / ours_s:.0f}/s, Chroma stock "
          f"{len(texts) / stock_s:.0f}/s -> {stock_s / ours_s:.1f}x faster; cosine agreement "
          f"min {cosine.min():.6f}, mean {cosine.mean():.6f}")


def bench_search(size: int, query_embedder: Embedder, work: Path) -> None:
    rng = random.Random(42)
    vocabulary = [w for w in (ACME / "handbook.md").read_text().split() if w.isalpha()]
    bulk = HashingEmbedder()
    data = work / f"search{size}"
    index = DocumentIndex(sources=[DocumentsSource(name="bench", paths=[work])], data_dir=data, embedder=bulk)
    started = time.perf_counter()
    per_file = 50
    for f in range(size // per_file):
        path = f"file{f:05}.md"
        chunks = []
        for j in range(per_file):
            text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(40, 120)))
            chunks.append(Chunk(id=chunk_id("bench", path, text, 0), source="bench", path=path, title=path,
                                heading_path=("Section",), page=None, start=0, end=len(text), ordinal=j, text=text))
        vectors = bulk.embed([c.text for c in chunks])
        index.store.upsert(chunks, vectors)
        index.keyword.replace("bench", path, chunks)
        index.manifest.mark_pending("bench", path)
        index.manifest.finish(source="bench", path=path, sha256="x", size=0, mtime_ns=0, settings="",
                              title=path, text="", chunks=len(chunks))
    print(f"search @ {size:,} chunks (built in {time.perf_counter() - started:.0f}s):")
    index.embedder = query_embedder  # query with MiniLM: the real per-query cost
    query_embed = []
    for q in QUERIES:
        t = time.perf_counter()
        query_embedder.embed([q])
        query_embed.append((time.perf_counter() - t) * 1000)
    for mode in ("hybrid", "semantic", "keyword"):
        timings = []
        for _ in range(5):
            for q in QUERIES:
                t = time.perf_counter()
                try:
                    index.search(q, top_k=5, mode=mode, merge=True)  # type: ignore[arg-type]
                except Exception as exc:  # the MiniLM query vs hashing store is a width mismatch only if dims differ
                    raise SystemExit(f"search failed: {exc}") from exc
                timings.append((time.perf_counter() - t) * 1000)
        print(f"  {mode:8s} p50 {pct(timings, 50):6.1f} ms   p95 {pct(timings, 95):6.1f} ms")
    print(f"  (of which the query's MiniLM embedding: p50 {statistics.median(query_embed):.1f} ms)")
    index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path,
                        default=Path(os.environ.get("RAGBOX_MODELS_DIR") or REPO.parent / "shared" / "models"))
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    models_dir = args.models_dir.resolve()
    work = Path(tempfile.mkdtemp(prefix="ragbox-bench-"))
    try:
        minilm = get_embedder(EmbeddingsConfig(models_dir=models_dir))
        print(f"cores: {os.cpu_count()}, embedder: {minilm.name}")
        texts = bench_ingest(minilm, args.copies, work)
        bench_embedders(minilm, models_dir, texts[:300])
        for size in (int(s) for s in args.sizes.split(",") if s):
            bench_search(size, minilm, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(_HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
