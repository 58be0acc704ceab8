"""``python -m servers check``: validate the config and try every source once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectors.config import Config
from connectors.errors import ConnectorError
from servers.all import served_sources
from servers.cli_options import cli_errors, config_option, load_cli_config
from servers.kinds import SERVED, SourceStatus

__all__ = ["SourceStatus", "check", "check_sources"]


def check_sources(config: Config, env: Mapping[str, str]) -> list[SourceStatus]:
    """Try each source once; a broken one gets ``ok=False`` and what to fix."""
    statuses = []
    for source in served_sources(config):
        try:
            statuses.append(SERVED[source.kind].check(source, config, env))
        except ConnectorError as exc:
            statuses.append(SourceStatus(source.name, source.kind, False, "-", str(exc)))
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
        # Our text is not markup: a fix such as "set [embeddings] host" must keep its brackets.
        table.add_row(escape(s.name), escape(s.kind), "[green]ok[/green]" if s.ok else "[red]broken[/red]",
                      escape(s.counts), escape(s.fix))
    Console(width=140).print(table)
    if not statuses or not all(s.ok for s in statuses):
        raise SystemExit(1)
