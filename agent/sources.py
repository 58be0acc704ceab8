"""The routable sources, as the agent knows them from the config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.engine import make_url

from connectors.config import Config, SqlExample

__all__ = ["Kind", "Source", "sources_from_config"]

Kind = Literal["documents", "database", "api", "mcp"]

_DIALECTS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL", "mssql": "SQL Server"}


@dataclass(frozen=True, kw_only=True)
class Source:
    """A named source: its kind picks the strategy, its text feeds the router."""

    name: str
    kind: Kind
    description: str = ""
    examples: tuple[str, ...] = ()
    sql_examples: tuple[SqlExample, ...] = field(default=())
    dialect: str | None = None  # databases: "SQLite", "PostgreSQL", …


def _dialect(url: str | None) -> str | None:
    if url is None:
        return None
    backend = make_url(url).get_backend_name()
    return _DIALECTS.get(backend, backend)


def sources_from_config(config: Config) -> list[Source]:
    """Every source in the config, in file order within each kind."""
    sources = [
        Source(name=s.name, kind="documents", description=s.description, examples=tuple(s.examples))
        for s in config.documents
    ]
    sources += [
        Source(name=s.name, kind="database", description=s.description, examples=tuple(s.examples),
               sql_examples=tuple(s.sql_examples), dialect=_dialect(s.url))
        for s in config.databases
    ]
    sources += [
        Source(name=s.name, kind="api", description=s.description, examples=tuple(s.examples))
        for s in config.apis
    ]
    sources += [
        Source(name=s.name, kind="mcp", description=s.description, examples=tuple(s.examples))
        for s in config.mcp_servers
    ]
    return sources
