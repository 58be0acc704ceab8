"""Execution accuracy of ragbox's SQL route on the Spider dev subset, against plain zero-shot.

For each question, two systems ask the same LLM:

- ragbox: the database strategy the agent runs (``DatabaseKind.gather``), through the real
  all-sources MCP server over a ``[[databases]]`` source for the question's database:
  schema linking, ``CREATE TABLE`` schema, value hints, one repair round. The answer call
  is skipped: accuracy needs only the SQL.
- zeroshot: one chat call with every table's DDL (``sqlite_master.sql``) and the question,
  asking for SQL only.

Each SQL and the gold SQL run on the SQLite file (read-only, with a time limit); a question
is right when the result rows are equal as multisets, or as lists when the gold SQL ends
with ORDER BY. Spider's official script also forgives a different column order; this one
does not, so its figures run a little lower.

    python benchmarks/spider.py --llm-host http://127.0.0.1:8080/v1 --provider openai --model M
    python benchmarks/spider.py --fake --limit 3        # the fake LLM: checks the plumbing only

``--out F.json`` is rewritten after every question, so an interrupted run keeps its results.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agent import Agent, AgentSettings, ServerSpec  # noqa: E402
from agent.kinds import kind_of  # noqa: E402
from agent.llm import ChatMessage  # noqa: E402
from agent.run import Run  # noqa: E402
from agent.trace import Trace  # noqa: E402
from connectors.config import Config, parse_config  # noqa: E402
from connectors.errors import RagboxError  # noqa: E402
from servers.all import build_all_server  # noqa: E402
from testkit.llm_server import FakeLLM, Json, Request, Text  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "spider-dev-subset"
MODELS = REPO.parent / "shared" / "models"
SYSTEMS = ("ragbox", "zeroshot")
QUERY_TIMEOUT_S = 10.0
ZEROSHOT_PROMPT = "{ddl}\n\n-- Using valid SQLite, answer the question for the tables above.\nQuestion: {question}\n" \
                  "Reply with the SQL query only."


@dataclass(frozen=True)
class Question:
    index: int
    db_id: str
    question: str
    gold: str


@dataclass
class Outcome:
    """One system's try at one question."""

    index: int
    db_id: str
    system: str
    question: str
    gold: str
    sql: str | None
    correct: bool
    llm_calls: int
    prompt_tokens: int
    seconds: float
    error: str | None = None


# -- data and execution --------------------------------------------------------


def load_questions(data: Path, limit: int, every: int) -> list[Question]:
    lines = (data / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    chosen = [Question(i, r["db_id"], r["question"], r["query"]) for i, r in enumerate(rows)][::every]
    return chosen[:limit] if limit else chosen


@contextmanager
def read_only(path: Path, timeout_s: float = QUERY_TIMEOUT_S) -> Iterator[sqlite3.Connection]:
    """The SQLite file opened ``mode=ro``, each statement stopped after ``timeout_s``."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    conn.text_factory = lambda b: b.decode(errors="replace")  # Spider has a few non-UTF-8 cells
    try:
        yield conn
    finally:
        conn.close()


def execute(conn: sqlite3.Connection, sql: str, timeout_s: float = QUERY_TIMEOUT_S) -> list[tuple[Any, ...]]:
    deadline = time.monotonic() + timeout_s
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.set_progress_handler(None, 0)


def ordered(sql: str) -> bool:
    """Whether the statement's outermost query ends with ORDER BY (then row order counts)."""
    flat = re.sub(r"'(?:[^']|'')*'|\"[^\"]*\"", "''", sql)
    depth, top = 0, []
    for ch in flat:
        depth += ch == "("
        depth -= ch == ")"
        top.append(ch if depth == 0 else " ")
    return re.search(r"\border\s+by\b", "".join(top), re.IGNORECASE) is not None


def same_result(conn: sqlite3.Connection, predicted: str, gold: str) -> tuple[bool, str | None]:
    """(right, why not) for ``predicted`` against ``gold`` on ``conn``."""
    try:
        expected = execute(conn, gold)
    except sqlite3.Error as exc:
        return False, f"the gold SQL failed: {exc}"
    try:
        got = execute(conn, predicted)
    except sqlite3.Error as exc:
        return False, f"sqlite: {exc}"
    if ordered(gold):
        return got == expected, None
    return Counter(got) == Counter(expected), None


def extract_sql(text: str) -> str:
    """The SQL in a model's reply: a fenced block if any, else the text from its first SELECT/WITH."""
    fenced = re.search(r"```(?:sql|sqlite)?\s*(.*?)```", text, re.DOTALL | re.IGNORECASE)
    body = fenced.group(1) if fenced else text
    start = re.search(r"\b(SELECT|WITH)\b", body, re.IGNORECASE)
    body = body[start.start():] if start else body
    return body.strip().split(";")[0].strip()


def ddl_of(path: Path) -> str:
    with read_only(path) as conn:
        rows = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL").fetchall()
    return "\n\n".join(r[0].strip() + ";" for r in rows)


# -- the two systems -----------------------------------------------------------


def source_name(db_id: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", db_id.lower())
    return (name if name[:1].isalpha() else f"db_{name}")[:40]


def make_config(db_ids: list[str], data: Path, llm: dict[str, Any], embeddings: dict[str, Any], tmp: str) -> Config:
    return parse_config({
        "llm": llm, "embeddings": embeddings, "data_dir": tmp,
        "databases": [{"name": source_name(d), "url": f"sqlite:///{data / 'dbs' / f'{d}.sqlite'}"} for d in db_ids],
    }, base_dir=REPO)


def ask_ragbox(agent: Agent, q: Question) -> tuple[str | None, Trace]:
    """The database strategy's SQL for ``q``, run as :meth:`Agent.ask` runs it, without the answer call."""
    trace = Trace()
    agent.catalog.trace = trace
    run = Run(llm=agent.llm, router_llm=agent.router_llm, catalog=agent.catalog, vectors=agent.vectors,
              settings=agent.settings, trace=trace, examples=agent.examples)
    source = agent.catalog.source(source_name(q.db_id))
    blocks = kind_of(source).gather(q.question, source, run)
    if blocks:
        return blocks[0].citation.sql, trace
    tried = [s.detail["sql"] for s in trace.steps if s.name == "sql"]
    return (tried[-1] if tried else None), trace


def ask_zeroshot(agent: Agent, q: Question, ddl: str) -> tuple[str | None, int, int]:
    reply = agent.llm.chat([ChatMessage(role="user", content=ZEROSHOT_PROMPT.format(ddl=ddl, question=q.question))])
    return (extract_sql(reply.text) or None), 1, reply.prompt_tokens


def default_embedder() -> str:
    """MiniLM when ../shared/models has it, else the hashing embedder."""
    return "default" if (MODELS / "all-MiniLM-L6-v2").is_dir() else "hashing"


def open_agent(stack: ExitStack, db_ids: list[str], data: Path, *, provider: str, llm_host: str | None, model: str,
               fake: bool, embedder: str) -> tuple[Agent, str]:
    """An agent over ``db_ids`` through the in-memory all-sources server, in a temporary data_dir that
    ``stack`` removes; with ``fake``, on the fake LLM. Returns the agent and the LLM's URL."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    tmp = stack.enter_context(tempfile.TemporaryDirectory())
    if fake:
        server = stack.enter_context(FakeLLM(models=(model,)))
        server.reset(policy=fake_policy)
        llm_host = server.url + ("/v1" if provider == "openai" else "")
    embeddings = {"provider": embedder, **({"models_dir": str(MODELS)} if embedder == "default" else {})}
    config = make_config(db_ids, data, {"provider": provider, "host": llm_host, "model": model}, embeddings, tmp)
    spec = ServerSpec(target=build_all_server(config, {}), label="python -m servers all (in memory)")
    return stack.enter_context(Agent(config, [spec], settings=AgentSettings())), str(llm_host)


def fake_policy(request: Request) -> Json | Text:
    """Counts the rows of the first table in the prompt: right for "how many X are there?"."""
    found = re.search(r'CREATE TABLE (?:IF NOT EXISTS )?("[^"]+"|`[^`]+`|\w+)', request.prompt, re.IGNORECASE)
    sql = f"SELECT count(*) FROM {found.group(1) if found else 'sqlite_master'}"
    return Json({"sql": sql}) if request.schema else Text(f"```sql\n{sql}\n```")


# -- the run -------------------------------------------------------------------


def run_one(agent: Agent, system: str, q: Question, data: Path, ddls: dict[str, str]) -> Outcome:
    started = time.perf_counter()
    sql, calls, tokens, error = None, 0, 0, None
    try:
        if system == "ragbox":
            sql, trace = ask_ragbox(agent, q)
            calls, tokens = len(trace.llm_calls), trace.prompt_tokens
        else:
            sql, calls, tokens = ask_zeroshot(agent, q, ddls[q.db_id])
    except RagboxError as exc:
        error = f"{type(exc).__name__}: {exc}"
    correct = False
    if sql:
        with read_only(data / "dbs" / f"{q.db_id}.sqlite") as conn:
            correct, why = same_result(conn, sql, q.gold)
        error = error or why
    elif error is None:
        error = "no SQL"
    return Outcome(q.index, q.db_id, system, q.question, q.gold, sql, correct, calls, tokens,
                   round(time.perf_counter() - started, 2), error)


def write(out: Path, meta: dict[str, Any], outcomes: list[Outcome]) -> None:
    """Rewrite ``out`` whole through a temporary file, so it is always valid JSON."""
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps({"meta": meta, "results": [asdict(o) for o in outcomes]}, indent=1), encoding="utf-8")
    os.replace(tmp, out)


def report(outcomes: list[Outcome], systems: tuple[str, ...]) -> str:
    by_db: dict[str, dict[str, list[Outcome]]] = defaultdict(lambda: defaultdict(list))
    for o in outcomes:
        by_db[o.db_id][o.system].append(o)
        by_db["TOTAL"][o.system].append(o)
    head = f"{'database':<26} {'n':>4}" + "".join(
        f" {s + ' acc':>13} {'calls/q':>7} {'tok/q':>6}" for s in systems)
    lines = [head, "-" * len(head)]
    for db in [*sorted(d for d in by_db if d != "TOTAL"), "TOTAL"]:
        if db == "TOTAL":
            lines.append("-" * len(head))
        n = max(len(v) for v in by_db[db].values())
        row = f"{db:<26} {n:>4}"
        for s in systems:
            got = by_db[db].get(s, [])
            if not got:
                row += f" {'-':>13} {'-':>7} {'-':>6}"
                continue
            right = sum(o.correct for o in got)
            row += (f" {right:>4}/{len(got):<3} {right / len(got):>4.0%} {sum(o.llm_calls for o in got) / len(got):>7.2f}"
                    f" {sum(o.prompt_tokens for o in got) / len(got):>6.0f}")
        lines.append(row)
    return "\n".join(lines)


@click.command()
@click.option("--data", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_DATA, show_default=True,
              help="The subset: questions.jsonl and dbs/<db_id>.sqlite.")
@click.option("--llm-host", default=None, help="The LLM server, e.g. http://127.0.0.1:8080/v1 (OpenAI-compatible).")
@click.option("--model", default="qwen2.5-coder-1.5b-instruct", show_default=True)
@click.option("--provider", type=click.Choice(["openai", "ollama"]), default="openai", show_default=True)
@click.option("--fake", is_flag=True, help="Answer with the test suite's fake LLM (no real model): checks the plumbing.")
@click.option("--embedder", type=click.Choice(["default", "hashing"]), default=None,
              help="Schema linking's embedder (default: MiniLM when ../shared/models has it, else hashing).")
@click.option("--limit", type=int, default=0, help="At most this many questions (0: all).")
@click.option("--every", type=click.IntRange(min=1), default=1, help="Take every K-th question.")
@click.option("--only", type=click.Choice(SYSTEMS), default=None, help="Run one system only.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write every result here (JSON), rewritten after each question.")
def main(data: Path, llm_host: str | None, model: str, provider: str, fake: bool, embedder: str | None,
         limit: int, every: int, only: str | None, out: Path | None) -> None:
    if not fake and not llm_host:
        raise click.UsageError("give --llm-host (an OpenAI-compatible or Ollama server), or --fake")
    if not (data / "questions.jsonl").is_file():
        raise click.UsageError(f"no questions.jsonl in {data}; pass --data")
    questions = load_questions(data, limit, every)
    systems = (only,) if only else SYSTEMS
    db_ids = sorted({q.db_id for q in questions})
    ddls = {d: ddl_of(data / "dbs" / f"{d}.sqlite") for d in db_ids}
    embedder = embedder or default_embedder()
    with ExitStack() as stack:
        agent, llm_host = open_agent(stack, db_ids, data, provider=provider, llm_host=llm_host, model=model,
                                     fake=fake, embedder=embedder)
        meta = {"model": model, "provider": provider, "llm_host": llm_host, "fake": fake, "embedder": embedder,
                "questions": len(questions), "every": every, "systems": list(systems)}
        print(f"{len(questions)} questions on {len(db_ids)} databases; model {model} at {llm_host}", flush=True)
        outcomes: list[Outcome] = []
        for n, q in enumerate(questions, 1):
            marks = []
            for system in systems:
                outcome = run_one(agent, system, q, data, ddls)
                outcomes.append(outcome)
                marks.append(f"{system} {'ok' if outcome.correct else 'x '}")
            if out is not None:
                write(out, meta, outcomes)
            print(f"[{n}/{len(questions)}] {q.db_id}: {' | '.join(marks)}  {q.question[:60]}", flush=True)
    print()
    print(report(outcomes, systems))


if __name__ == "__main__":
    main()
