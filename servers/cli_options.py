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
from servers.audit import AuditLog, audit_path, known_secrets
from servers.clients import ClientRegistry, clients_path
from servers.gate import install_gate
from servers.transport import HttpSettings, serve

__all__ = [
    "cli_errors", "clients_path", "config_option", "load_cli_config", "run_server", "serve_options",
    "server_config",
]

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
        help="HTTP bind address; anything but loopback needs RAGBOX_AUTH_TOKEN or a clients file.",
    )(fn)
    fn = click.option(
        "--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True,
        help="stdio for Claude Desktop and the agent; http serves streamable HTTP at /mcp.",
    )(fn)
    return fn


def load_cli_config(config_path: Path | None) -> Config:
    """Find and load the config for a CLI command."""
    return load_config(find_config_path(config_path, os.environ))


def server_config(config_path: Path | None = None) -> Config | None:
    """The config whose ``[server]`` section guards a server: ``config_path`` (else the running
    command's ``--config``), else ``RAGBOX_CONFIG``, else ``./ragbox.toml``; None when there is no such file
    (``servers sql --db URL`` and the other one-source shortcuts need none)."""
    if config_path is None:
        context = click.get_current_context(silent=True)
        config_path = context.params.get("config_path") if context is not None else None
    path = find_config_path(config_path, os.environ)
    if config_path is None and not path.exists():
        return None
    return load_config(path)


def run_server(server: MCPServer, transport: str, host: str, port: int, *, config: Config | None = None) -> None:
    """Serve ``server`` with its gate: client scopes and the audit log from the config's ``[server]``
    section (``config``, else the command's ``--config``); the shared HTTP token comes from ``RAGBOX_AUTH_TOKEN``."""
    config = config or server_config()
    path = audit_path(config)
    audit = None
    if path is not None:
        settings = config.server  # type: ignore[union-attr]  # audit_path is None without a config
        audit = AuditLog(path, max_bytes=settings.audit_max_bytes, max_age_days=settings.audit_max_age_days)
    install_gate(server, audit=audit, secrets=known_secrets(config, os.environ))
    http = None
    if transport == "http":
        clients = clients_path(config)
        try:
            http = HttpSettings(host=host, port=port, token=os.environ.get("RAGBOX_AUTH_TOKEN") or None,
                                clients=ClientRegistry(clients) if clients is not None else None,
                                allowed_hosts=tuple(config.server.allowed_hosts) if config else (),
                                allowed_origins=tuple(config.server.allowed_origins) if config else (),
                                oauth=config.server.oauth if config else None)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    try:
        serve(server, transport, http)  # type: ignore[arg-type]
    finally:
        if audit is not None:
            audit.close()


def cli_errors(fn: F) -> F:
    """Turn our own errors into a clean one-line message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RagboxError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]
