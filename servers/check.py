"""``python -m servers check``: validate the config and try every source once."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import click
import httpx
from rich.console import Console
from rich.table import Table

from connectors.config import ApiSource, Config, DatabaseSource, DocumentsSource
from connectors.docs import DocumentIndex
from connectors.errors import ConnectorError
from connectors.sql.engine import SqlDatabase
from servers.cli_options import cli_errors, config_option, load_cli_config
from servers.rest import load_api_toolsets

__all__ = ["SourceStatus", "check", "check_sources"]


@dataclass(frozen=True)
class SourceStatus:
    name: str
    kind: str
    ok: bool
    counts: str
    fix: str = ""


def _check_database(source: DatabaseSource, config: Config, env: Mapping[str, str]) -> SourceStatus:
    db = SqlDatabase.from_source(source, env)
    try:
        tables = db.list_tables()
    finally:
        db.close()
    if not tables:
        return SourceStatus(source.name, "database", False, "0 tables",
                            "the database has no tables the allow-list lets through")
    return SourceStatus(source.name, "database", True, f"{len(tables)} tables")


def _check_documents(source: DocumentsSource, config: Config, env: Mapping[str, str]) -> SourceStatus:
    with DocumentIndex.open(config) as index:
        index.check()
        (info,) = [s for s in index.list_sources() if s.name == source.name]
    chunks = sum(d.chunks for d in info.documents)
    counts = f"{len(info.documents)} documents, {chunks} chunks"
    if not info.documents:
        return SourceStatus(source.name, "documents", False, counts,
                            "not indexed yet: run python -m servers docs ingest --config FILE")
    return SourceStatus(source.name, "documents", True, counts)


def _check_api(source: ApiSource, config: Config, env: Mapping[str, str]) -> SourceStatus:
    (toolset,) = load_api_toolsets([source], env)
    counts = f"{len(toolset.tools)} operations"
    try:
        httpx.get(source.base_url, timeout=min(source.timeout_s, 5.0))
    except httpx.HTTPError as exc:
        return SourceStatus(source.name, "api", False, counts,
                            f"{source.base_url} does not answer ({type(exc).__name__}); start the API")
    return SourceStatus(source.name, "api", True, counts)


_CHECKS: dict[type, Callable[..., SourceStatus]] = {
    DatabaseSource: _check_database,
    DocumentsSource: _check_documents,
    ApiSource: _check_api,
}


def check_sources(config: Config, env: Mapping[str, str]) -> list[SourceStatus]:
    """Try each source once; a broken one gets ``ok=False`` and what to fix."""
    statuses = []
    for source in [*config.documents, *config.databases, *config.apis]:
        kind = type(source).__name__.removesuffix("Source").lower()
        try:
            statuses.append(_CHECKS[type(source)](source, config, env))
        except ConnectorError as exc:
            statuses.append(SourceStatus(source.name, kind, False, "-", str(exc)))
    return statuses


@click.command()
@config_option
@cli_errors
def check(config_path: Path | None) -> None:
    """Validate the config and try each source: one row per source; non-zero exit if any is broken."""
    config = load_cli_config(config_path)
    statuses = check_sources(config, os.environ)
    table = Table(title="ragbox sources")
    for column in ("source", "kind", "status", "counts", "what to fix"):
        table.add_column(column)
    for s in statuses:
        table.add_row(s.name, s.kind, "[green]ok[/green]" if s.ok else "[red]broken[/red]", s.counts, s.fix)
    Console(width=140).print(table)
    if not statuses or not all(s.ok for s in statuses):
        raise SystemExit(1)
