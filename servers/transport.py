"""One way to serve any ragbox MCP server: stdio, or streamable HTTP with its guards.

HTTP security, in layers:

- the server binds 127.0.0.1 unless told otherwise, and binding anywhere else
  needs a bearer token (``RAGBOX_AUTH_TOKEN``), compared in constant time;
- Host and Origin headers are checked against an allow-list (DNS rebinding);
- ``/healthz`` answers without a token so that supervisors can probe it.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass, field
from typing import Literal

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HttpSettings", "Transport", "build_http_app", "is_loopback", "serve"]

Transport = Literal["stdio", "http"]
HEALTH_PATH = "/healthz"


@dataclass(frozen=True, kw_only=True)
class HttpSettings:
    """How the HTTP transport listens and whom it lets in."""

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    allowed_hosts: tuple[str, ...] = field(default_factory=tuple)
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not is_loopback(self.host) and not self.token:
            raise ValueError(
                f"Refusing to serve on {self.host} without a token: set RAGBOX_AUTH_TOKEN "
                "to a long random string, or bind 127.0.0.1."
            )

    def host_allow_list(self) -> list[str]:
        """Host header values accepted: loopback names plus the bind address."""
        names = {"127.0.0.1", "localhost", "[::1]", _host_header_name(self.host)}
        return sorted({f"{name}:*" for name in names} | {*names, *self.allowed_hosts})

    def origin_allow_list(self) -> list[str]:
        names = {"127.0.0.1", "localhost", "[::1]", _host_header_name(self.host)}
        defaults = {f"http://{name}:{self.port}" for name in names}
        return sorted(defaults | set(self.allowed_origins))


def _host_header_name(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class BearerAuth:
    """ASGI middleware: every path but ``/healthz`` needs ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == HEALTH_PATH:
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"authorization", b"")
        if not hmac.compare_digest(given, self._expected):
            response = JSONResponse(
                {"error": "unauthorized", "hint": "send 'Authorization: Bearer <RAGBOX_AUTH_TOKEN>'"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def build_http_app(server: MCPServer, settings: HttpSettings) -> ASGIApp:
    """The streamable-HTTP ASGI app for ``server`` at ``/mcp``, with ``/healthz`` and auth."""

    @server.custom_route(HEALTH_PATH, methods=["GET"])
    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=settings.host_allow_list(),
        allowed_origins=settings.origin_allow_list(),
    )
    app: Starlette = server.streamable_http_app(transport_security=security, host=settings.host)
    return BearerAuth(app, settings.token) if settings.token else app


def serve(server: MCPServer, transport: Transport = "stdio", http: HttpSettings | None = None) -> None:
    """Run ``server`` until it is stopped, over stdio or streamable HTTP."""
    if transport == "stdio":
        server.run("stdio")
        return
    http = http or HttpSettings()
    app = build_http_app(server, http)
    uvicorn.run(app, host=http.host, port=http.port, log_level="warning")
