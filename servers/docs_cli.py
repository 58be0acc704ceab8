"""``python -m servers docs``: serve, ingest and search the documents index.

    python -m servers docs --config ragbox.toml             # serve over stdio (or --transport http)
    python -m servers docs --path ./docs --data-dir .ragbox # no config: one folder
    python -m servers docs ingest [--config F | --path DIR] [--prune]
    python -m servers docs search "how many days of leave?"
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from connectors.config import Config, parse_config
from connectors.docs import DocumentIndex, IngestProgress, IngestSummary
from servers.cli_options import cli_errors, config_option, load_cli_config, run_server, serve_options
from servers.docs import build_docs_server

__all__ = ["docs"]

F = TypeVar("F", bound=Callable[..., Any])
SHORTCUT_SOURCE = "docs"


def source_options(fn: F) -> F:
    """``--path``, ``--data-dir`` and ``--embedder``: index one folder without a config file."""
    fn = click.option("--embedder", default=None,
                      help="Embeddings provider (default | ollama | hashing); overrides the config.")(fn)
    fn = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                      help="Where the index lives (default: the config's data_dir, else .ragbox/).")(fn)
    fn = click.option("--path", "docs_path", type=click.Path(exists=True, path_type=Path), default=None,
                      help="A folder of documents to use instead of a config file.")(fn)
    return config_option(fn)


def resolve_config(
    config_path: Path | None, docs_path: Path | None, data_dir: Path | None, embedder: str | None
) -> Config:
    """The config for a docs command: the file, or a one-folder config from ``--path``."""
    if docs_path is not None and config_path is not None:
        raise click.UsageError("give --config or --path, not both")
    if docs_path is not None:
        data: dict[str, Any] = {
            "data_dir": str(data_dir or ".ragbox"),
            "documents": [{"name": SHORTCUT_SOURCE, "paths": [str(docs_path)],
                           "description": f"Documents in {docs_path}"}],
        }
        if embedder:
            data["embeddings"] = {"provider": embedder}
        return parse_config(data, base_dir=Path.cwd(), origin="--path")
    config = load_cli_config(config_path)
    updates: dict[str, Any] = {}
    if data_dir is not None:
        updates["data_dir"] = data_dir.resolve()
    if embedder:
        updates["embeddings"] = config.embeddings.model_copy(update={"provider": embedder})
    config = config.model_copy(update=updates) if updates else config
    if not config.documents:
        raise click.UsageError("the config has no [[documents]] section; add one or use --path DIR")
    return config


def open_index(config: Config) -> DocumentIndex:
    return DocumentIndex.open(config)


@click.group(invoke_without_command=True)
@source_options
@serve_options
@click.pass_context
@cli_errors
def docs(
    ctx: click.Context, config_path: Path | None, docs_path: Path | None, data_dir: Path | None,
    embedder: str | None, transport: str, host: str, port: int,
) -> None:
    """Serve the documents MCP server (tools: search_documents, list_sources, get_document)."""
    if ctx.invoked_subcommand is not None:
        return
    index = open_index(resolve_config(config_path, docs_path, data_dir, embedder))
    index.check()
    run_server(build_docs_server(index, owns=True), transport, host, port)


def _print_summary(summary: IngestSummary) -> None:
    counts = ", ".join(f"{n} {k}" for k, n in summary.counts().items())
    rate = summary.chunks_written / summary.seconds if summary.seconds else 0.0
    click.echo(f"{summary.source}: {counts}; {summary.chunks_written} chunks written in "
               f"{summary.seconds:.1f}s ({rate:.0f} chunks/s, {summary.embed_seconds:.1f}s embedding)")
    for removed in summary.removed:
        click.echo(f"  removed {removed}")
    for skipped in summary.skipped:
        click.echo(f"  skipped {skipped.path}: {skipped.reason}")


@docs.command()
@source_options
@click.option("--source", default=None, help="Ingest only this documents source.")
@click.option("--prune", is_flag=True, help="Remove documents whose files are gone.")
@click.option("--rebuild", is_flag=True, help="Drop the index first (needed after changing embedder).")
@cli_errors
def ingest(
    config_path: Path | None, docs_path: Path | None, data_dir: Path | None, embedder: str | None,
    source: str | None, prune: bool, rebuild: bool,
) -> None:
    """Index new and changed documents; skips unchanged files, reports bad ones."""
    config = resolve_config(config_path, docs_path, data_dir, embedder)
    with open_index(config) as index:
        if sys.stdout.isatty():
            summaries = _ingest_with_bar(index, source, prune, rebuild)
        else:
            def line(event: IngestProgress) -> None:
                click.echo(f"[{event.done}/{event.total}] {event.outcome} {event.source}:{event.path}")
                sys.stdout.flush()

            summaries = index.ingest(source, prune=prune, rebuild=rebuild, progress=line)
    for summary in summaries:
        _print_summary(summary)


def _ingest_with_bar(index: DocumentIndex, source: str | None, prune: bool, rebuild: bool) -> list[IngestSummary]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # markup=False: a file or source name is not markup ("notes[draft].md" would lose "[draft]").
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[path]}", markup=False), transient=False) as bar:
        tasks: dict[str, Any] = {}

        def update(event: IngestProgress) -> None:
            if event.source not in tasks:
                tasks[event.source] = bar.add_task(event.source, total=event.total, path="")
            bar.update(tasks[event.source], completed=event.done, total=event.total,
                       path=f"{event.outcome} {event.path}")

        return index.ingest(source, prune=prune, rebuild=rebuild, progress=update)


@docs.command()
@click.argument("query")
@source_options
@click.option("--top-k", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--source", default=None, help="Search only this documents source.")
@click.option("--path-glob", default=None, help="Only paths matching this glob, e.g. 'meetings/**'.")
@click.option("--mode", type=click.Choice(["hybrid", "semantic", "keyword"]), default="hybrid",
              show_default=True)
@cli_errors
def search(
    query: str, config_path: Path | None, docs_path: Path | None, data_dir: Path | None,
    embedder: str | None, top_k: int, source: str | None, path_glob: str | None, mode: str,
) -> None:
    """Print the best passages for QUERY, for people (the MCP tool serves programs)."""
    from rich.console import Console
    from rich.markup import escape

    config = resolve_config(config_path, docs_path, data_dir, embedder)
    with open_index(config) as index:
        hits = index.search(query, top_k=top_k, source=source, path_glob=path_glob, mode=mode)  # type: ignore[arg-type]
    console = Console(highlight=False)
    if not hits:
        console.print("No matching passages. Run 'docs ingest' first, or try other words.")
    for rank, hit in enumerate(hits, start=1):
        where = hit.path + (f", page {hit.page}" if hit.page else "")
        heading = " › ".join(hit.heading_path)
        console.print(f"[bold]{rank}. {escape(where)}[/bold]  [dim]{escape(heading)}  "
                      f"score {hit.score:.4f}[/dim]")
        console.print(escape(hit.text.strip()), soft_wrap=True)
        console.print()
