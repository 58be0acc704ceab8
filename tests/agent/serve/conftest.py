"""``agent serve`` in this process: the app on uvicorn at 127.0.0.1, over the in-memory MCP servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from agent.serve import ServeSettings, create_app
from servers.transport import HttpSettings
from testkit.servers import BackgroundServer, free_port

ServeFactory = Callable[..., str]


@pytest.fixture
def serve(open_agent) -> Iterator[ServeFactory]:  # type: ignore[no-untyped-def]
    """``serve(token=…, clients=…, max_running=…, …)``: start the app; returns its base URL."""
    started: list[BackgroundServer] = []

    def factory(*, token: str | None = None, clients: Any = None, agent: Any = None, **settings: Any) -> str:
        port = free_port()
        http = HttpSettings(host="127.0.0.1", port=port, token=token, clients=clients)
        app = create_app(agent or open_agent(), ServeSettings(http=http, **settings))
        server = BackgroundServer(app, port, "agent-serve")
        server.start()
        started.append(server)
        return f"http://127.0.0.1:{port}"

    yield factory
    for server in started:
        server.stop()
