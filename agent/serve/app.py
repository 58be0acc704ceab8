"""``agent serve``: one long-lived agent behind the OpenAI chat API and a chat page.

The process keeps its MCP sessions, embedder and LLM client open, so a question pays
no start-up cost. Routes:

- ``GET /v1/models``: ``ragbox``, and ``ragbox:<source>`` for each source the caller
  may use (that name forces the route);
- ``POST /v1/chat/completions``: the answer, streamed as server-sent events or whole;
- ``GET /documents/<source>/<path>``: a cited document's text, for the page's links;
- ``GET /``: the chat page (``static/``); ``GET /healthz``; ``GET /metrics``.

Security, in layers, as for the MCP servers (``servers.transport``): loopback only
without a token; bearer tokens (``RAGBOX_AUTH_TOKEN`` or the clients file) with each
client's source scopes applied to routing, forced routes and document links; Host and
Origin checks against DNS rebinding; a cap on the body and the question; and at most
``max_running`` questions answered at once with ``max_waiting`` queued, beyond which a
request gets 429 at once. The page and ``/healthz`` need no token: the page holds no
data and asks for the token itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from agent.agent import Agent
from agent.answer import Answer
from agent.serve.chat import (MODEL, Completion, RequestError, answer_body, chunk, error_body, history_of,
                              parse_request, ragbox_field, route_of, sources_text, usage)
from agent.serve.metrics import CONTENT_TYPE, Metrics
from connectors.errors import RagboxError
from servers.clients import ANONYMOUS, CALLER_SCOPE_KEY, Caller
from servers.transport import HEALTH_PATH, UNAUTHORIZED_HINT, ClientAuth, HttpSettings

__all__ = ["ServeSettings", "create_app"]

log = logging.getLogger("agent.serve")
STATIC = Path(__file__).parent / "static"
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True, kw_only=True)
class ServeSettings:
    """Where ``agent serve`` listens, whom it lets in, and how much it takes."""

    http: HttpSettings = field(default_factory=lambda: HttpSettings(port=8090))
    max_body_bytes: int = 256_000
    max_question_chars: int = 4_000
    max_messages: int = 100
    max_running: int = 4
    """Questions answered at once; the LLM is the bottleneck, so more only queue there."""
    max_waiting: int = 32
    """Questions admitted to wait for a free slot; one more gets 429."""


class _ClientGone(Exception):
    """Raised into the agent's token sink once the client has disconnected: stop generating."""


def _error(exc: RequestError) -> JSONResponse:
    headers = {"x-should-retry": "true" if exc.status == 429 else "false"}
    if exc.status == 429:
        headers["Retry-After"] = "1"
    return JSONResponse(error_body(str(exc), type=exc.type, code=exc.code, param=exc.param),
                        status_code=exc.status, headers=headers)


class _Guard:
    """ASGI middleware: Host and Origin must be on the allow-list (DNS rebinding), else 421/403."""

    def __init__(self, app: ASGIApp, http: HttpSettings) -> None:
        self.app = app
        self._check = TransportSecurityMiddleware(TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=http.host_allow_list(),
            allowed_origins=http.origin_allow_list(),
        ))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = await self._check.validate_request(Request(scope), is_post=False)
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _Service:
    """The handlers, around one entered :class:`Agent`."""

    def __init__(self, agent: Agent, settings: ServeSettings) -> None:
        self.agent = agent
        self.settings = settings
        self.metrics = Metrics()
        self._slots = anyio.CapacityLimiter(settings.max_running)
        self._admitted = 0
        self._tasks: set[asyncio.Task[None]] = set()

    # --- who may use what -------------------------------------------------------------------

    def _sources(self, request: Request) -> list[str]:
        caller: Caller = request.scope.get(CALLER_SCOPE_KEY, ANONYMOUS)
        return [s.name for s in self.agent.sources if caller.allows(s.name)]

    # --- routes -----------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=_PAGE_HEADERS)

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def metrics_text(self, request: Request) -> Response:
        return Response(self.metrics.render(), media_type=CONTENT_TYPE)

    async def models(self, request: Request) -> Response:
        created = int(time.time())
        names = [MODEL, *(f"{MODEL}:{s}" for s in self._sources(request))]
        return JSONResponse({"object": "list", "data": [
            {"id": name, "object": "model", "created": created, "owned_by": "ragbox"} for name in names]})

    async def document(self, request: Request) -> Response:
        source, path = request.path_params["source"], request.path_params["path"]
        if source not in self._sources(request) or self.agent.catalog.source(source).kind != "documents":
            return PlainTextResponse(f"No documents source '{source}' for this client.", status_code=404)
        try:
            result = await anyio.to_thread.run_sync(
                lambda: self.agent.catalog.call(source, "get_document", {"path": path, "length": 20_000}),
                limiter=self._slots,
            )
        except RagboxError as exc:
            return PlainTextResponse(str(exc), status_code=502)
        status = 404 if result.is_error else 200
        return PlainTextResponse(result.text, status_code=status,
                                 headers={"X-Content-Type-Options": "nosniff",
                                          "Content-Security-Policy": "default-src 'none'"})

    async def completions(self, request: Request) -> Response:
        try:
            body = await self._read_json(request)
            chat = parse_request(body, max_chars=self.settings.max_question_chars,
                                 max_messages=self.settings.max_messages)
            sources = self._sources(request)
            route = route_of(chat.model, sources)
            self._admit()
        except RequestError as exc:
            self.metrics.errors.labels(type=exc.code or exc.type).inc()
            return _error(exc)
        completion = Completion.new(chat.model)
        question = chat.messages[-1].text().strip()
        history = history_of(chat)

        def ask(on_token: Callable[[str], None] | None) -> Answer:
            return self.agent.ask(question, route=route, history=history, allowed=sources, on_token=on_token)

        if chat.stream:
            return StreamingResponse(self._stream(completion, *self._start(ask)), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        started = time.perf_counter()
        try:
            answer = await anyio.to_thread.run_sync(lambda: ask(None), limiter=self._slots)
        except RagboxError as exc:
            self.metrics.errors.labels(type="agent").inc()
            return _error(RequestError(503, str(exc), type="server_error", code="agent_error"))
        except Exception:
            log.exception("The agent failed on a question")
            self.metrics.errors.labels(type="internal").inc()
            return _error(RequestError(500, "The agent failed; the server log has the details.",
                                       type="server_error", code="internal_error"))
        finally:
            self._release()
        self.metrics.answered(answer, time.perf_counter() - started)
        return JSONResponse(answer_body(completion, answer))

    # --- helpers ----------------------------------------------------------------------------

    def _admit(self) -> None:
        """Count the question in, or refuse it now when the slots and the queue are full."""
        if self._admitted >= self.settings.max_running + self.settings.max_waiting:
            raise RequestError(429, f"The server is answering {self._admitted} questions; try again in a moment.",
                               type="rate_limit_error", code="too_many_questions")
        self._admitted += 1
        self.metrics.in_flight.set(self._admitted)

    def _release(self) -> None:
        """The question is answered (or failed): free its place."""
        self._admitted -= 1
        self.metrics.in_flight.set(self._admitted)

    async def _read_json(self, request: Request) -> Any:
        cap = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            raise RequestError(413, f"The request is {int(declared):,} bytes; the limit is {cap:,}.",
                               code="request_too_large")
        data = bytearray()
        async for piece in request.stream():
            data += piece
            if len(data) > cap:
                raise RequestError(413, f"The request is over the limit of {cap:,} bytes.", code="request_too_large")
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RequestError(400, f"The body is not valid JSON: {exc}.", code="invalid_json") from None

    def _start(self, ask: Callable[[Callable[[str], None] | None], Answer]
               ) -> tuple[asyncio.Queue[tuple[str, Any]], threading.Event, asyncio.Task[None]]:
        """Start answering in a thread: its tokens, then the answer or the error, arrive in the queue.

        The task runs to its end even when the client goes (a thread cannot be killed): the
        event tells the token sink to stop the LLM, and the slot is freed when it returns.
        """
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        gone = threading.Event()

        def on_token(piece: str) -> None:
            if gone.is_set():
                raise _ClientGone
            loop.call_soon_threadsafe(events.put_nowait, ("token", piece))

        async def work() -> None:
            started = time.perf_counter()
            try:
                answer = await anyio.to_thread.run_sync(lambda: ask(on_token), limiter=self._slots)
                self.metrics.answered(answer, time.perf_counter() - started)
                events.put_nowait(("answer", answer))
            except Exception as exc:
                events.put_nowait(("error", exc))
            finally:
                self._release()

        task = asyncio.create_task(work())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return events, gone, task

    async def _stream(self, completion: Completion, events: asyncio.Queue[tuple[str, Any]],
                      gone: threading.Event, task: asyncio.Task[None]) -> AsyncIterator[str]:
        """The answer as SSE chunks: a role chunk, the tokens, the Sources list, then the extras."""
        try:
            yield _sse(chunk(completion, {"role": "assistant", "content": ""}))
            while True:
                kind, value = await events.get()
                if kind == "token":
                    yield _sse(chunk(completion, {"content": value}))
                    continue
                if kind == "answer":
                    if sources := sources_text(value):
                        yield _sse(chunk(completion, {"content": sources}))
                    yield _sse(chunk(completion, {}, finish="stop", usage=usage(value), ragbox=ragbox_field(value)))
                elif not gone.is_set():
                    yield _sse(self._stream_error(value))
                yield "data: [DONE]\n\n"
                return
        finally:
            if not task.done():
                gone.set()
                self.metrics.errors.labels(type="client_gone").inc()

    def _stream_error(self, exc: Exception) -> dict[str, Any]:
        if isinstance(exc, RagboxError):
            self.metrics.errors.labels(type="agent").inc()
            return error_body(str(exc), type="server_error", code="agent_error")
        log.error("The agent failed on a question", exc_info=exc)
        self.metrics.errors.labels(type="internal").inc()
        return error_body("The agent failed; the server log has the details.", type="server_error",
                          code="internal_error")


_STATIC_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


def _with_headers(app: ASGIApp, headers: dict[str, str]) -> ASGIApp:
    """``app`` with ``headers`` added to each response (the page's scripts: no sniffing, no stale copy)."""
    extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped


def _sse(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def create_app(agent: Agent, settings: ServeSettings) -> ASGIApp:
    """The ASGI app for an entered ``agent``, with its guards."""
    service = _Service(agent, settings)
    app = Starlette(routes=[
        Route("/", service.page, methods=["GET"]),
        Route(HEALTH_PATH, service.healthz, methods=["GET"]),
        Route("/metrics", service.metrics_text, methods=["GET"]),
        Route("/v1/models", service.models, methods=["GET"]),
        Route("/v1/chat/completions", service.completions, methods=["POST"]),
        Route("/documents/{source}/{path:path}", service.document, methods=["GET"]),
        Mount("/static", app=_with_headers(StaticFiles(directory=STATIC), _STATIC_HEADERS), name="static"),
    ])
    app.state.service = service
    http = settings.http
    refusal = error_body(f"Unauthorized: {UNAUTHORIZED_HINT}.", type="invalid_request_error", code="invalid_api_key")
    authed = ClientAuth(app, token=http.token, clients=http.clients, open_paths=(HEALTH_PATH, "/", "/static/"),
                        refusal=refusal)
    return _Guard(authed, http)
