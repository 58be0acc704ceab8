"""Each client sees and calls only its own sources, and every call is audited: one MCP middleware.

:func:`install_gate` adds a :class:`Gate` to a server's middleware (mcp 2.x
``MCPServer.middleware``, which wraps every inbound request on every transport):

- ``tools/list``, ``resources/list`` and ``resources/templates/list`` answers keep
  only what the caller may use. A tool belongs to the source its ``_meta`` names
  (``connectors.names.SOURCE_META``); a resource to its ``_meta`` source, else the
  source in a ``docs://<source>/…`` URI. Anything without a source is for callers
  with every source.
- the server's instructions (``initialize``, ``server/discover``) lose their
  lines about the sources the caller may not use;
- ``tools/call`` and ``resources/read`` are checked again at call time, since a
  client may call what it was never shown: outside its sources, the call is
  refused with a tool error (a resource read with a request error) and audited
  as ``refused``, rule ``scope``. An unknown tool is refused the same way, so a
  scoped client cannot probe for other sources' tools.
- Every call, refused or not, is written to the audit log before its result goes
  back. When the entry cannot be written, the result is withheld and the caller
  gets a tool error instead (fail closed): an unaudited answer never leaves.

Who calls: over HTTP, ``servers.transport`` authenticates the request and puts the
:class:`~servers.clients.Caller` into the ASGI scope; the SDK hands that Starlette
request to middleware as ``ctx.request``, stateless mode included. (A contextvar
set by the HTTP middleware would not reach here: in stateless mode the SDK serves
each request in a task of its own task group, started with that group's context.)
No request means stdio or an in-process client: the local user, every source.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS
from mcp_types.methods import serialize_server_result

from connectors.errors import SqlRefused
from connectors.names import SOURCE_META
from connectors.rest.errors import RestRefused
from servers.audit import AuditEntry, AuditError, AuditLog, Outcome, arguments_json, detail_text, utc_stamp
from servers.clients import CALLER_SCOPE_KEY, LOCAL, Caller

__all__ = ["Gate", "SCOPE_RULE", "current_caller", "install_gate", "note_failure"]

log = logging.getLogger("servers.gate")

SCOPE_RULE = "scope"
"""The rule an audit entry names when a call was outside the client's sources."""
DOCS_SCHEME = "docs"

_INSTRUCTED = frozenset({"initialize", "server/discover"})
"""Methods whose result carries the server's instructions, which list the sources."""
_LISTS: Mapping[str, tuple[str, str]] = {
    "tools/list": ("tools", "name"),
    "resources/list": ("resources", "uri"),
    "resources/templates/list": ("resourceTemplates", "uriTemplate"),
}


@dataclass
class _Call:
    """What the tool itself says about how its call went; filled by :func:`note_failure`."""

    rule: str | None = None


_CURRENT: ContextVar[_Call | None] = ContextVar("ragbox_call", default=None)
_CALLER: ContextVar[Caller] = ContextVar("ragbox_caller", default=LOCAL)


def current_caller() -> Caller:
    """Who made the tool call running now; the local user outside a gated HTTP call."""
    return _CALLER.get()


def note_failure(exc: BaseException) -> None:
    """Tell the gate why the running tool call failed: a guard's refusal is audited with its rule.

    ``servers.base`` calls it for every tool it registers; it does nothing outside a gated call.
    """
    call = _CURRENT.get()
    if call is None:
        return
    cause = exc.__cause__ or exc
    if isinstance(cause, SqlRefused):
        call.rule = cause.rule
    elif isinstance(cause, RestRefused):
        call.rule = "leaves_api"


def _without_sources(instructions: str, hidden: set[str]) -> str:
    """The server's instructions less the lines about ``hidden`` sources (``- <source> (…`` or ``- <source>: …``,
    as ``servers.all`` lists them), so a client does not even learn what the others hold."""
    if not hidden:
        return instructions
    about = re.compile(rf"^\s*- ({'|'.join(map(re.escape, sorted(hidden)))})[\s:(]")
    return "\n".join(line for line in instructions.splitlines() if not about.match(line))


def _source_of(item: object, uri_key: str) -> str | None:
    """The source a listed tool, resource or template belongs to: its ``_meta``, else its ``docs://`` URI."""
    if not isinstance(item, Mapping):
        return None
    meta = item.get("_meta")
    if isinstance(meta, Mapping) and isinstance(meta.get(SOURCE_META), str):
        return meta[SOURCE_META]
    return None if uri_key == "name" else _uri_source(item.get(uri_key))


def _uri_source(uri: object) -> str | None:
    if not isinstance(uri, str):
        return None
    parts = urlsplit(uri)
    return parts.netloc or None if parts.scheme == DOCS_SCHEME else None


def _tool_error(ctx: ServerRequestContext[Any, Any], message: str) -> HandlerResult:
    """A ``tools/call`` error result in this request's wire form (middleware owns its envelope)."""
    wire = CallToolResult(content=[TextContent(type="text", text=message)], is_error=True).model_dump(
        by_alias=True, mode="json", exclude_none=True
    )
    try:
        return serialize_server_result("tools/call", ctx.protocol_version, wire)
    except (KeyError, ValueError):
        return wire


async def _audited(entry: _Pending, call_next: CallNext, ctx: ServerRequestContext[Any, Any]) -> HandlerResult:
    """``call_next(ctx)``; a call that raises (or is cancelled) is still audited, as ``error``."""
    try:
        return await call_next(ctx)
    except BaseException as exc:
        with anyio.CancelScope(shield=True):
            await entry.finish("error", detail=type(exc).__name__)
        raise


def _returned(result: Mapping[str, Any]) -> tuple[int | None, int]:
    """(rows, bytes of text) a tool result carries: ``row_count``, else the length of its first list."""
    content = result.get("content") or result.get("contents") or []
    size = sum(len(str(c.get("text", "")).encode()) for c in content if isinstance(c, Mapping))
    structured = result.get("structuredContent")
    rows = None
    if isinstance(structured, Mapping):
        if isinstance(structured.get("row_count"), int):
            rows = structured["row_count"]
        else:
            rows = next((len(v) for v in structured.values() if isinstance(v, list)), None)
    return rows, size


def _error_text(result: Mapping[str, Any]) -> str:
    content = result.get("content") or []
    return next((str(c.get("text", "")) for c in content if isinstance(c, Mapping) and c.get("text")), "")


class Gate:
    """The middleware: scope filter, scope check and audit for one server (see the module docstring)."""

    def __init__(self, server: MCPServer, *, audit: AuditLog | None = None, secrets: Sequence[str] = (),
                 clock: Callable[[], float] = time.time) -> None:
        self._server = server
        self.audit = audit
        self.secrets = list(secrets)
        self._clock = clock
        self._tool_sources: dict[str, str | None] = {}

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        caller = _caller(ctx)
        if ctx.method == "tools/call":
            return await self._call_tool(ctx, call_next, caller)
        if ctx.method == "resources/read":
            return await self._read_resource(ctx, call_next, caller)
        result = await call_next(ctx)
        if caller.sources is None or not isinstance(result, dict):
            return result
        listed = _LISTS.get(ctx.method)
        if listed:
            key, uri_key = listed
            items = result.get(key) or []
            result = {**result, key: [i for i in items if caller.allows(_source_of(i, uri_key))]}
        elif ctx.method in _INSTRUCTED and isinstance(result.get("instructions"), str):
            hidden = await self._sources() - caller.sources
            result = {**result, "instructions": _without_sources(result["instructions"], hidden)}
        return result

    async def _sources(self) -> set[str]:
        """Every source some tool belongs to."""
        if not self._tool_sources:
            await self._refresh()
        return {s for s in self._tool_sources.values() if s is not None}

    async def _refresh(self) -> None:
        for tool in await self._server.list_tools():
            source = (tool.meta or {}).get(SOURCE_META)
            self._tool_sources[tool.name] = source if isinstance(source, str) else None

    async def _tool_source(self, name: object) -> tuple[bool, str | None]:
        """(is it a tool, its source); the map is refreshed when a name is new."""
        if not isinstance(name, str):
            return False, None
        if name not in self._tool_sources:
            await self._refresh()
        return name in self._tool_sources, self._tool_sources.get(name)

    async def _call_tool(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext,
                         caller: Caller) -> HandlerResult:
        params = ctx.params or {}
        name, arguments = params.get("name"), params.get("arguments")
        known, source = await self._tool_source(name)
        entry = _Pending(self, ctx, caller, source, str(name), arguments if isinstance(arguments, Mapping) else {})
        if caller.sources is not None and not (known and caller.allows(source)):
            # A refusal hands out no data, so it goes back even when its entry cannot be written.
            await entry.finish("refused", rule=SCOPE_RULE, detail=f"outside the client's sources ({source})")
            return _tool_error(ctx, (
                f"Tool {name!r} is not available to client {caller.name!r}, which may use only the sources "
                f"{', '.join(sorted(caller.sources))}. Use a tool from tools/list; to reach more sources, "
                "the server's operator can widen this client's sources (python -m servers clients)."
            ))
        call = _Call()
        token, caller_token = _CURRENT.set(call), _CALLER.set(caller)
        try:
            result = await _audited(entry, call_next, ctx)
        finally:
            _CURRENT.reset(token)
            _CALLER.reset(caller_token)
        wire = result if isinstance(result, Mapping) else {}
        rows, size = _returned(wire)
        if wire.get("isError"):
            outcome: Outcome = "refused" if call.rule else "error"
            written = await entry.finish(outcome, rule=call.rule, detail=_error_text(wire), rows=rows, size=size)
        else:
            written = await entry.finish("ok", rows=rows, size=size)
        return result if written else _tool_error(ctx, _WITHHELD)

    async def _read_resource(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext,
                             caller: Caller) -> HandlerResult:
        uri = (ctx.params or {}).get("uri")
        source = _uri_source(uri)
        entry = _Pending(self, ctx, caller, source, "resources/read", {"uri": uri})
        if not caller.allows(source):
            await entry.finish("refused", rule=SCOPE_RULE, detail=f"outside the client's sources ({source})")
            raise MCPError(code=INVALID_PARAMS, message=f"Resource {uri} is not available to client {caller.name!r}.")
        result = await _audited(entry, call_next, ctx)
        _, size = _returned(result if isinstance(result, Mapping) else {})
        if not await entry.finish("ok", size=size):
            raise MCPError(code=INTERNAL_ERROR, message=_WITHHELD)
        return result


_WITHHELD = (
    "The call could not be recorded in the server's audit log, so its result is withheld. "
    "Tell the server's operator: the audit log needs attention (the server's log says why)."
)


class _Pending:
    """One call's audit entry, timed from its creation."""

    def __init__(self, gate: Gate, ctx: ServerRequestContext[Any, Any], caller: Caller, source: str | None,
                 tool: str, arguments: Mapping[str, Any]) -> None:
        self._gate = gate
        self._started = time.perf_counter()
        self._fields = {
            "ts": utc_stamp(gate._clock()), "client": caller.name,
            "transport": "stdio" if ctx.request is None else "http", "source": source, "tool": tool,
            "arguments": arguments_json(arguments, gate.secrets),
        }

    async def finish(self, outcome: Outcome, *, rule: str | None = None, detail: str | None = None,
                     rows: int | None = None, size: int | None = None) -> bool:
        """Write the entry (committed when this returns); False when it could not be written."""
        audit = self._gate.audit
        if audit is None:
            return True
        entry = AuditEntry(
            **self._fields, outcome=outcome, rule=rule,
            detail=detail_text(detail, self._gate.secrets) if detail else None, rows=rows, bytes=size,
            duration_ms=round((time.perf_counter() - self._started) * 1000, 3),
        )
        try:
            await anyio.to_thread.run_sync(audit.write, entry)  # the fsync must not stall other requests
        except AuditError as exc:
            log.error("%s; the call's result was withheld from client %r.", exc, entry.client)
            return False
        return True


def _caller(ctx: ServerRequestContext[Any, Any]) -> Caller:
    if ctx.request is None:
        return LOCAL
    scope = getattr(ctx.request, "scope", None) or {}
    caller = scope.get(CALLER_SCOPE_KEY)
    if not isinstance(caller, Caller):
        # An HTTP request that did not pass servers.transport's authentication: never guess who it is.
        raise MCPError(code=INVALID_PARAMS, message="The request carries no authenticated client; serve through "
                                                    "servers.transport.build_http_app.")
    return caller


def install_gate(server: MCPServer, *, audit: AuditLog | None = None, secrets: Sequence[str] = ()) -> Gate:
    """Add the gate to ``server`` (once; a second call updates its audit log and secrets) and return it."""
    for middleware in server.middleware:
        if isinstance(middleware, Gate):
            middleware.audit = audit or middleware.audit
            middleware.secrets = list(secrets) or middleware.secrets
            return middleware
    gate = Gate(server, audit=audit, secrets=secrets)
    server.middleware.append(gate)
    return gate
