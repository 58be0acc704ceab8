"""One way to serve any ragbox MCP server: stdio, or streamable HTTP with its guards.

HTTP security, in layers:

- the server binds 127.0.0.1 unless told otherwise, and binding anywhere else
  needs a token: the shared ``RAGBOX_AUTH_TOKEN`` or a clients file;
- every request but ``/healthz`` (which supervisors probe) names its client with
  ``Authorization: Bearer <token>``: a named client's token from the clients file
  (``servers.clients``: it may use only its sources) or ``RAGBOX_AUTH_TOKEN``
  (client ``default``, every source), both compared in constant time. With
  neither configured, on loopback, no token is asked (client ``anonymous``);
- the authenticated client rides in the ASGI scope to ``servers.gate``, which
  filters what it lists, refuses what it may not call and audits every call;
- with ``[server.oauth]``, a JWT access token from the configured issuer names the
  client too (``servers.oauth``: client ``oauth:<sub>``, every source, its claims
  scoping rows); the protected-resource metadata (RFC 9728) is served without a
  token, and each 401 says where it is in ``WWW-Authenticate``;
- Host and Origin headers are checked against an allow-list (DNS rebinding).

Stdio is the local user who launched the server: client ``local``, every source.

The transport is stateless: no session lives in the server between requests, so
any number of instances can serve one client behind a load balancer.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from connectors.config import OAuthConfig
from servers.clients import ANONYMOUS, CALLER_SCOPE_KEY, SHARED_TOKEN, Caller, ClientRegistry
from servers.gate import install_gate
from servers.oauth import OAuthRefusal, TokenVerifier, looks_like_jwt

log = logging.getLogger(__name__)

__all__ = ["HEALTH_PATH", "UNAUTHORIZED_HINT", "ClientAuth", "HttpSettings", "Transport", "build_http_app", "is_loopback", "serve"]

Transport = Literal["stdio", "http"]
HEALTH_PATH = "/healthz"
UNAUTHORIZED_HINT = ("send 'Authorization: Bearer <token>': a client token from "
                     "`python -m servers clients add`, or RAGBOX_AUTH_TOKEN")


@dataclass(frozen=True, kw_only=True)
class HttpSettings:
    """How the HTTP transport listens and whom it lets in."""

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    clients: ClientRegistry | None = field(default=None, compare=False)
    """Named client tokens (``[server] clients``); None: only ``token``, as before."""
    allowed_hosts: tuple[str, ...] = field(default_factory=tuple)
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    oauth: OAuthConfig | None = None
    """Accept the JWT access tokens of an OAuth issuer (``[server.oauth]``)."""

    def __post_init__(self) -> None:
        if not is_loopback(self.host) and not self.token and self.clients is None and self.oauth is None:
            raise ValueError(
                f"Refusing to serve on {self.host} without a token: set RAGBOX_AUTH_TOKEN "
                "to a long random string, name a clients file ([server] clients), configure "
                "[server.oauth], or bind 127.0.0.1."
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


class ClientAuth:
    """ASGI middleware: names the client of every request but ``open_paths`` (``/healthz``), or answers 401.

    The client goes into the scope under ``CALLER_SCOPE_KEY`` for ``servers.gate``.
    """

    def __init__(self, app: ASGIApp, *, token: str | None, clients: ClientRegistry | None,
                 open_paths: tuple[str, ...] = (HEALTH_PATH,), refusal: dict[str, Any] | None = None,
                 oauth: TokenVerifier | None = None) -> None:
        self.app = app
        self._oauth = oauth
        # a path, or a prefix when it ends with "/"
        self._open = open_paths + ((*oauth.metadata_paths, *(p + "/" for p in oauth.metadata_paths)) if oauth else ())
        self._refusal = refusal or {"error": "unauthorized", "hint": UNAUTHORIZED_HINT}
        self._shared = f"Bearer {token}".encode() if token else None
        self._clients = clients

    def _caller(self, header: bytes) -> Caller | None:
        if self._shared is None and self._clients is None and self._oauth is None:
            return ANONYMOUS
        if self._shared is not None and hmac.compare_digest(header, self._shared):
            return SHARED_TOKEN
        scheme, _, token = header.partition(b" ")
        if self._clients is None or scheme.lower() != b"bearer" or not token:
            return None
        return self._clients.authenticate(token.decode("latin-1").strip())

    async def _oauth_caller(self, header: bytes) -> Caller | OAuthRefusal | None:
        """The caller a JWT names, why it was refused, or None when the header holds no JWT."""
        scheme, _, raw = header.partition(b" ")
        token = raw.decode("latin-1").strip()
        if self._oauth is None or scheme.lower() != b"bearer" or not looks_like_jwt(token):
            return None
        try:
            # A JWKS URL may need fetching: off the event loop.
            return await anyio.to_thread.run_sync(self._oauth.verify, token)
        except OAuthRefusal as exc:
            log.info("OAuth token refused: %s", exc)
            return exc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or any(path == p or (p.endswith("/") and p != "/" and path.startswith(p))
                                          for p in self._open):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"")
        caller: Caller | OAuthRefusal | None = self._caller(header)
        if caller is None:
            caller = await self._oauth_caller(header)
        if not isinstance(caller, Caller):
            await self._refuse(caller, bool(header))(scope, receive, send)
            return
        scope[CALLER_SCOPE_KEY] = caller
        await self.app(scope, receive, send)

    def _refuse(self, refusal: OAuthRefusal | None, presented: bool) -> JSONResponse:
        if self._oauth is None:
            return JSONResponse(self._refusal, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        if refusal is None and presented:
            refusal = OAuthRefusal("invalid_token", "the token is not known here")
        if refusal is None:  # no credentials at all: RFC 6750 §3.1 names no error
            body = {**self._refusal, "resource_metadata": self._oauth.metadata_url}
            return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": self._oauth.challenge()})
        body = {"error": refusal.error, "error_description": refusal.description,
                "resource_metadata": self._oauth.metadata_url}
        challenge = self._oauth.challenge(refusal.error, refusal.description)
        return JSONResponse(body, status_code=refusal.status, headers={"WWW-Authenticate": challenge})


class StripHeaderWhitespace:
    """ASGI middleware: header values without the spaces and tabs around them (RFC 9110 §5.5).

    uvicorn's httptools parser keeps trailing whitespace, and the SDK then refuses an
    ``Mcp-Name: x `` header that the spec says means ``x``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "headers": [(k, v.strip(b" \t")) for k, v in scope["headers"]]}
        await self.app(scope, receive, send)


def build_http_app(server: MCPServer, settings: HttpSettings) -> ASGIApp:
    """The streamable-HTTP ASGI app for ``server`` at ``/mcp``, with ``/healthz``, auth and the gate."""

    @server.custom_route(HEALTH_PATH, methods=["GET"])
    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    verifier = TokenVerifier(settings.oauth) if settings.oauth else None
    if verifier is not None:
        document = verifier.metadata()

        async def resource_metadata(request: Request) -> JSONResponse:
            return JSONResponse(document, headers={"Cache-Control": "public, max-age=3600",
                                                   "Access-Control-Allow-Origin": "*"})

        for path in verifier.metadata_paths:
            server.custom_route(path, methods=["GET"])(resource_metadata)

    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=settings.host_allow_list(),
        allowed_origins=settings.origin_allow_list(),
    )
    app: Starlette = server.streamable_http_app(
        stateless_http=True, transport_security=security, host=settings.host
    )
    install_gate(server)  # no-op when run_server already installed it with the audit log
    return ClientAuth(StripHeaderWhitespace(app), token=settings.token, clients=settings.clients, oauth=verifier)


def serve(server: MCPServer, transport: Transport = "stdio", http: HttpSettings | None = None) -> None:
    """Run ``server`` until it is stopped, over stdio or streamable HTTP."""
    if transport == "stdio":
        server.run("stdio")
        return
    http = http or HttpSettings()
    app = build_http_app(server, http)
    # Keep-alive longer than a load balancer's (nginx: 4 s in the README's example), so that the
    # balancer, not this server, closes an idle connection: no request is sent into a closing one.
    uvicorn.run(app, host=http.host, port=http.port, log_level="warning", timeout_keep_alive=75)
