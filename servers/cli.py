"""``python -m servers``: run ragbox's MCP servers and their admin commands."""

from __future__ import annotations

import click

from servers.all_cli import all_sources
from servers.audit_cli import audit
from servers.check import check
from servers.clients_cli import clients
from servers.docs_cli import docs
from servers.memory import limit_malloc_arenas
from servers.rest_cli import rest
from servers.sql_cli import sql

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ragbox MCP servers: documents, read-only SQL and REST APIs."""
    limit_malloc_arenas()


for command in (all_sources, audit, check, clients, docs, rest, sql):
    main.add_command(command)
