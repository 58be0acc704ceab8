"""The agent's MCP connections: open once per command, tools cached, called synchronously.

The agent's logic is plain synchronous code; the MCP client is async. One
background event loop (an anyio blocking portal) holds every session open for
the whole command, and :meth:`McpHub.call` runs a tool call on it.

Each tool knows the source it belongs to. A spec with a ``source`` (a server that
serves one source: ``servers sql --db …``, or a foreign MCP server) owns every
tool its server lists, whatever the server claims. A spec without one
(``python -m servers all``) is trusted to say in each tool's ``_meta`` which
source the tool reads. The name offered to the LLM is qualified by the source
(:func:`connectors.names.qualify`); nothing is ever found by its prefix.

A source can be down while the rest work. ``servers all`` lists a source it could
not open as one ``<source>_unavailable`` tool whose ``_meta`` says why; a server
of one source that cannot be started leaves just that source down. Both end up in
:attr:`McpHub.down`, source → why, and none of their tools are offered.

A stdio server's stderr goes to a file of its own, not to the terminal: when the
server fails, its last error line is in the one message the agent shows.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from agent.errors import ServerUnavailable, SourceError
from connectors.names import SOURCE_META, TOOL_META, UNAVAILABLE_META, qualify

__all__ = [
    "McpHub",
    "RemoteTool",
    "ServerSpec",
    "ToolResult",
    "all_sources_spec",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, kw_only=True)
class ServerSpec:
    """How to reach one MCP server; ``source``, when set, owns every tool it lists."""

    target: Any  # StdioServerParameters | URL str | an in-process MCPServer (tests)
    label: str
    source: str | None = None
    token: str | None = None

    @classmethod
    def command(
        cls, argv: Sequence[str], *, source: str | None = None, env: Mapping[str, str] | None = None,
        label: str | None = None,
    ) -> ServerSpec:
        """A server started as a subprocess, speaking stdio."""
        merged = dict(env if env is not None else os.environ)
        merged["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), merged.get("PYTHONPATH")) if p)
        params = StdioServerParameters(command=argv[0], args=list(argv[1:]), env=merged)
        return cls(target=params, source=source, label=label or " ".join(argv))

    @classmethod
    def url(cls, url: str, *, source: str | None = None, token: str | None = None) -> ServerSpec:
        """A server reached over streamable HTTP, with an optional bearer token."""
        return cls(target=url, source=source, token=token, label=url)


def all_sources_spec(config_path: Path, env: Mapping[str, str] | None = None) -> ServerSpec:
    """``python -m servers all --config F``: every configured source in one server."""
    return ServerSpec.command(
        [sys.executable, "-m", "servers", "all", "--config", str(config_path)], env=env,
        label="python -m servers all",
    )


@dataclass(frozen=True, kw_only=True)
class RemoteTool:
    """A tool as one server lists it, and the source it belongs to.

    ``name`` is unique across the servers and is what the LLM sees; ``remote_name``
    is the server's name for it; ``tool`` is its name within the source
    (``run_query``), which is how the agent's code asks for it.
    """

    name: str
    remote_name: str
    tool: str
    source: str | None
    description: str
    input_schema: dict[str, Any]
    server: str


def _identify(spec: ServerSpec, listed: Any) -> tuple[str | None, str, str]:
    """(source, tool within the source, unique name) for a tool that ``spec``'s server lists."""
    meta = listed.meta or {}
    said_source, said_tool = meta.get(SOURCE_META), meta.get(TOOL_META)
    source = spec.source if spec.source is not None else said_source if isinstance(said_source, str) else None
    if source is None:
        return None, listed.name, listed.name
    if source == said_source:  # the server already named the tool for its source
        return source, said_tool if isinstance(said_tool, str) else listed.name, listed.name
    return source, listed.name, qualify(source, listed.name)


@dataclass(frozen=True, kw_only=True)
class ToolResult:
    """A tool's answer: its text, its structured content when any, and whether it failed."""

    text: str
    structured: dict[str, Any] | None
    is_error: bool


@dataclass
class McpHub:
    """Sessions to several MCP servers, opened together; use as a context manager."""

    specs: Sequence[ServerSpec]
    timeout_s: float = 60.0
    tools: dict[str, RemoteTool] = field(default_factory=dict)
    down: dict[str, str] = field(default_factory=dict)
    """Sources that cannot be used now, with why (their server says, or could not be started)."""
    _clients: dict[str, Client] = field(default_factory=dict)
    _stderr: dict[str, Any] = field(default_factory=dict)
    _stack: ExitStack | None = None
    _portal: BlockingPortal | None = None

    def __enter__(self) -> McpHub:
        self._stack = ExitStack()
        try:
            self._portal = self._stack.enter_context(start_blocking_portal())
            for spec in self.specs:
                self._open(spec)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stack is not None:
            try:
                self._stack.close()
            except Exception:  # a server that already died cannot be closed cleanly; nothing to do
                pass
        self._stack = None

    def _open(self, spec: ServerSpec) -> None:
        assert self._stack is not None and self._portal is not None
        try:
            client, listed = self._connect(spec)
        except ServerUnavailable as exc:
            if spec.source is None:  # it serves every source: nothing can be answered
                raise
            self.down[spec.source] = str(exc)
            return
        for tool in listed:
            source, within, name = _identify(spec, tool)
            reason = (tool.meta or {}).get(UNAVAILABLE_META)
            if source is not None and isinstance(reason, str):
                self.down[source] = reason
                continue
            if name in self.tools:
                raise SourceError(
                    f"Two MCP servers offer a tool named '{name}' ({self.tools[name].server} and {spec.label}); "
                    "rename one of the sources in the config."
                )
            self.tools[name] = RemoteTool(
                name=name, remote_name=tool.name, tool=within, source=source, description=tool.description or "",
                input_schema=dict(tool.input_schema or {"type": "object"}), server=spec.label,
            )
            self._clients[name] = client

    def _connect(self, spec: ServerSpec) -> tuple[Client, list[Any]]:
        """A session to ``spec``'s server and the tools it lists, or :class:`ServerUnavailable`."""
        assert self._stack is not None and self._portal is not None
        # "auto" discovers the newest protocol; servers built on older SDKs can die on that
        # probe (chroma-mcp on mcp 1.6 does), so a failure gets one more try with the
        # initialize handshake that every server knows.
        for mode in ("auto", "legacy"):
            client = Client(self._transport(spec), read_timeout_seconds=self.timeout_s, mode=mode)
            try:
                self._stack.enter_context(self._portal.wrap_async_context_manager(client))
                return client, self._portal.call(self._list_tools, client)
            except Exception as exc:
                if mode == "legacy" or not isinstance(spec.target, StdioServerParameters):
                    said = self._last_error_line(spec.label)
                    raise ServerUnavailable(
                        f"Could not start or reach the MCP server {spec.label}: {said or _reason(exc)}"
                        + ("" if said else ". Run it by hand to see its error, or check the config.")
                    ) from exc
        raise AssertionError("unreachable")

    def _transport(self, spec: ServerSpec) -> Any:
        target = spec.target
        if isinstance(target, StdioServerParameters):
            if spec.label not in self._stderr:
                assert self._stack is not None
                self._stderr[spec.label] = self._stack.enter_context(
                    tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
                )
            return stdio_client(target, errlog=self._stderr[spec.label])
        if isinstance(target, str) and spec.token:
            http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {spec.token}"}, timeout=self.timeout_s)
            return streamable_http_client(target, http_client=http)
        return target

    def _last_error_line(self, label: str) -> str:
        """The last line a stdio server wrote to stderr, without click's "Error: " prefix."""
        log = self._stderr.get(label)
        if log is None:
            return ""
        log.flush()
        log.seek(0)
        lines = [line.strip() for line in log.read().splitlines() if line.strip()]
        log.seek(0, os.SEEK_END)
        return lines[-1].removeprefix("Error: ") if lines else ""

    async def _list_tools(self, client: Client) -> list[Any]:
        tools: list[Any] = []
        cursor = None
        with anyio.fail_after(self.timeout_s):
            for _ in range(100):
                page = await client.list_tools(cursor=cursor)
                tools.extend(page.tools)
                cursor = page.next_cursor
                if cursor is None:
                    break
        return tools

    def tools_of(self, source: str) -> list[RemoteTool]:
        """The tools that belong to ``source``, in the order their servers listed them."""
        return [t for t in self.tools.values() if t.source == source]

    def find(self, source: str, tool: str) -> RemoteTool | None:
        """``source``'s tool named ``tool`` within it (``run_query``), if its server has one."""
        return next((t for t in self.tools_of(source) if t.tool == tool), None)

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Call the tool with qualified ``name``; a dead server raises :class:`ServerUnavailable`."""
        try:
            tool, client = self.tools[name], self._clients[name]
        except KeyError:
            raise SourceError(f"No MCP tool named '{name}'; known tools: {', '.join(sorted(self.tools))}.") from None
        assert self._portal is not None
        try:
            result = self._portal.call(self._call, client, tool.remote_name, arguments)
        except Exception as exc:
            said = self._last_error_line(tool.server)
            raise ServerUnavailable(
                f"The MCP server {tool.server} failed on {tool.remote_name}: {_reason(exc)}. "
                + (f"Its last error: {said}" if said else "It may have stopped; run it by hand to see its error.")
            ) from exc
        text = "\n".join(getattr(c, "text", "") for c in result.content if getattr(c, "type", "") == "text")
        return ToolResult(text=text, structured=result.structured_content, is_error=bool(result.is_error))

    async def _call(self, client: Client, name: str, arguments: dict[str, Any]) -> Any:
        with anyio.fail_after(self.timeout_s):
            return await client.call_tool(name, arguments)


def _reason(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
