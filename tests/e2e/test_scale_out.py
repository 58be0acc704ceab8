"""Two ``servers all`` instances behind nginx: one MCP session, answered by both.

The HTTP transport keeps no session in the server, so each request may land on
either instance, and losing one instance between calls costs the client nothing:
nginx sends the next request to the other (``proxy_next_upstream error``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from testkit.load_balancer import UPSTREAM_HEADER, find_nginx, nginx_balancer
from tests.support import TICKETS_TOKEN, mcp_http_server, need, run_async

pytestmark = pytest.mark.slow


@dataclass
class Instance:
    """One ``servers all`` subprocess that the test may stop before the others."""

    address: str  # 127.0.0.1:PORT, as nginx names it in X-Upstream
    stop: Callable[[], None]

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])


@contextlib.contextmanager
def instance(config: Path) -> Iterator[Instance]:
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(
            mcp_http_server("all", "--config", str(config), env={"TICKETS_TOKEN": TICKETS_TOKEN})
        )
        yield Instance(address=urlsplit(url).netloc, stop=stack.close)


@contextlib.contextmanager
def two_behind_nginx(config: Path) -> Iterator[tuple[str, list[Instance]]]:
    """(nginx's base URL, the two instances behind it)."""
    if find_nginx() is None:
        need("nginx is not installed; `apt-get install nginx`")
    with contextlib.ExitStack() as stack:
        instances = [stack.enter_context(instance(config)) for _ in range(2)]
        balancer = stack.enter_context(nginx_balancer([i.port for i in instances]))
        yield balancer.url, instances


@pytest.fixture(scope="module")
def cluster(demo_config: Path) -> Iterator[tuple[str, list[Instance]]]:
    with two_behind_nginx(demo_config) as started:
        yield started


@pytest.fixture
def own_cluster(demo_config: Path) -> Iterator[tuple[str, list[Instance]]]:
    """A cluster for one test, which may stop its instances."""
    with two_behind_nginx(demo_config) as started:
        yield started


def _search_finds_leave(result: CallToolResult) -> bool:
    hits = (result.structured_content or {}).get("hits", [])
    return bool(hits) and any("leave" in h["text"].lower() for h in hits)


LONG_SQL = "SELECT count(*) AS n FROM orders WHERE order_id NOT IN (" + ", ".join(
    str(-n) for n in range(1, 2600)) + ")"
CALLS: list[tuple[str, dict[str, Any], Callable[[CallToolResult], bool]]] = [
    ("handbook_search_documents", {"query": "paid annual leave days", "top_k": 3}, _search_finds_leave),
    ("sales_run_query", {"sql": "SELECT count(*) AS n FROM orders"},
     lambda r: (r.structured_content or {}).get("rows") == [[12000]]),
    ("tickets_getTicket", {"ticket_id": 1},
     lambda r: ((r.structured_content or {}).get("data") or {}).get("id") == 1),
    # A body over nginx's 16 KiB in-memory buffer, which nginx keeps in a temp file.
    ("sales_run_query", {"sql": LONG_SQL}, lambda r: (r.structured_content or {}).get("rows") == [[12000]]),
]


@dataclass
class Session:
    upstreams: list[str]  # X-Upstream of every HTTP response, in order
    wrong: list[str]  # calls that failed or answered wrongly
    stopped_at: int = 0  # len(upstreams) when the first instance was stopped


async def one_session(base: str, mode: str, rounds: int, stop: Callable[[], None] | None = None) -> Session:
    """One MCP session through nginx: list tools, then ``rounds`` of CALLS, then (after
    ``stop``) ``rounds`` more."""
    session = Session(upstreams=[], wrong=[])

    async def record(response: httpx2.Response) -> None:
        session.upstreams.append(response.headers.get(UPSTREAM_HEADER, "(none)"))

    async def calls() -> None:
        for _ in range(rounds):
            for name, arguments, correct in CALLS:
                result = await client.call_tool(name, arguments)
                if result.is_error or not correct(result):
                    session.wrong.append(f"{name}: {result.content}")

    async with httpx2.AsyncClient(event_hooks={"response": [record]}, timeout=30) as http:
        transport = streamable_http_client(f"{base}/mcp", http_client=http)
        async with Client(transport, mode=mode, read_timeout_seconds=30) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            missing = {name for name, _, _ in CALLS} - names
            if missing:
                session.wrong.append(f"tools/list lacks {sorted(missing)}")
            await calls()
            if stop is not None:
                session.stopped_at = len(session.upstreams)
                await anyio.to_thread.run_sync(stop)
                await calls()
    return session


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # legacy: the initialize handshake, as Claude Desktop
def test_one_session_through_nginx_is_answered_by_both_instances(cluster, mode: str):
    base, instances = cluster
    session = run_async(one_session, base, mode, 3)
    assert session.wrong == []
    assert set(session.upstreams) == {i.address for i in instances}, session.upstreams


def test_session_survives_an_instance_stopping_between_calls(own_cluster):
    base, (first, second) = own_cluster
    session = run_async(one_session, base, "auto", 3, first.stop)
    assert session.wrong == []
    before, after = session.upstreams[:session.stopped_at], session.upstreams[session.stopped_at:]
    assert {first.address, second.address} <= set(before), before
    assert after, "no request after the stop"
    # After the stop every answer comes from the second instance; the first try of a
    # request may still have gone to the stopped one ("first, second" in X-Upstream).
    assert all(u.split(", ")[-1] == second.address for u in after), after
