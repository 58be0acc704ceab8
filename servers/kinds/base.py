"""What the servers need to know about one kind of source: how to serve, describe and check it."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from mcp.server.mcpserver import MCPServer

from connectors.config import Config, SourceConfig
from connectors.docs import DocumentIndex
from connectors.errors import ConnectorError
from servers.base import Closeable

__all__ = ["Build", "Register", "ServedKind", "SourceStatus"]

log = logging.getLogger(__name__)

Register = Callable[[MCPServer], None]
"""Adds the tools of the sources a kind opened; it cannot fail for a source's reasons."""


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
    unavailable: dict[str, str] = field(default_factory=dict)
    """Sources that could not be opened, with why: they are left out of the server."""

    def attempt(self, sources: Sequence[SourceConfig], step: Callable[[], None]) -> bool:
        """Run ``step`` (opening ``sources``); on failure, mark them unavailable and say so once.

        Our own errors carry the fix in their message. Anything else is a bug, so its
        traceback goes to the log, but it still takes down only these sources.
        """
        try:
            step()
        except ConnectorError as exc:
            reason = str(exc)
        except Exception as exc:
            log.exception("Opening %s failed", ", ".join(s.name for s in sources))
            reason = f"{type(exc).__name__}: {exc}"
        else:
            return True
        for source in sources:
            self.unavailable[source.name] = reason
            log.warning("Source '%s' is left out: %s", source.name, reason)
        return False


class ServedKind(ABC):
    """One kind of source as ``python -m servers all`` and ``servers check`` handle it."""

    kind: ClassVar[str]
    """As spelled in the config models' ``kind``: ``documents``, ``database``, ``api``."""
    label: ClassVar[str]
    """How the server's instructions call it: "documents", "SQL database", "HTTP API"."""

    @abstractmethod
    def prepare(self, sources: Sequence[SourceConfig], build: Build) -> Register:
        """Open what each source needs; one that fails goes to ``build.unavailable``, the rest are
        returned as a step that adds their tools (and resources), named for their source."""

    @abstractmethod
    def tools(self, source: SourceConfig) -> str:
        """The source's tools, as its line in the server's instructions names them."""

    @abstractmethod
    def check(self, source: SourceConfig, config: Config, env: Mapping[str, str]) -> SourceStatus:
        """Try the source once; a broken one gets ``ok=False`` and what to fix."""

    def describe(self, source: SourceConfig) -> str:
        """One line for the server's instructions."""
        return f"- {source.name} ({self.label}; tools {self.tools(source)}): {source.description}"
