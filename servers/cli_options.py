"""Options and helpers shared by every ``python -m servers`` command."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from mcp.server.mcpserver import MCPServer

from connectors.config import Config, find_config_path, load_config
from connectors.errors import RagboxError
from servers.transport import HttpSettings, serve

__all__ = ["config_option", "load_cli_config", "serve_options", "run_server", "cli_errors"]

F = TypeVar("F", bound=Callable[..., Any])


def config_option(fn: F) -> F:
    """``--config FILE`` (else ``RAGBOX_CONFIG``, else ``./ragbox.toml``)."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="ragbox.toml to read (default: $RAGBOX_CONFIG, else ./ragbox.toml).",
    )(fn)


def serve_options(fn: F) -> F:
    """``--transport``, ``--host`` and ``--port``."""
    fn = click.option("--port", type=int, default=8000, show_default=True, help="HTTP port.")(fn)
    fn = click.option(
        "--host", default="127.0.0.1", show_default=True,
        help="HTTP bind address; anything but loopback needs RAGBOX_AUTH_TOKEN.",
    )(fn)
    fn = click.option(
        "--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True,
        help="stdio for Claude Desktop and the agent; http serves streamable HTTP at /mcp.",
    )(fn)
    return fn


def load_cli_config(config_path: Path | None) -> Config:
    """Find and load the config for a CLI command."""
    return load_config(find_config_path(config_path, os.environ))


def run_server(server: MCPServer, transport: str, host: str, port: int) -> None:
    """Serve ``server``; the HTTP token comes from ``RAGBOX_AUTH_TOKEN``."""
    http = None
    if transport == "http":
        try:
            http = HttpSettings(host=host, port=port, token=os.environ.get("RAGBOX_AUTH_TOKEN") or None)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    serve(server, transport, http)  # type: ignore[arg-type]


def cli_errors(fn: F) -> F:
    """Turn our own errors into a clean one-line message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RagboxError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]
