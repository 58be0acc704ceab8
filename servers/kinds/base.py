"""What the servers need to know about one kind of source: how to serve, describe and check it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from mcp.server.mcpserver import MCPServer

from connectors.config import Config, SourceConfig
from connectors.docs import DocumentIndex
from servers.base import Closeable

__all__ = ["Build", "ServedKind", "SourceStatus"]


@dataclass(frozen=True)
class SourceStatus:
    """One row of ``servers check``: is the source usable, what it holds, what to fix."""

    name: str
    kind: str
    ok: bool
    counts: str
    fix: str = ""


@dataclass
class Build:
    """What registering a kind's sources needs, and what it opened (the server closes those)."""

    config: Config
    env: Mapping[str, str]
    index: DocumentIndex | None = None
    """An index the caller opened and keeps; else the documents kind opens one."""
    opened: list[Closeable] = field(default_factory=list)


class ServedKind(ABC):
    """One kind of source as ``python -m servers all`` and ``servers check`` handle it."""

    kind: ClassVar[str]
    """As spelled in the config models' ``kind``: ``documents``, ``database``, ``api``."""
    label: ClassVar[str]
    """How the server's instructions call it: "documents", "SQL database", "HTTP API"."""

    @abstractmethod
    def register(self, server: MCPServer, sources: Sequence[SourceConfig], build: Build) -> None:
        """Add the tools (and resources) of every source of this kind, named for their source."""

    @abstractmethod
    def tools(self, source: SourceConfig) -> str:
        """The source's tools, as its line in the server's instructions names them."""

    @abstractmethod
    def check(self, source: SourceConfig, config: Config, env: Mapping[str, str]) -> SourceStatus:
        """Try the source once; a broken one gets ``ok=False`` and what to fix."""

    def describe(self, source: SourceConfig) -> str:
        """One line for the server's instructions."""
        return f"- {source.name} ({self.label}; tools {self.tools(source)}): {source.description}"
