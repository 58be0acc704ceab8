"""A tiny HTTP server on 127.0.0.1 that records every request and answers from a script.

It stands for "the outside world" in the REST tests: what reached it is exactly
what the client sent (raw request line, headers, body), so tests can assert
that nothing left the allowed origin and prefix.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Seen:
    method: str
    target: str  # the raw request-target, exactly as sent
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    delay_s: float = 0.0


Script = Callable[[Seen, int], Reply]
"""(request, how many requests this path has seen before) -> reply."""


def echo(seen: Seen, _: int) -> Reply:
    return Reply(body=json.dumps({"method": seen.method, "target": seen.target}).encode())


class Recorder:
    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.routes: dict[str, Script] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.url = ""

    def route(self, prefix: str, script: Script) -> None:
        self.routes[prefix] = script

    def reply(self, seen: Seen) -> Reply:
        path = seen.target.split("?")[0]
        prefix = max((p for p in self.routes if path.startswith(p)), key=len, default=None)
        with self._lock:
            self.seen.append(seen)
            n = self._counts.get(prefix or "", 0)
            self._counts[prefix or ""] = n + 1
        return (self.routes[prefix] if prefix is not None else echo)(seen, n)


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, self.path, tuple(self.headers.items()), body)
            reply = recorder.reply(seen)
            if reply.delay_s:
                threading.Event().wait(reply.delay_s)
            try:
                self.send_response(reply.status)
                for k, v in reply.headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def recording_server() -> Iterator[Recorder]:
    recorder = Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    server.daemon_threads = True
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
