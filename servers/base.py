"""What every ragbox MCP server shares: how it is created, how a source's tool is named,
and who closes the engines, clients and indexes its tools use.

Resources are opened when the server is built, so that a broken config fails
before any transport starts, with a one-line error. The server then owns them:
its lifespan (the SDK's hook around every run of the server) closes them when
the last session ends, whether stdio reached EOF, HTTP shut down or an
in-memory client disconnected.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import ExitStack, asynccontextmanager
from typing import Any, Protocol

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

from connectors.names import SOURCE_META, TOOL_META, qualify

__all__ = ["READ_ONLY", "Closeable", "add_source_tool", "new_server", "source_meta"]

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
"""Annotations for every tool that only reads."""


class Closeable(Protocol):
    def close(self) -> None: ...


def new_server(name: str, instructions: str, *, owns: Sequence[Closeable] = ()) -> MCPServer:
    """An empty MCP server that closes ``owns`` when its last session ends.

    Tool failures are the caller's news, so logs stay at WARNING.
    """
    return MCPServer(name, instructions=instructions, log_level="WARNING", lifespan=_closing(owns))


def _closing(owned: Sequence[Closeable]) -> Callable[[MCPServer], Any]:
    active = 0

    @asynccontextmanager
    async def lifespan(server: MCPServer) -> AsyncIterator[dict[str, Any]]:
        nonlocal active
        active += 1
        try:
            yield {}
        finally:
            active -= 1
            if active == 0:
                with ExitStack() as stack:  # close every one, even when an earlier close fails
                    for resource in owned:
                        stack.callback(resource.close)

    return lifespan


def source_meta(source: str, tool: str) -> dict[str, str]:
    """The ``_meta`` that tells a client which source a tool reads, and its unqualified name."""
    return {SOURCE_META: source, TOOL_META: tool}


def add_source_tool(server: MCPServer, fn: Callable[..., Any], *, tool: str, source: str | None,
                    **kwargs: Any) -> None:
    """Add ``fn`` as ``tool``; with ``source``, named ``<source>_<tool>`` and labelled in ``_meta``."""
    if source is None:
        server.add_tool(fn, name=tool, **kwargs)
    else:
        server.add_tool(fn, name=qualify(source, tool), meta=source_meta(source, tool), **kwargs)
