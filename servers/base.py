"""What every ragbox MCP server shares: how it is created, how a source's tool is named,
and who closes the engines, clients and indexes its tools use.

Resources are opened when the server is built, so that a broken config fails
before any transport starts, with a one-line error. The server then owns them:
its lifespan (the SDK's hook around every run of the server) closes them when
the last session ends, whether stdio reached EOF, HTTP shut down or an
in-memory client disconnected.
"""

from __future__ import annotations

import functools
import inspect
from importlib.metadata import PackageNotFoundError, version
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import ExitStack, asynccontextmanager
from typing import Any, Protocol

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from connectors.names import SOURCE_META, TOOL_META, qualify
from servers.gate import note_failure

__all__ = ["READ_ONLY", "Closeable", "add_source_tool", "add_tool", "new_server", "source_meta"]

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
"""Annotations for every tool that only reads."""


class Closeable(Protocol):
    def close(self) -> None: ...


def new_server(name: str, instructions: str, *, owns: Sequence[Closeable] = ()) -> MCPServer:
    """An empty MCP server that closes ``owns`` when its last session ends.

    Tool failures are the caller's news, so logs stay at WARNING. The server names
    ragbox's version, as the 2026-07-28 revision asks of ``serverInfo``.
    """
    return MCPServer(name, version=_version(), instructions=instructions, log_level="WARNING",
                     lifespan=_closing(owns))


def _version() -> str:
    try:
        return version("ragbox")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


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


def add_tool(server: MCPServer, fn: Callable[..., Any], **kwargs: Any) -> None:
    """``server.add_tool(fn, **kwargs)``, with ``fn``'s refusals reported to the audit log (the guard's rule)."""
    server.add_tool(_reporting(fn), **kwargs)


def add_source_tool(server: MCPServer, fn: Callable[..., Any], *, tool: str, source: str | None,
                    **kwargs: Any) -> None:
    """Add ``fn`` as ``tool``; with ``source``, named ``<source>_<tool>`` and labelled in ``_meta``."""
    if source is None:
        add_tool(server, fn, name=tool, **kwargs)
    else:
        add_tool(server, fn, name=qualify(source, tool), meta=source_meta(source, tool), **kwargs)


def _reporting(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` unchanged for the SDK (``functools.wraps`` keeps its signature), telling
    :func:`servers.gate.note_failure` why a call failed before the SDK turns the error into text."""
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except ToolError as exc:
                note_failure(exc)
                raise

        return run_async

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ToolError as exc:
            note_failure(exc)
            raise

    return run
