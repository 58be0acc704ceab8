"""The kinds of source the agent knows, one descriptor each, looked up by the config's ``kind``.

Adding a kind: a config model with its ``kind`` (``connectors/config.py``), a
:class:`SourceKind` here, and, when ragbox serves it, a
:class:`servers.kinds.ServedKind`.
"""

from __future__ import annotations

import typing

from agent.kinds.base import SourceKind
from agent.kinds.database import DatabaseKind
from agent.kinds.documents import DocumentsKind
from agent.kinds.tools import ApiKind, McpKind, ToolsKind

if typing.TYPE_CHECKING:
    from connectors.config import SourceConfig

__all__ = ["KINDS", "ApiKind", "DatabaseKind", "DocumentsKind", "McpKind", "SourceKind", "ToolsKind", "kind_of"]

KINDS: dict[str, SourceKind] = {k.name: k for k in (DocumentsKind(), DatabaseKind(), ApiKind(), McpKind())}


def kind_of(source: SourceConfig) -> SourceKind:
    """The descriptor for ``source``'s kind."""
    return KINDS[source.kind]
