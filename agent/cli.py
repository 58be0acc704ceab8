"""``python -m agent``: ask, chat, serve, list sources, and manage learned SQL examples."""

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
from agent.examples import ExampleStore, learnable
from agent.models import MODELS
from agent.specs import default_specs
from connectors.config import Config, DatabaseSource, LLMConfig, find_config_path, load_config
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
@click.option("--confirm", is_flag=True,
              help="Then ask whether the answer was right; if so, keep its question and SQL as an example "
                   "for that database's later questions.")
@clean_errors
def ask(question: str, config_path: Path | None, debug: bool, as_json: bool, show_trace: bool,
        route: str | None, confirm: bool) -> None:
    """Answer QUESTION from the configured sources."""
    console = Console()
    with open_agent(config_path) as agent:
        answer = agent.ask(question, route=route, on_token=None if as_json else stream_to_stdout)
        databases = {s.name: s for s in agent.sources if isinstance(s, DatabaseSource)}
        store = agent.examples
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, default=str))
    else:
        click.echo()
        print_sources(console, answer)
        console.print(f"[dim]answered by {escape(answer.llm)}[/dim]", highlight=False)
        if show_trace:
            print_trace(console, answer)
    if confirm:
        confirm_answer(question, answer, databases, store)


def confirm_answer(question: str, answer: Answer, databases: dict[str, DatabaseSource], store: ExampleStore) -> None:
    """Ask the user whether ``answer`` was right; keep its SQL as an example when it was (prompts on stderr)."""
    found = learnable(answer, databases)
    if found.sql is None or found.source is None:
        click.echo(f"Nothing to keep: {found.reason}.", err=True)
        return
    click.echo(f"SQL ({found.source}): {found.sql}", err=True)
    if not click.confirm("Was this answer right? Keep the question and its SQL as an example", default=False,
                         err=True):
        return
    try:
        example_id = store.add(found.source, question, found.sql)
    finally:
        store.close()
    click.echo(f"Kept as example {example_id} for {found.source} (python -m agent examples list).", err=True)


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
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs RAGBOX_AUTH_TOKEN or a clients file.")
@click.option("--port", type=int, default=8090, show_default=True)
@click.option("--max-running", type=click.IntRange(1), default=4, show_default=True,
              help="Questions answered at once; more wait.")
@click.option("--max-waiting", type=click.IntRange(0), default=32, show_default=True,
              help="Questions that may wait; one more gets HTTP 429.")
@clean_errors
def serve(config_path: Path | None, debug: bool, host: str, port: int, max_running: int, max_waiting: int) -> None:
    """Serve the agent over the OpenAI chat API (/v1) and a chat page (/), until stopped."""
    import uvicorn

    from agent.serve import ServeSettings, create_app
    from servers.clients import ClientRegistry, clients_path
    from servers.transport import HttpSettings

    path = find_config_path(config_path, os.environ)
    config = load_config(path)
    clients = clients_path(config)
    try:
        http = HttpSettings(host=host, port=port, token=os.environ.get("RAGBOX_AUTH_TOKEN") or None,
                            clients=ClientRegistry(clients) if clients is not None else None,
                            allowed_hosts=tuple(config.server.allowed_hosts),
                            allowed_origins=tuple(config.server.allowed_origins))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    env = dict(os.environ)
    with Agent(config, default_specs(config, path, env), env=env) as agent:
        agent.warm()
        app = create_app(agent, ServeSettings(http=http, max_running=max_running, max_waiting=max_waiting))
        click.echo(f"ragbox agent on http://{host}:{port}/ (OpenAI API at /v1, model 'ragbox'); Ctrl-C stops it",
                   err=True)
        uvicorn.run(app, host=host, port=port, log_level="warning", timeout_keep_alive=75)


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
                why = agent.catalog.down(source.name)
                health = f"down: {why}" if why else "ok" if tools else "no tools"
                table.add_row(escape(source.name), source.kind, str(len(tools)), escape(health),
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
              default=None, metavar="A.json B.json", help="Compare two runs written by --out; asks nothing. With QUESTIONS (and --tag), only those.")
@click.option("--limit", type=int, default=0, help="Ask only the first N questions.")
@click.option("--tag", "tags", multiple=True, help="Ask only questions with this tag (repeatable).")
@click.option("--failures", type=int, default=10, show_default=True, help="Failed questions to print.")
@clean_errors
def eval_questions(questions: Path | None, config_path: Path | None, debug: bool, out: Path | None,
                   runs: tuple[Path, Path] | None, limit: int, tags: tuple[str, ...], failures: int) -> None:
    """Ask every question in QUESTIONS (JSON Lines) and score routing, SQL, facts, citations and cost."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agent.eval import (EvalRun, QuestionResult, comparison_tables, load_questions, load_run, report,
                            run_eval, run_meta)

    console = Console()
    if runs:
        a, b = (load_run(p) for p in runs)
        if questions is not None:  # compare on that set only, e.g. the check split: --tag check
            ids = {q.id for q in load_questions(questions, tags=tags)}
            a, b = (run.only(ids) for run in (a, b))
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
    run = EvalRun(meta=run_meta(agent.config, questions=questions, config_path=path))

    def landed(result: QuestionResult) -> None:
        run.results.append(result)
        run.wall_s = time.perf_counter() - started
        if out is not None:
            run.save(out)  # as it goes: an interrupted run keeps what it did
        progress.update(task, advance=1, last=f"{result.id} {'ok' if not result.failed else 'FAIL'}")

    with agent, progress:
        task = progress.add_task("eval", total=len(gold), last="")
        run_eval(agent, gold, on_result=landed)
    console.print(report(run.summary, run.results, failures))
    if out is not None:
        console.print(f"Wrote {out}", markup=False, highlight=False)


@main.group()
def examples() -> None:
    """The question→SQL examples learned from confirmed answers (ask --confirm)."""


def example_store(config_path: Path | None) -> ExampleStore:
    config = load_config(find_config_path(config_path, os.environ))
    return ExampleStore(config.data_dir / "examples.db")


@examples.command(name="list")
@common_options
@click.option("--source", default=None, help="Only this database's examples.")
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON lines.")
@clean_errors
def examples_list(config_path: Path | None, debug: bool, source: str | None, as_json: bool) -> None:
    """List the learned examples: id, database, question and SQL."""
    store = example_store(config_path)
    found = store.list(source)
    store.close()
    if as_json:
        for e in found:
            click.echo(json.dumps({"id": e.id, "source": e.source, "question": e.question, "sql": e.sql,
                                   "created_at": e.created_at}, ensure_ascii=False))
        return
    if not found:
        click.echo("No examples yet; confirm an answer with: python -m agent ask --confirm \"...\"")
        return
    table = Table("id", "source", "question", "sql", "kept", show_edge=False)
    for e in found:
        table.add_row(str(e.id), escape(e.source), escape(e.question), escape(e.sql), e.created_at[:10])
    Console().print(table)


@examples.command(name="rm")
@common_options
@click.argument("example_id", type=int)
@clean_errors
def examples_rm(config_path: Path | None, debug: bool, example_id: int) -> None:
    """Delete the example EXAMPLE_ID (an id from examples list)."""
    store = example_store(config_path)
    removed = store.remove(example_id)
    store.close()
    if not removed:
        raise click.ClickException(f"No example {example_id}; see python -m agent examples list.")
    click.echo(f"Deleted example {example_id}.")


@main.group()
def route() -> None:
    """Fit and inspect the router's no-LLM decision."""


def print_figures(console: Console, rows: list[tuple[str, Any]]) -> None:
    table = Table(title=f"No-LLM routing of {rows[0][1].questions} questions", title_justify="left",
                  show_edge=False)
    table.add_column("", no_wrap=True)
    for name in ("decided", "right", "misrouted", "accuracy", "LLM calls"):
        table.add_column(name, justify="right", no_wrap=True)
    for label, f in rows:
        table.add_row(escape(label), str(f.decided), str(f.right), str(f.misrouted), f"{f.accuracy:.0%}",
                      f"{f.llm_rate:.0%}")
    console.print(table)


def print_params(console: Console, params: Any) -> None:
    data = params.to_dict()
    thresholds = data.pop("thresholds")
    console.print("  " + ", ".join(f"{k}={v}" for k, v in data.items()), markup=False, highlight=False,
                  soft_wrap=True)
    if thresholds:
        console.print("  thresholds: " + ", ".join(f"{k}={'-' if v is None else v}" for k, v in thresholds.items()),
                      markup=False, highlight=False, soft_wrap=True)


@route.command(name="fit")
@click.argument("questions", type=click.Path(dir_okay=False, path_type=Path))
@common_options
@click.option("--tag", "--tags", "tags", multiple=True, help="Fit only on questions with this tag (repeatable).")
@click.option("--misroute-cost", type=float, default=None,
              help="What a misroute costs against asking the LLM router: p/(1-p) for a router that is "
                   "right a share p of the time (default 2.0, measured for a 1.5B model).")
@click.option("--dry-run", is_flag=True, help="Print the figures; do not write the fit.")
@clean_errors
def route_fit(questions: Path, config_path: Path | None, debug: bool, tags: tuple[str, ...],
              misroute_cost: float | None, dry_run: bool) -> None:
    """Fit the router's thresholds on QUESTIONS (JSON Lines with a gold `source`) and store them
    in data_dir/router.json. No LLM call is made."""
    from agent.eval import load_questions
    from agent.routing import fit_router
    from agent.routing.fit import MISROUTE_COST

    console = Console()
    gold = load_questions(questions, tags=tags)
    with open_agent(config_path) as agent:
        outcome = fit_router(agent, gold, misroute_cost=MISROUTE_COST if misroute_cost is None else misroute_cost,
                             write=not dry_run)
    if outcome.stale:
        console.print(f"The stored fit was stale ({outcome.stale}).", markup=False, highlight=False, soft_wrap=True)
    print_figures(console, [(f"before ({outcome.before_from})", outcome.before), ("after", outcome.after)])
    print_params(console, outcome.fit.params)
    if outcome.misrouted:
        console.print("  still misrouted: " + ", ".join(outcome.misrouted), markup=False, highlight=False,
                      soft_wrap=True)
    if outcome.skipped:
        console.print(f"  skipped {len(outcome.skipped)} questions whose source is not configured: "
                      + ", ".join(outcome.skipped), markup=False, highlight=False, soft_wrap=True)
    if outcome.path is not None:
        console.print(f"Wrote {outcome.path}", markup=False, highlight=False, soft_wrap=True)


@route.command(name="show")
@common_options
@clean_errors
def route_show(config_path: Path | None, debug: bool) -> None:
    """Show the stored router fit and whether it still applies to the config."""
    from agent.routing import RouterParams, fit_problem_for, read_fit

    console = Console()
    with open_agent(config_path) as agent:
        fit = read_fit(agent.config.data_dir)
        if fit is None:
            console.print(f"No router fit in {agent.config.data_dir}; the defaults apply:", markup=False,
                          highlight=False, soft_wrap=True)
            print_params(console, RouterParams.from_settings(agent.settings))
            return
        problem = fit_problem_for(agent, fit)
    state = "applies" if problem is None else f"is stale ({problem}); the defaults apply"
    console.print(f"Router fit for {fit.embedder}, {fit.questions} questions: it {state}.", markup=False,
                  highlight=False, soft_wrap=True)
    print_params(console, fit.params)
    if "before" in fit.figures and "after" in fit.figures:
        from agent.routing import Figures
        print_figures(console, [(k, Figures.from_dict(fit.figures[k])) for k in ("before", "after")])


@main.group()
def models() -> None:
    """Managed GGUF models for the embedded LLM ([llm] provider = "llamacpp" or "auto")."""


def llm_section(config_path: Path | None) -> LLMConfig:
    """``[llm]`` of the config when there is one; the defaults otherwise (no config is fine here)."""
    path = find_config_path(config_path, os.environ)
    if config_path is None and not path.is_file():
        return LLMConfig()
    return load_config(path).llm


@models.command(name="list")
@common_options
@clean_errors
def models_list(config_path: Path | None, debug: bool) -> None:
    """The registry: each model's size, sha256, sources, and where it is downloaded."""
    from agent.models import DEFAULT_MODEL, MODELS, ModelError, ModelMissing, locate, model_dirs

    dirs = model_dirs(llm_section(config_path).models_dir)
    for spec in MODELS.values():
        try:
            where = f"downloaded: {locate(spec, dirs)}"
        except ModelMissing:
            where = f"not downloaded: `python -m agent models pull {spec.name}`"
        except ModelError as exc:
            where = f"damaged: {exc}"
        click.echo(f"{spec.name}{' (default)' if spec.name == DEFAULT_MODEL else ''}, "
                   f"{spec.size / 1e9:.2f} GB: {spec.description}")
        click.echo(f"  sha256 {spec.sha256}\n  {where}")
        click.echo(f"  from: {'; '.join(s.describe() for s in spec.sources)}")
    click.echo(f"models folders, searched in this order: {', '.join(map(str, dirs))}")


@models.command(name="pull")
@click.argument("name", required=False)
@common_options
@clean_errors
def models_pull(name: str | None, config_path: Path | None, debug: bool) -> None:
    """Download NAME (default: the config's [llm] model, else the default model) and check its sha256."""
    from agent.models import DEFAULT_MODEL, ModelError, find_spec, locate, model_dirs
    from agent.models.progress import pull_with_bar

    llm = llm_section(config_path)
    configured = llm.model if llm.provider in ("llamacpp", "auto") and llm.model in MODELS else None
    spec = find_spec(name or configured or DEFAULT_MODEL)
    dirs = model_dirs(llm.models_dir)
    try:
        path = locate(spec, dirs)
    except ModelError:
        path = pull_with_bar(spec, dirs)
    click.echo(path)


@models.command(name="path")
@click.argument("name")
@common_options
@clean_errors
def models_path(name: str, config_path: Path | None, debug: bool) -> None:
    """Print where NAME is, once its size and sha256 check out; exit 1 when it is not downloaded."""
    from agent.models import model_dirs, resolve_model

    click.echo(resolve_model(name, model_dirs(llm_section(config_path).models_dir)).path)
