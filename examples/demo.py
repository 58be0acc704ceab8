"""The demo: ask Acme Corp one question per source, end to end.

    python -m examples.demo [--config F]     (what `make demo` runs)

1. Builds (or refreshes) the documents index of ``examples/acme/docs``.
2. Starts the example ticketing API on 127.0.0.1:8765 unless it is already up.
3. Starts the agent, which starts ``python -m servers all`` over stdio, and asks
   one question per source: documents, the sales database, the ticketing API.

The agent's LLM is ``[llm] provider = "auto"`` in examples/ragbox.toml: Ollama
when it runs and has a suitable model, else the embedded llama.cpp model, which
the demo downloads on its first run (1.1 GB, sha256-checked). When no LLM can be
had, the demo says why and shows, for each question, what the servers return,
which is what the agent would answer from.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape
from rich.rule import Rule

from agent import Agent, LLMUnavailable, ModelNotFound, RagboxError, default_specs
from agent.llm import LlamaCppChat
from agent.models import ModelError, ModelMissing, find_spec, model_dirs
from agent.models.progress import pull_with_bar
from agent.unfence import unfence
from connectors.config import Config, load_config
from connectors.docs import DocumentIndex
from examples.tickets.app import DEFAULT_TOKEN

CONFIG = Path(__file__).with_name("ragbox.toml")
REPO = CONFIG.parent.parent


@dataclass(frozen=True)
class DemoQuestion:
    source: str
    question: str
    tool: str  # what the demo calls itself when there is no LLM
    arguments: dict[str, Any] = field(default_factory=dict)


QUESTIONS = [
    DemoQuestion("handbook", "How many days of paid annual leave does a full-time employee get?",
                 "handbook_search_documents", {"query": "paid annual leave days full-time", "top_k": 2}),
    DemoQuestion("sales", "Which five customers brought in the most invoiced revenue in 2025?",
                 "sales_run_query", {"sql": (
                     "SELECT c.name AS customer, ROUND(SUM(i.amount), 2) AS revenue_usd FROM invoices i "
                     "JOIN orders o ON o.order_id = i.order_id JOIN customers c ON c.customer_id = o.customer_id "
                     "WHERE i.issued_on BETWEEN '2025-01-01' AND '2025-12-31' "
                     "GROUP BY c.name ORDER BY revenue_usd DESC LIMIT 5")}),
    DemoQuestion("tickets", "What is the current status of support ticket 1, and who is assigned to it?",
                 "tickets_getTicket", {"ticket_id": 1}),
]


def build_index(config: Config, console: Console) -> None:
    with console.status("Indexing examples/acme/docs (first run embeds every passage; later runs skip unchanged files)"):
        with DocumentIndex.open(config) as index:
            summaries = index.ingest()
    for s in summaries:
        counts = ", ".join(f"{n} {k}" for k, n in s.counts().items() if n)
        console.print(f"[dim]documents '{escape(s.source)}': {escape(counts)}[/dim]")


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
        return True
    except httpx.HTTPError:
        return False


@contextmanager
def tickets_api(config: Config, env: dict[str, str], console: Console) -> Iterator[None]:
    """The example API at the config's base_url; started here unless something already answers."""
    (api,) = config.apis
    health = f"{api.base_url}/healthz"
    if _answers(health):
        yield
        return
    port = str(httpx.URL(api.base_url).port)
    proc = subprocess.Popen([sys.executable, "-m", "examples.tickets", "--port", port], env=env, cwd=REPO)
    try:
        deadline = time.monotonic() + 20
        while not _answers(health):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"The ticketing API did not start on {api.base_url}; is port {port} taken?")
            time.sleep(0.1)
        console.print(f"[dim]ticketing API up at {escape(api.base_url)}[/dim]")
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def show_without_llm(agent: Agent, q: DemoQuestion, console: Console) -> None:
    result = agent.hub.call(q.tool, q.arguments)
    hits = (result.structured or {}).get("hits")
    if hits:  # passages read better than the JSON around them
        text = "\n\n".join(
            f"{h['path']} > {' > '.join(h['heading_path'][1:])}\n{unfence(h['text'])}" for h in hits
        )
    else:
        text = unfence(result.text)
    lines = text.splitlines()
    call = f"{q.tool}({', '.join(f'{k}={v!r}' for k, v in q.arguments.items())})"
    console.print(f"[dim]{escape(call)} returned:[/dim]")
    console.print("\n".join(lines[:14]) + ("\n…" if len(lines) > 14 else ""), markup=False, highlight=False)


def ensure_embedded_model(agent: Agent, console: Console) -> ModelNotFound | LLMUnavailable | None:
    """The embedded model, downloaded on the demo's first run; the error when it cannot be had."""
    if not isinstance(agent.llm, LlamaCppChat):
        return None
    try:
        agent.llm.model_file()
    except ModelMissing:
        try:
            pull_with_bar(find_spec(agent.llm.model), model_dirs(agent.config.llm.models_dir), console=console)
        except ModelError as exc:
            console.print(f"[yellow]No answer: {escape(str(exc))}[/yellow]")
            return exc
    except ModelNotFound as exc:
        console.print(f"[yellow]No answer: {escape(str(exc))}[/yellow]")
        return exc
    return None


def run(console: Console, config_path: Path = CONFIG) -> int:
    config = load_config(config_path)
    env = {**os.environ}
    env.setdefault("TICKETS_TOKEN", DEFAULT_TOKEN)
    build_index(config, console)
    with ExitStack() as stack:
        stack.enter_context(tickets_api(config, env, console))
        agent = stack.enter_context(Agent(config, default_specs(config, config_path, env), env=env))
        console.print(f"[dim]LLM: {escape(agent.llm.describe())}; {escape(agent.llm_choice)}[/dim]")
        llm_error = ensure_embedded_model(agent, console)
        for q in QUESTIONS:
            console.print(Rule(f"[bold]{escape(q.source)}[/bold]"))
            console.print(f"[bold]Q:[/bold] {escape(q.question)}")
            if llm_error is None:
                try:
                    answer = agent.ask(q.question, on_token=lambda t: console.print(t, end="", markup=False, highlight=False))
                    console.print()
                    route = f"{', '.join(answer.route.sources)} by {answer.route.stage}"
                    console.print(f"[dim]route: {escape(route)}; {len(answer.trace.llm_calls)} LLM calls, "
                                  f"{answer.trace.prompt_tokens} prompt tokens[/dim]")
                    for n, citation in answer.citations:
                        console.print(f"  [{n}] {citation.label()}", markup=False, highlight=False)
                    continue
                except (LLMUnavailable, ModelNotFound) as exc:
                    llm_error = exc
                    # escape: the message names config keys such as "[llm] host", which are not markup
                    console.print(f"[yellow]No answer: {escape(str(exc))}[/yellow]\n"
                                  "[yellow]The rest of the demo shows what the servers return for each question, "
                                  "which is what the agent answers from.[/yellow]")
            show_without_llm(agent, q, console)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=CONFIG, help="default: examples/ragbox.toml")
    args = parser.parse_args()
    try:
        raise SystemExit(run(Console(), args.config))
    except RagboxError as exc:
        raise SystemExit(f"Error: {exc}") from None


if __name__ == "__main__":
    main()
