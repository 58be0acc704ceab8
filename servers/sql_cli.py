"""``python -m servers sql``: serve databases read-only over MCP."""

from __future__ import annotations

import os
from pathlib import Path

import click

from connectors.errors import ConfigError
from connectors.sql.engine import SqlDatabase
from servers.cli_options import cli_errors, config_option, load_cli_config, run_server, serve_options
from servers.sql import build_sql_server

__all__ = ["sql", "open_databases"]


def open_databases(config_path: Path | None, db_url: str | None, name: str) -> list[SqlDatabase]:
    """The databases named by ``--db URL``, else every ``[[databases]]`` entry of the config."""
    if db_url:
        return [SqlDatabase(db_url, name=name)]
    config = load_cli_config(config_path)
    if not config.databases:
        raise ConfigError("The config has no [[databases]] entries; add one or pass --db URL.")
    return [SqlDatabase.from_source(source, os.environ) for source in config.databases]


@click.command()
@config_option
@click.option("--db", "db_url", metavar="URL", help="One SQLAlchemy URL to serve instead of a config.")
@click.option("--name", default="db", show_default=True, help="Source name for --db.")
@serve_options
@cli_errors
def sql(config_path: Path | None, db_url: str | None, name: str, transport: str, host: str, port: int) -> None:
    """Serve SQL databases read-only: list_tables, describe_table, run_query."""
    server = build_sql_server(open_databases(config_path, db_url, name), owns=True)
    run_server(server, transport, host, port)
