"""``python -m servers``: run ragbox's MCP servers and their admin commands."""

from __future__ import annotations

import click

from servers.docs_cli import docs
from servers.rest_cli import rest
from servers.sql_cli import sql

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ragbox MCP servers: documents, read-only SQL and REST APIs."""


main.add_command(sql)
main.add_command(docs)
main.add_command(rest)
