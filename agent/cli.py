"""``python -m agent``: ask, chat, and list sources."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.agent import Agent
from agent.answer import Answer, Turn
from agent.specs import default_specs
from connectors.config import Config, find_config_path, load_config
from connectors.errors import RagboxError

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


def common_options(fn: F) -> F:
    """``--config FILE`` and ``--debug`` (tracebacks instead of one-line errors)."""
    fn = click.option("--debug", is_flag=True, help="Show tracebacks.")(fn)
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="ragbox.toml to read (default: $RAGBOX_CONFIG, else ./ragbox.toml).",
    )(fn)


def clean_errors(fn: F) -> F:
    """Our errors become one line on stderr and exit code 1; ``--debug`` shows the traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RagboxError as exc:
            if kwargs.get("debug"):
                raise
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def open_agent(config_path: Path | None) -> Agent:
    path = find_config_path(config_path, os.environ)
    config: Config = load_config(path)
    env = dict(os.environ)
    return Agent(config, default_specs(config, path, env), env=env)


def print_sources(console: Console, answer: Answer) -> None:
    if not answer.citations:
        return
    console.print("\n[bold]Sources[/bold]")
    for n, citation in answer.citations:
        console.print(f"  [{n}] {citation.label()}", markup=False, highlight=False)


def print_trace(console: Console, answer: Answer) -> None:
    # Only our own markup is markup: rich would take "[llm]" in a reason or an error for a tag.
    route = answer.route
    where = f"{', '.join(route.sources)} by {route.stage} ({route.reason})"
    console.print(f"\n[bold]Route[/bold] {escape(where)}", highlight=False)
    if route.scores:
        console.print("  scores: " + ", ".join(f"{k}={v:.3f}" for k, v in route.scores.items()),
                      markup=False, highlight=False)
    steps = Table("step", "ms", "detail", title="Steps", title_justify="left", show_edge=False)
    for step in answer.trace.steps:
        steps.add_row(escape(step.name), f"{step.ms:.1f}",
                      escape(json.dumps(step.detail, ensure_ascii=False, default=str)[:300]))
    console.print(steps)
    calls = Table("LLM call", "model", "prompt tok", "output tok", "ms", title="LLM calls",
                  title_justify="left", show_edge=False)
    for call in answer.trace.llm_calls:
        calls.add_row(escape(call.purpose), escape(call.model), str(call.prompt_tokens), str(call.output_tokens),
                      f"{call.ms:.0f}")
    calls.add_row("total", "", str(answer.trace.prompt_tokens), str(answer.trace.output_tokens), "")
    console.print(calls)


def stream_to_stdout(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ragbox agent: answers questions from your documents, databases and APIs, with citations."""


@main.command()
@click.argument("question")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print {answer, citations, route, trace} as JSON.")
@click.option("--trace", "show_trace", is_flag=True, help="Print the route, steps, SQL and LLM calls.")
@click.option("--route", "route", metavar="NAME", default=None, help="Use this source; skip routing.")
@clean_errors
def ask(question: str, config_path: Path | None, debug: bool, as_json: bool, show_trace: bool,
        route: str | None) -> None:
    """Answer QUESTION from the configured sources."""
    console = Console()
    with open_agent(config_path) as agent:
        answer = agent.ask(question, route=route, on_token=None if as_json else stream_to_stdout)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, default=str))
        return
    click.echo()
    print_sources(console, answer)
    if show_trace:
        print_trace(console, answer)


@main.command()
@common_options
@click.option("--trace", "show_trace", is_flag=True, help="Print each answer's trace.")
@clean_errors
def chat(config_path: Path | None, debug: bool, show_trace: bool) -> None:
    """Ask several questions; a follow-up is routed together with the previous one."""
    console = Console()
    history: list[Turn] = []
    with open_agent(config_path) as agent:
        console.print("Ask a question (empty line or Ctrl-D to quit).")
        while True:
            try:
                question = input("> ").strip()
            except EOFError:
                break
            if not question:
                break
            answer = agent.ask(question, on_token=stream_to_stdout, history=history)
            click.echo()
            print_sources(console, answer)
            if show_trace:
                print_trace(console, answer)
            history.append(Turn(question=question, answer=answer.text))


@main.command()
@common_options
@clean_errors
def sources(config_path: Path | None, debug: bool) -> None:
    """List the sources, their kind, and whether their MCP server answers."""
    console = Console()
    table = Table("source", "kind", "tools", "health", "description", show_edge=False)
    agent = open_agent(config_path)
    try:
        with agent:
            for source in agent.sources:
                tools = agent.catalog.tools(source.name)
                health = "ok" if tools else "no tools"
                table.add_row(escape(source.name), source.kind, str(len(tools)), health,
                              escape(source.description[:60]))
    except RagboxError as exc:
        for source in agent.sources:
            table.add_row(escape(source.name), source.kind, "-", "down", escape(source.description[:60]))
        console.print(table)
        raise click.ClickException(str(exc)) from None
    console.print(table)


@main.command(name="eval")
@click.argument("questions", required=False, type=click.Path(dir_okay=False, path_type=Path))
@common_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the run (figures and every question's result) to this JSON file.")
@click.option("--compare", "runs", nargs=2, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, metavar="A.json B.json", help="Compare two runs written by --out; asks nothing.")
@click.option("--limit", type=int, default=0, help="Ask only the first N questions.")
@click.option("--tag", "tags", multiple=True, help="Ask only questions with this tag (repeatable).")
@click.option("--failures", type=int, default=10, show_default=True, help="Failed questions to print.")
@clean_errors
def eval_questions(questions: Path | None, config_path: Path | None, debug: bool, out: Path | None,
                   runs: tuple[Path, Path] | None, limit: int, tags: tuple[str, ...], failures: int) -> None:
    """Ask every question in QUESTIONS (JSON Lines) and score routing, SQL, facts, citations and cost."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agent.eval import (EvalRun, comparison_tables, load_questions, load_run, report, run_eval,
                            run_meta)

    console = Console()
    if runs:
        a, b = (load_run(p) for p in runs)
        for table in comparison_tables(a, b, label_a=runs[0].stem, label_b=runs[1].stem):
            console.print(table)
        return
    if questions is None:
        raise click.UsageError("Give a QUESTIONS.jsonl file, or --compare A.json B.json.")
    gold = load_questions(questions, limit=limit, tags=tags)
    path = find_config_path(config_path, os.environ)
    agent = open_agent(config_path)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.fields[last]}", markup=False), console=Console(stderr=True),
                        transient=True)
    started = time.perf_counter()
    with agent, progress:
        task = progress.add_task("eval", total=len(gold), last="")
        results = run_eval(agent, gold, on_result=lambda r: progress.update(
            task, advance=1, last=f"{r.id} {'ok' if not r.failed else 'FAIL'}"))
    run = EvalRun(meta=run_meta(agent.config, questions=questions, config_path=path), results=results,
                  wall_s=time.perf_counter() - started)
    console.print(report(run.summary, results, failures))
    if out is not None:
        run.save(out)
        console.print(f"Wrote {out}", markup=False, highlight=False)
