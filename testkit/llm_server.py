"""A small, real HTTP server that speaks enough of Ollama's and OpenAI's APIs for tests.

Ollama cannot be installed here, so this is the one stand-in in the suite. The
agent talks to it through the real ``ollama`` and ``openai`` clients.

    with FakeLLM() as llm:                      # 127.0.0.1 on a free port
        llm.script(Text("Hello [1]"), Json({"source": "sales"}), Calls(("getTicket", {"id": 7})))
        ...                                     # drive the agent at llm.url
        llm.requests[0].prompt                  # every request is recorded
        llm.requests[0].prompt_tokens           # what the server reported

Each request takes the next scripted reply. With an ``instant`` policy (a
callable from :class:`Request` to a reply) the queue is not needed: benchmarks
use that. An empty queue and no policy answer 500 with a message, so a test that
makes one LLM call too many fails loudly. Token counts are ``ceil(chars / 4)``
of what the model would read (messages, tools, schema) and of the reply text.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from testkit.servers import BackgroundServer, free_port

__all__ = [
    "Calls", "FakeLLM", "Json", "Missing", "Policy", "Reply", "Request", "Text", "count_tokens", "embed",
]


def count_tokens(text: str) -> int:
    """The fake's token count: a quarter of the characters, rounded up."""
    return math.ceil(len(text) / 4)


@dataclass(frozen=True)
class Text:
    """A plain text reply (streamed word by word when the client streams)."""

    text: str


@dataclass(frozen=True)
class Json:
    """A reply whose text is ``value`` as JSON (what a model under a schema writes)."""

    value: Any

    @property
    def text(self) -> str:
        return json.dumps(self.value)


@dataclass(frozen=True)
class Calls:
    """Native tool calls: ``(name, arguments)`` pairs; arguments may be a raw string."""

    calls: tuple[tuple[str, Any], ...]
    text: str = ""

    def __init__(self, *calls: tuple[str, Any], text: str = "") -> None:
        object.__setattr__(self, "calls", tuple(calls))
        object.__setattr__(self, "text", text)


@dataclass(frozen=True)
class Missing:
    """Answer 404 as the server does for a model that was never pulled."""


Reply = Text | Json | Calls | Missing


@dataclass
class Request:
    """One request the fake received, normalised across both APIs."""

    api: str  # "ollama" | "openai"
    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    schema: dict[str, Any] | None
    stream: bool
    options: dict[str, Any]
    body: dict[str, Any]
    prompt_tokens: int = 0
    output_tokens: int = 0

    @property
    def prompt(self) -> str:
        """Every message's content, joined: what tests search for prompt contents."""
        return "\n".join(str(m.get("content") or "") for m in self.messages)

    @property
    def question(self) -> str:
        """The question the prompt asks: the text after its last "Question: ", to the end of that line."""
        return self.prompt.rsplit("Question: ", 1)[-1].split("\n", 1)[0].strip()

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.tools]


Policy = Callable[[Request], Reply]


def embed(text: str, dim: int = 64) -> list[float]:
    """The fake's embedding: words hashed into ``dim`` signed buckets, unit length."""
    vector = [0.0] * dim
    for word in text.lower().split():
        digest = hashlib.sha256(word.encode()).digest()
        vector[digest[0] % dim] += 1.0 if digest[1] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def _prompt_tokens(body: dict[str, Any], schema: Any) -> int:
    text = "".join(str(m.get("content") or "") for m in body.get("messages") or [])
    extra = json.dumps(body.get("tools") or []) if body.get("tools") else ""
    return count_tokens(text + extra + (json.dumps(schema) if schema else ""))


def _chunks(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)] if text else []


@dataclass
class FakeLLM:
    """The fake server; use as a context manager, or ``start()``/``stop()``."""

    models: tuple[str, ...] = ("qwen2.5:7b-instruct", "small")
    #: False answers ``json_schema`` response formats as llama-cpp-python's server does.
    openai_json_schema: bool = True
    requests: list[Request] = field(default_factory=list)
    policy: Policy | None = None
    port: int = field(default_factory=free_port)
    _queue: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: BackgroundServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting -------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Queue replies, taken one per request in order."""
        with self._lock:
            self._queue.extend(replies)

    def reset(self, *, policy: Policy | None = None, models: tuple[str, ...] | None = None) -> None:
        """Forget requests and queued replies; set a new policy."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.policy = policy
            if models is not None:
                self.models = models

    @property
    def pending(self) -> int:
        """Scripted replies not taken yet."""
        return len(self._queue)

    def _next(self, request: Request) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            if request.model not in self.models:
                return Missing()
            if self._queue:
                return self._queue.popleft()
        return self.policy(request) if self.policy else None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> FakeLLM:
        app = Starlette(routes=[
            Route("/api/chat", self._ollama_chat, methods=["POST"]),
            Route("/api/embed", self._ollama_embed, methods=["POST"]),
            Route("/api/tags", self._ollama_tags, methods=["GET"]),
            Route("/api/show", self._ollama_show, methods=["POST"]),
            Route("/v1/chat/completions", self._openai_chat, methods=["POST"]),
            Route("/v1/models", self._openai_models, methods=["GET"]),
        ])
        self._server = BackgroundServer(app, self.port, "fake LLM server")
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- Ollama ----------------------------------------------------------------

    async def _ollama_chat(self, http: HttpRequest) -> Response:
        body = await http.json()
        schema = body.get("format") or None
        request = Request(
            api="ollama", model=body.get("model", ""), messages=body.get("messages") or [],
            tools=body.get("tools") or [], schema=schema if isinstance(schema, dict) else None,
            stream=bool(body.get("stream", True)), options=body.get("options") or {}, body=body,
            prompt_tokens=_prompt_tokens(body, schema),
        )
        reply = self._next(request)
        if reply is None:
            return JSONResponse({"error": "fake LLM: no scripted reply left"}, status_code=500)
        if isinstance(reply, Missing):
            return JSONResponse(
                {"error": f'model "{request.model}" not found, try pulling it first'}, status_code=404
            )
        request.output_tokens = count_tokens(reply.text + (json.dumps(reply.calls) if isinstance(reply, Calls) else ""))
        calls = [{"function": {"name": n, "arguments": a}} for n, a in reply.calls] if isinstance(reply, Calls) else None
        base = {"model": request.model, "created_at": "2025-01-01T00:00:00Z"}
        final = {
            **base, "done": True, "done_reason": "stop", "total_duration": 1000,
            "prompt_eval_count": request.prompt_tokens, "eval_count": request.output_tokens,
        }
        if not request.stream:
            message: dict[str, Any] = {"role": "assistant", "content": reply.text}
            if calls:
                message["tool_calls"] = calls
            return JSONResponse({**final, "message": message})

        def lines() -> Iterator[str]:
            for piece in _chunks(reply.text):
                yield json.dumps({**base, "message": {"role": "assistant", "content": piece}, "done": False}) + "\n"
            if calls:
                yield json.dumps({**base, "message": {"role": "assistant", "content": "", "tool_calls": calls},
                                  "done": False}) + "\n"
            yield json.dumps({**final, "message": {"role": "assistant", "content": ""}}) + "\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    async def _ollama_embed(self, http: HttpRequest) -> Response:
        body = await http.json()
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else list(texts or [])
        if body.get("model") not in self.models:
            return JSONResponse({"error": f'model "{body.get("model")}" not found, try pulling it first'},
                                status_code=404)
        return JSONResponse({"model": body["model"], "embeddings": [embed(t) for t in texts]})

    async def _ollama_tags(self, http: HttpRequest) -> Response:
        return JSONResponse({"models": [{"name": m, "model": m, "size": 1} for m in self.models]})

    async def _ollama_show(self, http: HttpRequest) -> Response:
        body = await http.json()
        name = body.get("model") or body.get("name")
        if name not in self.models:
            return JSONResponse({"error": f"model '{name}' not found"}, status_code=404)
        return JSONResponse({"modelfile": "", "parameters": "", "template": "", "details": {"format": "gguf"},
                             "capabilities": ["completion", "tools"]})

    # -- OpenAI ----------------------------------------------------------------

    async def _openai_chat(self, http: HttpRequest) -> Response:
        body = await http.json()
        fmt = body.get("response_format") or {}
        schema = {"json_schema": (fmt.get("json_schema") or {}).get("schema"), "json_object": fmt.get("schema")}.get(
            fmt.get("type", ""))
        options = {k: body[k] for k in ("temperature", "max_tokens", "seed") if k in body}
        request = Request(
            api="openai", model=body.get("model", ""), messages=body.get("messages") or [],
            tools=body.get("tools") or [], schema=schema, stream=bool(body.get("stream")),
            options=options, body=body, prompt_tokens=_prompt_tokens(body, schema),
        )
        if fmt.get("type") == "json_schema" and not self.openai_json_schema:
            with self._lock:
                self.requests.append(request)
            return JSONResponse({"error": {"message": "Input should be 'text' or 'json_object' "
                                           "(response_format.type: 'json_schema')", "type": "internal_server_error"}},
                                status_code=500)
        reply = self._next(request)
        if reply is None:
            return JSONResponse({"error": {"message": "fake LLM: no scripted reply left"}}, status_code=500)
        if isinstance(reply, Missing):
            return JSONResponse({"error": {"message": f"The model `{request.model}` does not exist.",
                                           "type": "invalid_request_error", "code": "model_not_found"}},
                                status_code=404)
        request.output_tokens = count_tokens(reply.text + (json.dumps(reply.calls) if isinstance(reply, Calls) else ""))
        calls = [
            {"id": f"call_{i}", "type": "function",
             "function": {"name": n, "arguments": a if isinstance(a, str) else json.dumps(a)}}
            for i, (n, a) in enumerate(reply.calls)
        ] if isinstance(reply, Calls) else None
        usage = {"prompt_tokens": request.prompt_tokens, "completion_tokens": request.output_tokens,
                 "total_tokens": request.prompt_tokens + request.output_tokens}
        base = {"id": "chatcmpl-fake", "created": 1735689600, "model": request.model}
        finish = "tool_calls" if calls else "stop"
        if not request.stream:
            message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
            if calls:
                message["tool_calls"] = calls
            return JSONResponse({**base, "object": "chat.completion", "usage": usage,
                                 "choices": [{"index": 0, "message": message, "finish_reason": finish}]})
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def events() -> Iterator[str]:
            def chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> str:
                choices = [{"index": 0, "delta": delta, "finish_reason": finish_reason}] if delta is not None else []
                return "data: " + json.dumps({**base, "object": "chat.completion.chunk", "choices": choices,
                                              **extra}) + "\n\n"

            yield chunk({"role": "assistant", "content": ""})
            for piece in _chunks(reply.text):
                yield chunk({"content": piece})
            for i, call in enumerate(calls or []):
                yield chunk({"tool_calls": [{"index": i, **call}]})
            yield chunk({}, finish)
            if include_usage:
                yield "data: " + json.dumps({**base, "object": "chat.completion.chunk", "choices": [],
                                             "usage": usage}) + "\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def _openai_models(self, http: HttpRequest) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]})
