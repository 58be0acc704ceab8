"""What the agent costs besides the LLM: time, LLM calls and prompt tokens per question.

Runs the example questions against the real docs and SQL MCP servers (in memory,
over the demo data) with an instant fake LLM, in three configurations:

- full: embedding router, then the LLM router; schema linking on;
- llm-router: no embedding stage, the LLM routes every question;
- no-linking: every table described in the text-to-SQL prompt.

Then the first question of a fresh agent, as each ``python -m agent ask`` is: its
routing time with the profile vectors embedded again, and read from data_dir.

    python benchmarks/agent_overhead.py [--embedder default|hashing] [--limit N]
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent import Agent, AgentSettings, ServerSpec  # noqa: E402
from connectors.config import parse_config  # noqa: E402
from connectors.docs import DocumentIndex  # noqa: E402
from connectors.sql.engine import SqlDatabase  # noqa: E402
from servers.docs import build_docs_server  # noqa: E402
from servers.sql import build_sql_server  # noqa: E402
from testkit.llm_server import FakeLLM, Json, Request, Text  # noqa: E402

ACME = Path(__file__).resolve().parent.parent / "examples" / "acme"
MODELS = Path(__file__).resolve().parent.parent.parent / "shared" / "models"
SALES_QUESTIONS = [
    "How many customers do we have?",
    "What was total invoiced revenue in 2024?",
    "Which product sold the most units?",
    "How many orders were cancelled?",
    "Which region has the most customers?",
    "Who is the account manager with the most customers?",
    "What is the average invoice amount?",
    "How many unpaid invoices are overdue?",
]
CONFIGS = {
    "full": AgentSettings(),
    "llm-router": AgentSettings(embedding_router=False),
    "no-linking": AgentSettings(schema_linking=False),
}


def policy(expected: dict[str, str]):
    """Answers instantly: the expected source, a plausible SQL, the question as query, a cited answer."""

    def reply(request: Request) -> Text | Json:
        props = (request.schema or {}).get("properties", {})
        if "source" in props:
            question = request.prompt.rsplit("Question: ", 1)[-1].strip()
            return Json({"source": expected.get(question, "none")})
        if "sql" in props:
            return Json({"sql": "SELECT COUNT(*) AS n FROM customers"})
        if "query" in props:
            return Json({"query": "policy"})
        return Text("The answer is in the context [1].")

    return reply


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


@click.command()
@click.option("--embedder", type=click.Choice(["default", "hashing"]), default="default", show_default=True)
@click.option("--limit", type=int, default=0, help="At most this many questions per source (0: all).")
def main(embedder: str, limit: int) -> None:
    docs_q = [json.loads(line)["question"] for line in (ACME / "docs_questions.jsonl").read_text().splitlines() if line]
    questions = [(q, "handbook") for q in docs_q[: limit or None]] + [(q, "sales") for q in SALES_QUESTIONS[: limit or None]]
    expected = dict(questions)
    embeddings = {"provider": embedder, **({"models_dir": str(MODELS)} if embedder == "default" else {})}
    with tempfile.TemporaryDirectory() as tmp, FakeLLM() as llm:
        config = parse_config({
            "llm": {"host": llm.url},
            "embeddings": embeddings,
            "data_dir": tmp,
            "documents": [{"name": "handbook", "paths": [str(ACME / "docs")],
                           "description": "Acme employee handbook, IT FAQ, office rules, product manuals, "
                                          "release notes and meeting notes"}],
            "databases": [{"name": "sales", "url": f"sqlite:///{ACME / 'acme.db'}",
                           "description": "Acme's sales database: customers, regions, employees, products, "
                                          "orders, order items and invoices"}],
        }, base_dir=Path.cwd())
        started = time.perf_counter()
        index = DocumentIndex.open(config)
        index.ingest()
        print(f"indexed the example documents in {time.perf_counter() - started:.1f}s ({embedder} embedder)")
        specs = [
            ServerSpec(target=build_docs_server(index), source="handbook", label="docs"),
            ServerSpec(target=build_sql_server([SqlDatabase.from_source(config.databases[0], {})]),
                       source="sales", label="sql"),
        ]
        logging.getLogger("httpx").setLevel(logging.WARNING)  # the in-memory servers turn INFO logs on
        llm.reset(policy=policy(expected))
        print(f"{len(questions)} questions; times exclude the LLM's own time (the fake answers at once)\n")
        header = f"{'config':<11} {'kind':<9} {'p50 ms':>7} {'p95 ms':>7} {'LLM calls':>9} {'prompt tok':>10} {'routed ok':>9}"
        print(header)
        print("-" * len(header))
        for name, settings in CONFIGS.items():
            stats: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
            purposes: dict[str, list[int]] = defaultdict(list)
            with Agent(config, specs, settings=settings) as agent:
                agent.ask("warm-up: how many customers?", route="sales")
                for question, source in questions:
                    start = time.perf_counter()
                    answer = agent.ask(question)
                    wall = (time.perf_counter() - start) * 1000
                    llm_ms = sum(c.ms for c in answer.trace.llm_calls)
                    row = stats[source]
                    row["ms"].append(wall - llm_ms)
                    row["calls"].append(len(answer.trace.llm_calls))
                    row["tokens"].append(answer.trace.prompt_tokens)
                    row["ok"].append(float(answer.route.sources == (source,)))
                    for call in answer.trace.llm_calls:
                        purposes[call.purpose].append(call.prompt_tokens)
            for source, row in stats.items():
                kind = "documents" if source == "handbook" else "database"
                print(f"{name:<11} {kind:<9} {statistics.median(row['ms']):>7.1f} {pct(row['ms'], 0.95):>7.1f} "
                      f"{statistics.mean(row['calls']):>9.2f} {statistics.mean(row['tokens']):>10.0f} "
                      f"{statistics.mean(row['ok']):>8.0%}")
            sizes = ", ".join(f"{p} {statistics.mean(t):.0f} (x{len(t)})" for p, t in purposes.items())
            print(f"{'':<11} mean prompt tokens per LLM call: {sizes}")
        print("\nfirst question of a fresh agent (as in `agent ask`): routing ms, embedder start included")
        for label, keep in (("vectors embedded again", None), ("vectors from data_dir", Path(tmp))):
            routing: list[float] = []
            for i, (question, _) in enumerate(questions[:4]):
                with Agent(config, specs) as agent:
                    agent.vectors.data_dir = keep
                    answer = agent.ask(question)
                if keep is None or i > 0:  # with data_dir, the first agent writes the file
                    routing.append(next(s.ms for s in answer.trace.steps if s.name == "routing"))
            print(f"  {label:<24} median {statistics.median(routing):7.1f} ms (x{len(routing)})")
        index.close()


if __name__ == "__main__":
    main()
