"""Local servers for tests and benchmarks: free ports, subprocesses, in-process ASGI apps."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

__all__ = ["REPO", "BackgroundServer", "free_port", "running", "stop_process", "wait_http"]

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers, the process dies, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"server exited with {proc.returncode}:\n{out}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@contextlib.contextmanager
def running(
    args: Sequence[str], *, ready_url: str, env: dict[str, str] | None = None, timeout: float = 60.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``args`` in the repository root until the block ends; ready when ``ready_url`` answers.

    The server's output goes to a temporary file, not a pipe: a pipe that nobody reads
    fills at 64 KB and then blocks a chatty server. ``proc.stdout`` reads that file.
    """
    with tempfile.TemporaryDirectory(prefix="ragbox-server-") as tmp:
        log = Path(tmp) / "output.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                list(args), cwd=REPO, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
            )
        reader = proc.stdout = log.open("rb")
        try:
            wait_http(ready_url, proc, timeout)
            yield proc
        finally:
            stop_process(proc)
            # What is left to read stays readable after the block, as a pipe's would.
            rest = reader.read()
            reader.close()
            proc.stdout = io.BytesIO(rest)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate ``proc``, and kill it if it is still there after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class BackgroundServer:
    """An ASGI app served by uvicorn on 127.0.0.1:``port`` in a daemon thread."""

    def __init__(self, app, port: int, name: str) -> None:
        import threading

        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)
        self._name = name

    def start(self) -> None:
        """Start serving; returns once the port accepts connections (at most 10 s)."""
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{self._name} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for its thread (at most 10 s)."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
