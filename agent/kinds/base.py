"""One descriptor per kind of source: how the agent profiles it, gathers from it, and answers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from agent.context import ContextBlock
from agent.run import Run
from connectors.config import SourceConfig

if TYPE_CHECKING:
    from agent.catalog import Catalog
    from agent.mcp_hub import ServerSpec

__all__ = ["SourceKind"]


class SourceKind(ABC):
    """What the agent does with one kind of source; ``name`` is the config models' ``kind``."""

    name: ClassVar[str]
    answers_with_tools: ClassVar[bool] = False
    """Offer the source's tools to the answer call, so a model that needs one more call makes it there."""

    @abstractmethod
    def gather(self, question: str, source: SourceConfig, run: Run) -> list[ContextBlock]:
        """Context blocks for ``question`` from ``source``, through MCP; empty when it has nothing."""

    def profile(self, source: SourceConfig, catalog: Catalog) -> list[str]:
        """Short texts about what the source's server exposes, for the embedding router."""
        return []

    def server_spec(self, source: SourceConfig, env: Mapping[str, str]) -> ServerSpec | None:
        """The MCP server to open for ``source``; None when ``python -m servers all`` serves it."""
        return None
