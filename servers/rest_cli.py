"""``python -m servers rest``: serve configured HTTP APIs (or one OpenAPI spec) as MCP tools."""

from __future__ import annotations

import os
from pathlib import Path

import click
from pydantic import ValidationError

from connectors.config import ApiSource
from connectors.errors import ConfigError
from servers.cli_options import cli_errors, config_option, load_cli_config, run_server, serve_options
from servers.rest import build_rest_server

__all__ = ["rest", "api_sources"]


def api_sources(
    config_path: Path | None,
    spec: str | None,
    base_url: str | None,
    methods: tuple[str, ...],
    name: str,
    token_env: str | None,
) -> list[ApiSource]:
    """The API named by ``--openapi``/``--base-url``, else every ``[[apis]]`` entry of the config."""
    if spec is None:
        if base_url or methods or token_env:
            raise click.UsageError("--base-url, --allow-method and --bearer-token-env go with --openapi SPEC.")
        return list(load_cli_config(config_path).apis)
    if not base_url:
        raise click.UsageError("--openapi needs --base-url URL (where the API answers).")
    data = {"name": name, "openapi": spec, "base_url": base_url, "methods": list(methods) or ["GET"]}
    if token_env:
        data["auth"] = {"type": "bearer", "token_env": token_env}
    try:
        return [ApiSource.model_validate(data, context={"base_dir": Path.cwd()})]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"Invalid --openapi options: {problems}") from None


@click.command()
@config_option
@click.option("--openapi", "spec", metavar="SPEC", help="One OpenAPI spec (path or URL) to serve instead of a config.")
@click.option("--base-url", metavar="URL", help="With --openapi: where the API answers, e.g. http://127.0.0.1:8765.")
@click.option(
    "--allow-method", "methods", multiple=True, metavar="METHOD",
    help="With --openapi: an HTTP method to expose (repeatable; default GET only).",
)
@click.option("--name", default="api", show_default=True, help="With --openapi: the API's name (tool-name prefix).")
@click.option("--bearer-token-env", "token_env", metavar="VAR", help="With --openapi: env variable holding a bearer token.")
@serve_options
@cli_errors
def rest(
    config_path: Path | None,
    spec: str | None,
    base_url: str | None,
    methods: tuple[str, ...],
    name: str,
    token_env: str | None,
    transport: str,
    host: str,
    port: int,
) -> None:
    """Serve HTTP APIs as MCP tools, one per allowed OpenAPI operation (GET only unless allowed)."""
    sources = api_sources(config_path, spec, base_url, methods, name, token_env)
    server = build_rest_server(sources, os.environ)
    run_server(server, transport, host, port)
