"""``python -m servers all``: every configured source in one MCP server."""

from __future__ import annotations

import os
from pathlib import Path

import click

from servers.all import build_all_server
from servers.cli_options import cli_errors, config_option, load_cli_config, run_server, serve_options

__all__ = ["all_sources"]


@click.command(name="all")
@config_option
@serve_options
@cli_errors
def all_sources(config_path: Path | None, transport: str, host: str, port: int) -> None:
    """Serve every configured source (documents, databases, APIs) in one MCP server."""
    config = load_cli_config(config_path)
    run_server(build_all_server(config, os.environ), transport, host, port, config=config)
