"""A counting proxy in front of an OpenAI-compatible endpoint: every LLM call, and its tokens.

Both sides of a peer benchmark send their LLM calls through the same proxy, so calls
and prompt tokens are counted the same way for both: from the ``usage`` the upstream
server reports (streamed replies included), falling back to characters / 4.

    with CountingProxy("http://127.0.0.1:8088") as proxy:   # proxy.url + "/v1" is the endpoint
        proxy.reset("ragbox"); ...; proxy.totals("ragbox")

``benchmarks/counting_proxy.py`` runs one from the command line.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from testkit.servers import BackgroundServer, free_port

__all__ = ["CountedCall", "CountingProxy"]


@dataclass(frozen=True, kw_only=True)
class CountedCall:
    """One chat completion that went through the proxy."""

    label: str
    prompt_tokens: int
    output_tokens: int
    prompt_chars: int
    ms: float
    reported: bool  # usage came from the upstream server


def _usage_from_sse(body: bytes) -> dict[str, Any] | None:
    usage = None
    for line in body.decode(errors="replace").splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            try:
                chunk = json.loads(line[6:])
            except json.JSONDecodeError:
                continue
            usage = chunk.get("usage") or usage
    return usage


def _json_object_schema(body: bytes) -> bytes:
    try:
        sent = json.loads(body)
    except json.JSONDecodeError:
        return body
    fmt = sent.get("response_format") or {}
    if fmt.get("type") != "json_schema":
        return body
    sent["response_format"] = {"type": "json_object", "schema": (fmt.get("json_schema") or {}).get("schema", {})}
    return json.dumps(sent).encode()


@dataclass
class CountingProxy:
    """Forwards ``/v1/*`` to ``upstream`` and records each chat completion under the current label."""

    upstream: str
    port: int = field(default_factory=free_port)
    calls: list[CountedCall] = field(default_factory=list)
    label: str = "default"
    json_object_schemas: bool = False
    """Rewrite ``response_format`` ``json_schema`` as ``json_object`` with a ``schema``: the form
    llama-cpp-python's server (0.3.x) accepts; llama.cpp's own ``llama-server`` takes both."""
    _server: BackgroundServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self, label: str) -> None:
        """Count the following calls under ``label``."""
        self.label = label

    def totals(self, label: str) -> dict[str, Any]:
        """Calls, tokens, characters and LLM time counted under ``label``."""
        mine = [c for c in self.calls if c.label == label]
        return {"calls": len(mine), "prompt_tokens": sum(c.prompt_tokens for c in mine),
                "output_tokens": sum(c.output_tokens for c in mine),
                "prompt_chars": sum(c.prompt_chars for c in mine),
                "llm_ms": round(sum(c.ms for c in mine), 1), "all_reported": all(c.reported for c in mine)}

    def by_label(self) -> dict[str, dict[str, Any]]:
        """``totals`` for every label, in the order the labels were first used."""
        labels: dict[str, None] = defaultdict(lambda: None)
        for c in self.calls:
            labels[c.label]
        return {label: self.totals(label) for label in labels}

    async def _forward(self, request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        if self.json_object_schemas and path.endswith("/chat/completions"):
            body = _json_object_schema(body)
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "authorization")}
        start = time.perf_counter()
        async with httpx.AsyncClient(base_url=self.upstream.rstrip("/"), timeout=None) as client:
            upstream = await client.request(request.method, path, content=body, headers=headers)
        ms = (time.perf_counter() - start) * 1000
        if path.endswith("/chat/completions") and request.method == "POST":
            self._record(body, upstream, ms)
        kind = upstream.headers.get("content-type", "application/json")
        if kind.startswith("text/event-stream"):
            content = upstream.content
            return StreamingResponse(iter([content]), status_code=upstream.status_code, media_type=kind)
        return Response(upstream.content, status_code=upstream.status_code, media_type=kind)

    def _record(self, body: bytes, upstream: httpx.Response, ms: float) -> None:
        try:
            sent = json.loads(body)
        except json.JSONDecodeError:
            sent = {}
        text = "".join(str(m.get("content") or "") for m in sent.get("messages") or [])
        text += json.dumps(sent.get("tools") or "") if sent.get("tools") else ""
        if upstream.headers.get("content-type", "").startswith("text/event-stream"):
            usage = _usage_from_sse(upstream.content)
        else:
            try:
                usage = upstream.json().get("usage")
            except (json.JSONDecodeError, AttributeError):
                usage = None
        self.calls.append(CountedCall(
            label=self.label, ms=round(ms, 1), prompt_chars=len(text), reported=bool(usage),
            prompt_tokens=int(usage["prompt_tokens"]) if usage else math.ceil(len(text) / 4),
            output_tokens=int(usage.get("completion_tokens") or 0) if usage else 0,
        ))

    def start(self) -> CountingProxy:
        app = Starlette(routes=[Route("/{path:path}", self._forward, methods=["GET", "POST"])])
        self._server = BackgroundServer(app, self.port, "counting proxy")
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> CountingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

