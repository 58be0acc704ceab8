"""Retrieval quality on a BEIR-format dataset: nDCG@10 and recall@10 per search mode.

    python benchmarks/retrieval.py DATASET_DIR [--split test] [--embedder default|hashing] [--limit-queries N]
    python benchmarks/retrieval.py --acme            # the Acme questions, written out in BEIR format

DATASET_DIR holds ``corpus.jsonl`` ({"_id", "title", "text"}), ``queries.jsonl``
({"_id", "text"}) and ``qrels/<split>.tsv`` (query-id, corpus-id, score, with a
header), as the BEIR datasets (e.g. scifact) ship them. Each corpus entry is
written as one file and ingested through the connectors (load, chunk, embed,
Chroma, FTS5); a hit's path maps back to its corpus id, and a document's rank is
that of its best chunk. A plain BM25 baseline (``rank-bm25``, Okapi with a
lowercase word tokenizer, whole documents) is scored in the same run.

Needs the benchmark extra: ``pip install rank-bm25``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from connectors.config import DocumentsSource, EmbeddingsConfig  # noqa: E402
from connectors.docs import DocumentIndex  # noqa: E402
from connectors.embeddings import get_embedder  # noqa: E402

K = 10


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with path.open(encoding="utf-8") as handle:
        rows = csv.reader(handle, delimiter="\t")
        next(rows)
        for query_id, doc_id, score in rows:
            if int(score) > 0:
                qrels[query_id][doc_id] = int(score)
    return qrels


def ndcg_at_k(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    dcg = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_k(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    return len(set(ranked[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def safe_name(doc_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", doc_id) + ".txt"


def write_acme_dataset(target: Path) -> Path:
    """The Acme example documents and labelled questions as a BEIR dataset."""
    from connectors.docs import load_document

    docs = REPO / "examples" / "acme" / "docs"
    (target / "qrels").mkdir(parents=True, exist_ok=True)
    with (target / "corpus.jsonl").open("w", encoding="utf-8") as out:
        for path in sorted(p for p in docs.rglob("*") if p.is_file()):
            document = load_document(path)
            rel = path.relative_to(docs).as_posix()
            out.write(json.dumps({"_id": rel, "title": document.title, "text": document.text}, ensure_ascii=False) + "\n")
    questions = read_jsonl(REPO / "examples" / "acme" / "docs_questions.jsonl")
    with (target / "queries.jsonl").open("w", encoding="utf-8") as out:
        for i, q in enumerate(questions):
            out.write(json.dumps({"_id": f"q{i}", "text": q["question"]}, ensure_ascii=False) + "\n")
    with (target / "qrels" / "test.tsv").open("w", encoding="utf-8") as out:
        out.write("query-id\tcorpus-id\tscore\n")
        for i, q in enumerate(questions):
            out.write(f"q{i}\t{q['path']}\t1\n")
    return target


def tokenize(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", nargs="?", type=Path)
    parser.add_argument("--acme", action="store_true", help="use the Acme example set")
    parser.add_argument("--split", default="test")
    parser.add_argument("--embedder", default="default")
    parser.add_argument("--models-dir", type=Path,
                        default=Path(os.environ.get("RAGBOX_MODELS_DIR") or REPO.parent / "shared" / "models"))
    parser.add_argument("--limit-queries", type=int, default=None)
    args = parser.parse_args()
    try:
        from rank_bm25 import BM25Okapi
    except ImportError:
        raise SystemExit("the BM25 baseline needs rank-bm25: pip install rank-bm25") from None

    work = Path(tempfile.mkdtemp(prefix="ragbox-beir-"))
    dataset = write_acme_dataset(work / "acme") if args.acme else args.dataset
    if dataset is None:
        parser.error("give DATASET_DIR or --acme")
    corpus = read_jsonl(dataset / "corpus.jsonl")
    queries = {q["_id"]: q["text"] for q in read_jsonl(dataset / "queries.jsonl")}
    qrels = read_qrels(dataset / "qrels" / f"{args.split}.tsv")
    query_ids = [q for q in queries if q in qrels][: args.limit_queries]

    folder = work / "files"
    folder.mkdir()
    by_file: dict[str, str] = {}
    for entry in corpus:
        name = safe_name(entry["_id"])
        by_file[name] = entry["_id"]
        title = (entry.get("title") or "").strip()
        (folder / name).write_text((title + "\n\n" if title else "") + entry["text"], encoding="utf-8")

    embedder = get_embedder(EmbeddingsConfig(provider=args.embedder, models_dir=args.models_dir))
    with DocumentIndex(sources=[DocumentsSource(name="beir", paths=[folder])], data_dir=work / "data",
                       embedder=embedder) as index:
        (summary,) = index.ingest()
        print(f"dataset: {dataset.name}, {len(corpus)} documents -> {summary.chunks_written} chunks in "
              f"{summary.seconds:.0f}s, {len(query_ids)} queries, embedder {embedder.name}")
        results: dict[str, tuple[float, float, float]] = {}
        for mode in ("hybrid", "semantic", "keyword"):
            ndcg = recall = 0.0
            started = time.perf_counter()
            for qid in query_ids:
                hits = index.search(queries[qid], top_k=50, mode=mode, merge=False)  # type: ignore[arg-type]
                ranked = list(dict.fromkeys(by_file.get(h.path, h.path) for h in hits))
                ndcg += ndcg_at_k(ranked, qrels[qid])
                recall += recall_at_k(ranked, qrels[qid])
            seconds = time.perf_counter() - started
            results[mode] = (ndcg / len(query_ids), recall / len(query_ids), 1000 * seconds / len(query_ids))

    ids = [entry["_id"] for entry in corpus]
    bm25 = BM25Okapi([tokenize((e.get("title") or "") + " " + e["text"]) for e in corpus])
    ndcg = recall = 0.0
    started = time.perf_counter()
    for qid in query_ids:
        scores = bm25.get_scores(tokenize(queries[qid]))
        ranked = [ids[i] for i in sorted(range(len(ids)), key=lambda i: -scores[i])[:K]]
        ndcg += ndcg_at_k(ranked, qrels[qid])
        recall += recall_at_k(ranked, qrels[qid])
    results["BM25 (rank-bm25)"] = (ndcg / len(query_ids), recall / len(query_ids),
                                   1000 * (time.perf_counter() - started) / len(query_ids))
    print(f"{'mode':18s} nDCG@10  recall@10  ms/query")
    for mode, (n, r, ms) in results.items():
        print(f"{mode:18s} {n:7.3f}  {r:9.3f}  {ms:8.1f}")


if __name__ == "__main__":
    main()
