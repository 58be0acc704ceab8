"""``python -m servers audit``: read the audit log (the live file and the rotated ones)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from servers.audit import AuditEntry, audit_path, parse_since, read_entries
from servers.cli_options import cli_errors, config_option, server_config

__all__ = ["audit"]


def _outcome(e: AuditEntry) -> str:
    text = e.outcome + (f" ({e.rule})" if e.rule else "")
    colour = {"ok": "green", "refused": "yellow", "error": "red"}[e.outcome]
    return f"[{colour}]{escape(text)}[/{colour}]"


@click.command()
@config_option
@click.option("--file", "log_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The live audit file (default: [server] audit in the config, else <data_dir>/audit.db).")
@click.option("--since", metavar="WHEN", help="30m, 1h, 2d ago, or a UTC time such as 2026-12-01T10:00.")
@click.option("--client", metavar="NAME", help="Only this client's calls.")
@click.option("--refused", is_flag=True, help="Only refused calls (scope, SQL guard, REST).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the newest N entries.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per entry, oldest first.")
@cli_errors
def audit(config_path: Path | None, log_file: Path | None, since: str | None, client: str | None,
          refused: bool, limit: int | None, as_json: bool) -> None:
    """Show the audit log of tool calls, oldest first; times are UTC."""
    path = log_file or audit_path(server_config(config_path))
    if path is None:
        raise click.UsageError("No audit log is configured ([server] audit = false, or no config); pass --file.")
    try:
        after = parse_since(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    entries = read_entries(path, since=after, client=client, outcome="refused" if refused else None, limit=limit)
    if as_json:
        for e in entries:
            row = dataclasses.asdict(e)
            row["arguments"] = json.loads(e.arguments) if not e.arguments.endswith("[cut]") else e.arguments
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not entries:
        click.echo(f"No audit entries match in {path}.", err=True)
        return
    table = Table(title=f"ragbox audit log ({path})")
    for column in ("time (UTC)", "client", "source", "tool", "outcome", "rows", "bytes", "ms", "arguments"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(
            e.ts.replace("T", " ").removesuffix("Z"), escape(e.client), escape(e.source or "-"), escape(e.tool),
            _outcome(e), "-" if e.rows is None else str(e.rows), "-" if e.bytes is None else str(e.bytes),
            f"{e.duration_ms:.1f}", escape(e.arguments if len(e.arguments) <= 120 else e.arguments[:119] + "…"),
        )
    Console(width=160).print(table)
