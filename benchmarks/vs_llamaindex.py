"""ragbox against LlamaIndex's RouterQueryEngine: same documents, database, LLM endpoint and embeddings.

LlamaIndex routes with ``LLMSingleSelector`` between a vector index over the same chunks
ragbox indexes (embedded with ragbox's MiniLM embedder, wrapped as a LlamaIndex
embedding) and an ``NLSQLTableQueryEngine`` over the same SQLite file. Both sides send
every LLM call through one counting proxy, so calls and prompt tokens are counted alike.
Only the handbook and sales questions are asked (LlamaIndex has no engine for the API).

    python benchmarks/vs_llamaindex.py                     # instant fake LLM: cost figures
    python benchmarks/vs_llamaindex.py --llm-host http://127.0.0.1:8088 --model qwen \
        --json-object-schemas --limit 10                   # Qwen via llama.cpp: quality figures

Needs the ``peers`` extra (llama-index-core, llama-index-llms-openai-like) and
RAGBOX_MODELS_DIR pointing at the MiniLM model.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from agent import Agent, ServerSpec  # noqa: E402
from agent.eval import GoldQuestion, contains_fact, load_questions  # noqa: E402
from connectors.config import Config, load_config  # noqa: E402
from connectors.docs import DocumentIndex, chunk_document, discover_files, load_document  # noqa: E402
from connectors.embeddings import Embedder, get_embedder  # noqa: E402
from connectors.sql.engine import SqlDatabase  # noqa: E402
from derive_config import derive_config  # noqa: E402
from servers.docs import build_docs_server  # noqa: E402
from servers.sql import build_sql_server  # noqa: E402
from testkit.counting_proxy import CountingProxy  # noqa: E402
from testkit.llm_server import FakeLLM, Json, Request, Text  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("handbook", "sales")


def demo_chunks(config: Config, name: str = "handbook") -> list[Any]:
    """The chunks ragbox's ingest writes for the documents source ``name``."""
    source = next(s for s in config.documents if s.name == name)
    found, _ = discover_files(source)
    chunks = []
    for f in found:
        chunks += chunk_document(load_document(f.path), source=name, path=f.rel,
                                 max_tokens=source.chunk_tokens, overlap=source.chunk_overlap)
    return chunks


def fake_policy(expected: dict[str, str]):
    """Instant replies both frameworks can parse: routes, SQL, answers."""

    def reply(request: Request) -> Text | Json:
        prompt = request.prompt
        props = (request.schema or {}).get("properties", {})
        question = prompt.rsplit("Question: ", 1)[-1].strip()
        if "source" in props:
            return Json({"source": expected.get(question, "none")})
        if "sql" in props:
            return Json({"sql": "SELECT COUNT(*) AS n FROM customers"})
        if "query" in props:
            return Json({"query": "policy"})
        if '"choice"' in prompt or "choice" in prompt and "reason" in prompt:  # LlamaIndex's selector
            asked = re.search(r"relevant to the question: '(.+?)'\n", prompt, re.S)
            want = expected.get(asked.group(1).strip() if asked else "", "handbook")
            return Text(json.dumps([{"choice": SOURCES.index(want) + 1, "reason": "fits"}]))
        if "SQLQuery" in prompt and "SQLResult" not in prompt.split("Question:")[-1]:
            return Text("SELECT COUNT(*) AS n FROM customers")
        return Text("The answer is in the context [1].")

    return reply


def llamaindex_engine(config: Config, embedder: Embedder, chunks: list[Any], llm_url: str, model: str):
    """RouterQueryEngine over a vector index of ``chunks`` and NLSQL over the sales database."""
    from llama_index.core import Settings, SQLDatabase, VectorStoreIndex
    from llama_index.core.embeddings import BaseEmbedding
    from llama_index.core.query_engine import NLSQLTableQueryEngine, RouterQueryEngine
    from llama_index.core.schema import TextNode
    from llama_index.core.selectors import LLMSingleSelector
    from llama_index.core.tools import QueryEngineTool
    from llama_index.llms.openai_like import OpenAILike
    from sqlalchemy import create_engine

    class MiniLM(BaseEmbedding):
        """ragbox's embedder as a LlamaIndex embedding: the same vectors on both sides."""

        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.embed([query])[0]

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.embed([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(texts)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    # LlamaIndex counts tokens with tiktoken, which downloads its tables: offline, use words.
    Settings.tokenizer = lambda text: re.findall(r"\w+|[^\w\s]", text)
    Settings.embed_model = MiniLM(model_name="all-MiniLM-L6-v2", embed_batch_size=64)
    Settings.llm = OpenAILike(model=model, api_base=llm_url, api_key="not-needed", is_chat_model=True,
                              context_window=4096, max_tokens=256, temperature=0.0, timeout=600, max_retries=0)
    nodes = [TextNode(text=c.text, metadata={"path": c.path}) for c in chunks]
    vector = VectorStoreIndex(nodes).as_query_engine(similarity_top_k=5)
    db = config.databases[0]
    engine = create_engine(db.resolve_url(os.environ))
    sql = NLSQLTableQueryEngine(sql_database=SQLDatabase(engine))
    docs_desc = next(s for s in config.documents if s.name == "handbook").description
    tools = [QueryEngineTool.from_defaults(vector, name="handbook", description=docs_desc),
             QueryEngineTool.from_defaults(sql, name="sales", description=db.description)]
    return RouterQueryEngine(selector=LLMSingleSelector.from_defaults(), query_engine_tools=tools)


def score(answer: str, q: GoldQuestion) -> float:
    return sum(contains_fact(answer, f) for f in q.facts) / len(q.facts) if q.facts else 0.0


def run_ragbox(agent: Agent, questions: list[GoldQuestion]) -> list[dict[str, Any]]:
    rows = []
    for q in questions:
        answer = agent.ask(q.question)
        rows.append({"id": q.id, "routed": ",".join(answer.route.sources), "ok": answer.route.sources == (q.source,),
                     "recall": score(answer.text, q)})
    return rows


def run_llamaindex(engine: Any, questions: list[GoldQuestion]) -> list[dict[str, Any]]:
    rows = []
    for q in questions:
        try:
            response = engine.query(q.question)
            result = (response.metadata or {}).get("selector_result")
            routed = SOURCES[result.selections[0].index] if result and result.selections else "?"
            text = str(response)
        except Exception as exc:  # a peer's parse failure is a wrong answer, not a crash of the benchmark
            routed, text = "error", f"{type(exc).__name__}: {exc}"
        rows.append({"id": q.id, "routed": routed, "ok": routed == q.source, "recall": score(text, q)})
    return rows


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


@click.command()
@click.option("--questions", "questions_path", type=click.Path(exists=True, path_type=Path),
              default=REPO / "examples" / "questions.jsonl", show_default=True)
@click.option("--config", "config_path", type=click.Path(exists=True, path_type=Path),
              default=REPO / "examples" / "ragbox.toml", show_default=True)
@click.option("--llm-host", default=None, help="An OpenAI-compatible server; default: the instant fake LLM.")
@click.option("--model", default="qwen", show_default=True)
@click.option("--json-object-schemas", is_flag=True, help="For llama-cpp-python's server (see testkit.counting_proxy).")
@click.option("--limit", type=int, default=0, help="At most this many questions per source (0: all).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def main(questions_path: Path, config_path: Path, llm_host: str | None, model: str, json_object_schemas: bool,
         limit: int, out: Path | None) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    questions = [q for q in load_questions(questions_path) if q.source in SOURCES]
    if limit:
        questions = [q for s in SOURCES for q in [x for x in questions if x.source == s][:limit]]
    expected = {q.question: q.source for q in questions}
    with tempfile.TemporaryDirectory() as tmp, FakeLLM(models=(model,)) as fake:
        fake.reset(policy=fake_policy(expected))
        upstream = llm_host or fake.url
        with CountingProxy(upstream, json_object_schemas=json_object_schemas) as proxy:
            derived = derive_config(config_path, Path(tmp) / "ragbox.toml", drop=("tickets",), llm={
                "provider": "openai", "host": proxy.url + "/v1", "model": model, "timeout_s": 600})
            config = load_config(derived)
            embedder = get_embedder(config.embeddings)
            index = DocumentIndex.open(config, embedder)
            index.ingest()
            chunks = demo_chunks(config)
            specs = [ServerSpec(target=build_docs_server(index), source="handbook", label="docs"),
                     ServerSpec(target=build_sql_server([SqlDatabase.from_source(config.databases[0], {})]),
                                source="sales", label="sql")]
            print(f"{len(questions)} questions ({', '.join(SOURCES)}), {len(chunks)} chunks, LLM at {upstream}")
            results: dict[str, Any] = {}
            with Agent(config, specs, embedder=embedder) as agent:
                proxy.reset("ragbox")
                start = time.perf_counter()
                rows = run_ragbox(agent, questions)
                results["ragbox"] = (rows, time.perf_counter() - start)
            engine = llamaindex_engine(config, embedder, chunks, proxy.url + "/v1", model)
            proxy.reset("llamaindex")
            start = time.perf_counter()
            rows = run_llamaindex(engine, questions)
            results["llamaindex"] = (rows, time.perf_counter() - start)
            index.close()
            counts = {side: proxy.totals(side) for side in results}
    n = len(questions)
    figures = {}
    for side, (rows, wall) in results.items():
        figures[side] = {
            "routing_accuracy": sum(r["ok"] for r in rows) / n,
            "fact_recall": sum(r["recall"] for r in rows) / n,
            "llm_calls_per_q": counts[side]["calls"] / n,
            "prompt_tokens_per_q": counts[side]["prompt_tokens"] / n,
            "output_tokens_per_q": counts[side]["output_tokens"] / n,
            "wall_s_per_q": wall / n,
        }
    r, li = figures["ragbox"], figures["llamaindex"]
    print(f"\n{'figure':<22} {'ragbox':>10} {'LlamaIndex':>11} {'ragbox/LI':>10}")
    for key in r:
        fmt = "{:>10.0%}" if key in ("routing_accuracy", "fact_recall") else "{:>10.2f}"
        print(f"{key:<22} {fmt.format(r[key])} {fmt.format(li[key]):>11} {ratio(r[key], li[key]):>10}")
    if out is not None:
        out.write_text(json.dumps({"llm": upstream if llm_host else "fake (instant)", "questions": n,
                                   "figures": figures, "counts": counts,
                                   "rows": {s: rows for s, (rows, _) in results.items()}}, indent=1) + "\n")


if __name__ == "__main__":
    main()
