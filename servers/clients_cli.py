"""``python -m servers clients``: add, rotate, list and remove the named client tokens."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectors.config import Config
from servers.all import served_sources
from servers.cli_options import cli_errors, clients_path, config_option, server_config
from servers.clients import ALL_SOURCES, add_client, read_clients, remove_client, rotate_client

__all__ = ["clients"]


def _file_option(fn):  # type: ignore[no-untyped-def]
    return click.option(
        "--file", "clients_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="The clients file (default: $RAGBOX_CLIENTS_FILE, else [server] clients in the config).",
    )(fn)


def _locate(config_path: Path | None, clients_file: Path | None) -> tuple[Path, Config | None]:
    config = server_config(config_path) if clients_file is None or config_path is not None else None
    path = clients_file.resolve() if clients_file is not None else clients_path(config)
    if path is None:
        raise click.UsageError(
            "No clients file is configured: add `clients = \"clients.toml\"` under [server] in ragbox.toml, "
            "set RAGBOX_CLIENTS_FILE, or pass --file."
        )
    return path, config


def _parse_sources(text: str, config: Config | None) -> list[str]:
    sources = [s.strip() for s in text.split(",") if s.strip()]
    if not sources:
        raise click.UsageError("--sources needs at least one source name, or '*' for every source.")
    if config is not None and ALL_SOURCES not in sources:
        known = {s.name for s in served_sources(config)}
        unknown = sorted(set(sources) - known)
        if unknown:
            raise click.UsageError(
                f"Unknown source(s) {', '.join(unknown)}; the config has: {', '.join(sorted(known)) or 'none'}."
            )
    return sources


def _hand_over(token: str, name: str) -> None:
    click.echo(token)
    click.echo(
        f"That is client {name!r}'s token; it is shown only this once (the file keeps its hash). "
        "The client sends it as 'Authorization: Bearer <token>'.",
        err=True,
    )


@click.group()
def clients() -> None:
    """Named client tokens for the HTTP server: each client sees and calls only its sources."""


@clients.command()
@click.argument("name")
@click.option("--sources", required=True, metavar="A,B", help="Comma-separated source names, or '*' for all.")
@config_option
@_file_option
@cli_errors
def add(name: str, sources: str, config_path: Path | None, clients_file: Path | None) -> None:
    """Add client NAME and print its new token (once)."""
    path, config = _locate(config_path, clients_file)
    _hand_over(add_client(path, name, _parse_sources(sources, config)), name)


@clients.command()
@click.argument("name")
@config_option
@_file_option
@cli_errors
def rotate(name: str, config_path: Path | None, clients_file: Path | None) -> None:
    """Give client NAME a new token; the old one stops working at once, without a restart."""
    path, _ = _locate(config_path, clients_file)
    _hand_over(rotate_client(path, name), name)


@clients.command(name="list")
@config_option
@_file_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per client.")
@cli_errors
def list_clients(config_path: Path | None, clients_file: Path | None, as_json: bool) -> None:
    """List the clients and their sources (never their tokens)."""
    path, _ = _locate(config_path, clients_file)
    entries = read_clients(path).clients
    if as_json:
        for name, e in sorted(entries.items()):
            click.echo(json.dumps({"name": name, "sources": e.sources, "created": e.created, "rotated": e.rotated}))
        return
    table = Table(title=f"ragbox clients ({path})")
    for column in ("client", "sources", "created", "token rotated"):
        table.add_column(column)
    for name, e in sorted(entries.items()):
        table.add_row(escape(name), escape(", ".join(e.sources)), e.created, e.rotated or "-")
    Console(width=140).print(table)


@clients.command(name="rm")
@click.argument("name")
@config_option
@_file_option
@cli_errors
def remove(name: str, config_path: Path | None, clients_file: Path | None) -> None:
    """Remove client NAME; its token stops working at once, without a restart."""
    path, _ = _locate(config_path, clients_file)
    remove_client(path, name)
    click.echo(f"Removed client {name!r}.", err=True)
