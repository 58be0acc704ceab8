"""Load: many concurrent MCP clients over streamable HTTP against ``servers all`` on the demo.

    python benchmarks/load.py [--clients 50] [--duration 60] [--baseline-s 10]
                              [--instances 2 --lb nginx] [--malloc-arena-max 2] [--out docs/runs/load.json]

1. Builds the demo in a temp folder: the config derived from examples/ragbox.toml
   (MiniLM embeddings from RAGBOX_MODELS_DIR, else ../shared/models), its documents
   ingested once, the example tickets API on a free port.
2. Starts ``python -m servers all --transport http`` and learns, from one unloaded
   call each, the right answer to every call in the mix.
3. Warms up (every client connects and calls for ``--warmup-s``), reads the server's
   RSS, then runs the baseline (the same mix from 1 client) and the load
   (``--clients`` clients for ``--duration`` s), and reads the RSS again.
4. With ``--instances N --lb nginx``: the same load through nginx to N instances,
   and the scale-out ratio against the single instance.

The mix: of the legitimate calls, 40% handbook_search_documents, 35% SQL (run_query,
list_tables, describe_table), 25% REST (listTickets, getTicket); on top, 5% hostile
calls (writes and stacked statements in SQL, path traversal and wrong types in REST,
oversize arguments), which must come back as tool errors and count as refusals; and 2%
of a client's turns open a second connection, cancel a call in flight and drop it.

An error is anything else: an exception (transport, timeout, 5xx), a tool error on a
legitimate call, an answer that differs from the unloaded one, a hostile call let
through. The load generator runs in this process and shares the machine's CPUs with
the server and the tickets API; the report says how much CPU each took.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import click
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from agent.eval import percentile  # noqa: E402
from connectors.config import load_config  # noqa: E402
from connectors.docs import DocumentIndex  # noqa: E402
from derive_config import derive_config, dump_toml  # noqa: E402
from examples.tickets.app import DEFAULT_TOKEN  # noqa: E402
from testkit.load_balancer import UPSTREAM_HEADER, find_nginx, nginx_balancer  # noqa: E402
from testkit.servers import free_port, running  # noqa: E402

CALL_TIMEOUT_S = 30.0
HOSTILE_SHARE = 0.05
DISCONNECT_SHARE = 0.02
KIND_SHARES = {"search": 0.40, "sql": 0.35, "rest": 0.25}  # of the legitimate calls
KINDS = ("search", "sql", "rest", "hostile")


@dataclass(frozen=True)
class Call:
    kind: str
    tool: str
    arguments: dict[str, Any]


def _search(query: str, **extra: Any) -> Call:
    return Call("search", "handbook_search_documents", {"query": query, **extra})


CATALOGUE: dict[str, list[Call]] = {
    "search": [
        _search("paid annual leave days full-time", top_k=2),
        _search("expense report deadline"),
        _search("first response target for a high-priority ticket", top_k=3),
        _search("discount limit a sales rep can give without approval"),
        _search("EdgeHub firmware update rollback", top_k=4),
        _search("RoboVac X200 battery replacement", mode="semantic"),
        _search("on-call compensation", mode="keyword"),
        _search("東京オフィスの標準勤務時間", top_k=3),
    ],
    "sql": [
        Call("sql", "sales_run_query", {"sql": "SELECT count(*) AS n FROM orders"}),
        Call("sql", "sales_run_query", {"sql": "SELECT status, count(*) AS n FROM invoices GROUP BY status"}),
        Call("sql", "sales_run_query", {"sql": (
            "SELECT c.name AS customer, ROUND(SUM(i.amount), 2) AS revenue_usd FROM invoices i "
            "JOIN orders o ON o.order_id = i.order_id JOIN customers c ON c.customer_id = o.customer_id "
            "WHERE i.issued_on BETWEEN '2025-01-01' AND '2025-12-31' "
            "GROUP BY c.name ORDER BY revenue_usd DESC LIMIT 5")}),
        Call("sql", "sales_run_query", {"sql": (
            "SELECT r.name AS region, count(*) AS customers FROM customers c "
            "JOIN regions r ON r.region_id = c.region_id GROUP BY r.name ORDER BY r.name")}),
        Call("sql", "sales_list_tables", {}),
        Call("sql", "sales_describe_table", {"table": "orders"}),
        Call("sql", "sales_describe_table", {"table": "customers"}),
    ],
    "rest": [
        Call("rest", "tickets_listTickets", {"status": "open", "limit": 20}),
        Call("rest", "tickets_listTickets", {"priority": "high", "limit": 10}),
        Call("rest", "tickets_listTickets", {"q": "battery", "limit": 10}),
        *(Call("rest", "tickets_getTicket", {"ticket_id": n}) for n in (1, 12, 87, 200, 351)),
    ],
    "hostile": [
        Call("hostile", "sales_run_query", {"sql": "DELETE FROM orders"}),
        Call("hostile", "sales_run_query", {"sql": "SELECT 1; DROP TABLE orders"}),
        Call("hostile", "sales_run_query", {"sql": "SELECT " + "1 + " * 6000 + "1"}),  # over 20,000 chars
        Call("hostile", "sales_describe_table", {"table": "sqlite_master"}),
        Call("hostile", "tickets_getTicket", {"ticket_id": "..%2Fadmin"}),
        Call("hostile", "tickets_getTicket", {"ticket_id": "../../admin"}),
        Call("hostile", "tickets_listTickets", {"q": "x" * 5000}),  # maxLength 200
        Call("hostile", "handbook_search_documents", {"query": "leave", "top_k": "five"}),
        Call("hostile", "handbook_search_documents", {"query": "leave", "top_k": 10_000}),
        Call("hostile", "handbook_search_documents", {"query": "annual leave " * 4000}),  # 48,000 chars
    ],
}


def pick(rng: random.Random) -> Call:
    if rng.random() < HOSTILE_SHARE:
        return rng.choice(CATALOGUE["hostile"])
    kind = rng.choices(list(KIND_SHARES), weights=list(KIND_SHARES.values()))[0]
    return rng.choice(CATALOGUE[kind])


def fingerprint(result: CallToolResult) -> str:
    """What must not change between two right answers (timings left out)."""
    data = result.structured_content
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "elapsed_ms"}
        return json.dumps(data, sort_keys=True, ensure_ascii=False)
    return "\n".join(getattr(c, "text", "") for c in result.content)


def _key(call: Call) -> str:
    return json.dumps([call.tool, call.arguments], sort_keys=True)


def _reason(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {str(exc)[:120]}" if str(exc) else type(exc).__name__


# --- one phase of load ---------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    disconnects: int = 0
    cancelled_in_flight: int = 0
    upstreams: Counter[str] = field(default_factory=Counter)
    http_errors: Counter[int] = field(default_factory=Counter)  # HTTP statuses >= 400 seen by the clients
    elapsed_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        every = [ms for values in self.latencies.values() for ms in values]
        calls = len(every)

        def figures(values: Sequence[float]) -> dict[str, Any]:
            return {"calls": len(values), "p50_ms": round(percentile(values, 0.50), 2),
                    "p95_ms": round(percentile(values, 0.95), 2), "p99_ms": round(percentile(values, 0.99), 2)}

        return {
            "elapsed_s": round(self.elapsed_s, 2),
            "rps": round(calls / self.elapsed_s, 1) if self.elapsed_s else 0.0,
            "overall": figures(every),
            "kinds": {k: figures(v) for k, v in self.latencies.items()},
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors.most_common(10)),
            "refused": self.refused,
            "disconnects": self.disconnects,
            "cancelled_in_flight": self.cancelled_in_flight,
            "upstreams": dict(self.upstreams),
            "http_errors": {str(k): v for k, v in self.http_errors.items()},
        }


@contextlib.asynccontextmanager
async def mcp_session(url: str, tally: Tally | None = None) -> AsyncIterator[Client]:
    """One MCP client with its own HTTP connection pool; counts HTTP errors and X-Upstream into ``tally``."""
    hooks = {}
    if tally is not None:
        async def record(response: httpx2.Response) -> None:
            if response.status_code >= 400:
                tally.http_errors[response.status_code] += 1
            upstream = response.headers.get(UPSTREAM_HEADER)
            if upstream:
                tally.upstreams[upstream.split(", ")[-1]] += 1
        hooks = {"response": [record]}
    async with httpx2.AsyncClient(timeout=CALL_TIMEOUT_S, event_hooks=hooks) as http:
        transport = streamable_http_client(f"{url}/mcp", http_client=http)
        async with Client(transport, read_timeout_seconds=CALL_TIMEOUT_S) as client:
            yield client


async def timed_call(client: Client, call: Call, golden: dict[str, str], tally: Tally) -> bool:
    """One call, judged and counted; False when it raised (the session may be broken)."""
    start = time.perf_counter()
    try:
        with anyio.fail_after(CALL_TIMEOUT_S):
            result = await client.call_tool(call.tool, call.arguments)
    except Exception as exc:
        tally.errors[f"{call.kind} {call.tool}: {_reason(exc)}"] += 1
        return False
    tally.latencies[call.kind].append((time.perf_counter() - start) * 1000)
    if call.kind == "hostile":
        if result.is_error:
            tally.refused += 1
        else:
            tally.errors[f"hostile call accepted: {call.tool} {str(call.arguments)[:60]}"] += 1
    elif result.is_error:
        text = "".join(getattr(c, "text", "") for c in result.content)
        tally.errors[f"{call.kind} {call.tool}: tool error {text[:100]}"] += 1
    elif fingerprint(result) != golden[_key(call)]:
        tally.errors[f"{call.kind} {call.tool}: wrong answer"] += 1
    return True


async def disconnect_mid_call(url: str, rng: random.Random, tally: Tally) -> None:
    """A client that opens a connection, starts a call, gives up after a few ms and hangs up."""
    tally.disconnects += 1
    call = rng.choice(CATALOGUE["search"] + CATALOGUE["sql"])
    try:
        async with mcp_session(url) as client:
            with anyio.move_on_after(rng.uniform(0.002, 0.05)) as scope:
                await client.call_tool(call.tool, call.arguments)
            tally.cancelled_in_flight += scope.cancelled_caught
    except Exception as exc:
        tally.errors[f"disconnecting client: {_reason(exc)}"] += 1


async def client_loop(url: str, rng: random.Random, deadline: float, golden: dict[str, str], tally: Tally,
                      disconnects: bool) -> None:
    while time.monotonic() < deadline:
        try:
            async with mcp_session(url, tally) as client:
                while time.monotonic() < deadline:
                    if disconnects and rng.random() < DISCONNECT_SHARE:
                        await disconnect_mid_call(url, rng, tally)
                    elif not await timed_call(client, pick(rng), golden, tally):
                        break  # open a fresh session
        except Exception as exc:
            tally.errors[f"session: {_reason(exc)}"] += 1


async def run_phase(url: str, clients: int, duration: float, golden: dict[str, str], *, seed: int,
                    disconnects: bool = True, watch: Sequence[Proc] = (), rss_mib: list[float] | None = None) -> Tally:
    """``clients`` clients calling the mix for ``duration`` seconds; the RSS of ``watch``
    (MiB, all together) is appended to ``rss_mib`` 10 times along the way."""
    tally = Tally()
    start = time.monotonic()

    async def sample() -> None:
        for _ in range(10):
            await anyio.sleep(duration / 10)
            if rss_mib is not None:
                rss_mib.append(round(sum(p.status()["rss_kb"] for p in watch) / 1024, 1))

    with anyio.fail_after(duration + 2 * CALL_TIMEOUT_S + 30):
        async with anyio.create_task_group() as tg:
            for i in range(clients):
                tg.start_soon(client_loop, url, random.Random(seed * 1000 + i), start + duration, golden, tally,
                              disconnects)
            if watch:
                tg.start_soon(sample)
    tally.elapsed_s = time.monotonic() - start
    return tally


async def learn_answers(url: str) -> dict[str, str]:
    """The right answer to each legitimate call, from one unloaded call each."""
    golden: dict[str, str] = {}
    with anyio.fail_after(120):
        async with mcp_session(url) as client:
            for kind in KIND_SHARES:
                for call in CATALOGUE[kind]:
                    result = await client.call_tool(call.tool, call.arguments)
                    if result.is_error:
                        raise SystemExit(f"The demo is broken: {call.tool}({call.arguments}) failed: {result.content}")
                    golden[_key(call)] = fingerprint(result)
    return golden


# --- processes ------------------------------------------------------------------------------------


def drain(proc: subprocess.Popen[bytes], log: Path) -> None:
    """Copy a subprocess's output to ``log`` so that a chatty server never blocks on a full pipe."""
    def copy() -> None:
        with log.open("wb") as out:
            shutil.copyfileobj(proc.stdout, out)  # type: ignore[misc]
    threading.Thread(target=copy, daemon=True).start()


@dataclass
class Proc:
    pid: int
    log: Path

    def status(self) -> dict[str, int]:
        """VmRSS (kB) and Threads from /proc/PID/status, open fds."""
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines())
        fds = len(os.listdir(f"/proc/{self.pid}/fd"))
        return {"rss_kb": int(fields["VmRSS"].split()[0]), "threads": int(fields["Threads"]), "fds": fds}

    def cpu_s(self) -> float:
        return sum(_cpu_s(pid) for pid in (self.pid, *_children(self.pid)))

    def log_problems(self) -> list[str]:
        """Lines of its output (or nginx's error log) that report an error."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        marks = ("Traceback", "ERROR", "Error", "rror:", "[error]", "[crit]", "[alert]", "[emerg]")
        return [line for line in text.splitlines() if any(m in line for m in marks)]


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@contextlib.contextmanager
def started(args: Sequence[str], ready_url: str, log: Path, env: dict[str, str] | None = None) -> Iterator[Proc]:
    with running(args, ready_url=ready_url, env=env, timeout=120) as proc:
        drain(proc, log)
        yield Proc(proc.pid, log)


@contextlib.contextmanager
def demo(tmp: Path) -> Iterator[tuple[Path, dict[str, str], Proc]]:
    """(config, server env, tickets API process): the demo with its index ingested into ``tmp``."""
    models = Path(os.environ.get("RAGBOX_MODELS_DIR") or REPO.parent / "shared" / "models")
    env = {"TICKETS_TOKEN": DEFAULT_TOKEN, "RAGBOX_MODELS_DIR": str(models)}
    port = free_port()
    tickets_url = f"http://127.0.0.1:{port}"
    with started([sys.executable, "-m", "examples.tickets", "--port", str(port)], f"{tickets_url}/healthz",
                 tmp / "tickets.log", env) as tickets:
        path = derive_config(REPO / "examples" / "ragbox.toml", tmp / "ragbox.toml", tickets_url=tickets_url)
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        data["data_dir"] = str(tmp / "data")
        data["embeddings"] = {**data.get("embeddings", {}), "models_dir": str(models)}
        path.write_text(dump_toml(data), encoding="utf-8")
        start = time.perf_counter()
        with DocumentIndex.open(load_config(path)) as index:
            index.ingest()
        print(f"demo index ingested in {time.perf_counter() - start:.1f} s (MiniLM)")
        yield path, env, tickets


@contextlib.contextmanager
def instances(config: Path, env: dict[str, str], count: int, tmp: Path) -> Iterator[list[tuple[int, Proc]]]:
    """``count`` ``servers all`` instances over HTTP: (port, process) each."""
    with contextlib.ExitStack() as stack:
        out = []
        for _ in range(count):
            port = free_port()
            args = [sys.executable, "-m", "servers", "all", "--config", str(config), "--transport", "http",
                    "--host", "127.0.0.1", "--port", str(port)]
            out.append((port, stack.enter_context(
                started(args, f"http://127.0.0.1:{port}/healthz", tmp / f"server{port}.log", env))))
        yield out


# --- one measured setup -------------------------------------------------------------------------


def measure(url: str, servers: list[Proc], others: list[Proc], *, clients: int, duration: float,
            baseline_s: float, warmup_s: float, seed: int) -> dict[str, Any]:
    """Warm-up, RSS, baseline, load, RSS: the figures for one setup (one URL)."""
    golden = anyio.run(learn_answers, url)
    anyio.run(lambda: run_phase(url, clients, warmup_s, golden, seed=seed))
    start_status = [s.status() for s in servers]
    baseline = anyio.run(lambda: run_phase(url, 1, baseline_s, golden, seed=seed + 1, disconnects=False))
    cpu_before = {"servers": sum(s.cpu_s() for s in servers), "others": sum(o.cpu_s() for o in others),
                  "load generator": time.process_time()}
    rss_mib: list[float] = []
    load = anyio.run(lambda: run_phase(url, clients, duration, golden, seed=seed + 2, watch=servers, rss_mib=rss_mib))
    cpu = {"servers": sum(s.cpu_s() for s in servers) - cpu_before["servers"],
           "others": sum(o.cpu_s() for o in others) - cpu_before["others"],
           "load generator": time.process_time() - cpu_before["load generator"]}
    end_status = [s.status() for s in servers]
    healthy = httpx2.get(f"{url}/healthz", timeout=5).status_code == 200 and anyio.run(learn_answers, url) == golden
    rss_start, rss_end = (sum(s["rss_kb"] for s in st) for st in (start_status, end_status))
    return {
        "baseline": baseline.summary(), "load": load.summary(),
        "rss_start_kb": rss_start, "rss_end_kb": rss_end,
        "rss_growth_pct": round(100 * (rss_end - rss_start) / rss_start, 2),
        "rss_mib_during_load": rss_mib,
        "status_start": start_status, "status_end": end_status,
        "cpu_s_during_load": {k: round(v, 1) for k, v in cpu.items()},
        "healthy_after": healthy,
        "log_problems": [line for p in (*servers, *others) for line in p.log_problems()][:20],
    }


def _row(label: str, f: dict[str, Any], base: dict[str, Any] | None = None) -> str:
    ratio = f"{f['p50_ms'] / base['p50_ms']:6.1f}x" if base and base["p50_ms"] else " " * 7
    return (f"  {label:<18} {f['calls']:>7} {f['p50_ms']:>8.1f} {f['p95_ms']:>8.1f} {f['p99_ms']:>8.1f} {ratio}")


def report(title: str, r: dict[str, Any], clients: int) -> None:
    b, load = r["baseline"], r["load"]
    print(f"\n{title}")
    print(f"  {'':<18} {'calls':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p50 vs 1 client':>7}")
    print(_row("1 client, overall", b["overall"]))
    for kind in KINDS:
        print(_row(f"1 client, {kind}", b["kinds"][kind]))
    print(_row(f"{clients} clients, overall", load["overall"], b["overall"]))
    for kind in KINDS:
        print(_row(f"{clients} clients, {kind}", load["kinds"][kind], b["kinds"][kind]))
    print(f"  throughput: {load['rps']:.1f} calls/s with {clients} clients, {b['rps']:.1f} with 1 "
          f"({load['rps'] / b['rps']:.1f}x)" if b["rps"] else "")
    print(f"  errors: {load['errors']} under load, {b['errors']} at baseline (goal 0); expected refusals "
          f"{load['refused'] + b['refused']}; {load['disconnects']} disconnecting clients, "
          f"{load['cancelled_in_flight']} cancelled a call in flight")
    for what, n in (Counter(b["error_kinds"]) + Counter(load["error_kinds"])).most_common():
        print(f"    {n} x {what}")
    print(f"  server RSS: {r['rss_start_kb'] / 1024:.0f} MiB after warm-up, {r['rss_end_kb'] / 1024:.0f} MiB "
          f"after the load: {r['rss_growth_pct']:+.1f}% (goal under 10%); threads "
          f"{[s['threads'] for s in r['status_start']]} -> {[s['threads'] for s in r['status_end']]}, fds "
          f"{[s['fds'] for s in r['status_start']]} -> {[s['fds'] for s in r['status_end']]}")
    print(f"  RSS along the load (MiB, every {load['elapsed_s'] / 10:.1f} s): {r['rss_mib_during_load']}")
    if load["http_errors"]:
        print(f"  HTTP errors seen by the clients: {load['http_errors']}")
    cpu = r["cpu_s_during_load"]
    wall = load["elapsed_s"]
    print(f"  CPU during the load ({wall:.0f} s wall, {os.cpu_count()} CPUs = {wall * (os.cpu_count() or 1):.0f} "
          f"CPU-s): servers {cpu['servers']} s, load generator {cpu['load generator']} s, "
          f"tickets API and nginx {cpu['others']} s")
    if load["upstreams"]:
        print(f"  answered by: {load['upstreams']}")
    print(f"  healthy after the load: {r['healthy_after']}; log lines with errors (servers, tickets API, "
          f"nginx): {len(r['log_problems'])}")
    for line in r["log_problems"][:5]:
        print(f"    {line[:160]}")


@click.command()
@click.option("--clients", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--duration", type=click.FloatRange(1, 600), default=60.0, show_default=True, help="Seconds of load.")
@click.option("--baseline-s", type=click.FloatRange(1, 120), default=10.0, show_default=True,
              help="Seconds of the 1-client baseline.")
@click.option("--warmup-s", type=click.FloatRange(0.5, 60), default=10.0, show_default=True,
              help="Seconds of load before the first RSS reading.")
@click.option("--instances", "count", type=click.IntRange(1, 8), default=1, show_default=True,
              help="With --lb nginx: also run the load through nginx to this many instances.")
@click.option("--lb", type=click.Choice(["nginx"]), default=None)
@click.option("--malloc-arena-max", type=click.IntRange(1, 64), default=None,
              help="Run the servers with MALLOC_ARENA_MAX=N (glibc's per-thread malloc arenas).")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the figures as JSON.")
def main(clients: int, duration: float, baseline_s: float, warmup_s: float, count: int, lb: str | None,
         malloc_arena_max: int | None, seed: int, out: Path | None) -> None:
    if count > 1 and lb is None:
        raise click.UsageError("--instances N needs a load balancer: add --lb nginx")
    if lb == "nginx" and find_nginx() is None:
        raise click.UsageError("nginx is not installed; `apt-get install nginx`")
    load_before = os.getloadavg()
    print(f"load: {clients} clients x {duration:.0f} s over streamable HTTP; legit mix "
          + "/".join(f"{v:.0%}" for v in KIND_SHARES.values()) + " search/SQL/REST, "
          f"{HOSTILE_SHARE:.0%} hostile calls, {DISCONNECT_SHARE:.0%} of turns disconnect mid-call")
    print(f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before the run. The load generator "
          "(this process), the server(s) and the tickets API share these CPUs, so the figures are the whole "
          "system's, not the server's alone.")
    if malloc_arena_max is not None:
        print(f"servers run with MALLOC_ARENA_MAX={malloc_arena_max}")
    results: dict[str, Any] = {"clients": clients, "duration_s": duration, "baseline_s": baseline_s,
                               "cpus": os.cpu_count(), "loadavg_before": load_before[0], "seed": seed,
                               "malloc_arena_max": malloc_arena_max}
    with tempfile.TemporaryDirectory(prefix="ragbox-load-") as tmp_name:
        tmp = Path(tmp_name)
        with demo(tmp) as (config, env, tickets):
            if malloc_arena_max is not None:
                env = {**env, "MALLOC_ARENA_MAX": str(malloc_arena_max)}
            options = dict(clients=clients, duration=duration, baseline_s=baseline_s, warmup_s=warmup_s, seed=seed)
            with instances(config, env, 1, tmp) as ((port, server),):
                results["single"] = measure(f"http://127.0.0.1:{port}", [server], [tickets], **options)
            report("1 instance, direct", results["single"], clients)
            if lb == "nginx":
                with instances(config, env, count, tmp) as started_instances:
                    ports = [p for p, _ in started_instances]
                    with nginx_balancer(ports) as balancer:
                        nginx = Proc(balancer.pid, balancer.prefix / "error.log")
                        results["balanced"] = measure(balancer.url, [s for _, s in started_instances], [tickets, nginx],
                                                      **options)
                results["balanced"]["instances"] = count
                report(f"{count} instances behind nginx", results["balanced"], clients)
                single, balanced = results["single"]["load"], results["balanced"]["load"]
                results["scale_out_rps_ratio"] = round(balanced["rps"] / single["rps"], 2) if single["rps"] else None
                print(f"\nscale-out: {balanced['rps']:.1f} calls/s through nginx to {count} instances vs "
                      f"{single['rps']:.1f} direct to 1: {results['scale_out_rps_ratio']}x "
                      f"(p50 {balanced['overall']['p50_ms']:.0f} vs {single['overall']['p50_ms']:.0f} ms) "
                      f"on {os.cpu_count()} CPUs")
    results["loadavg_after"] = os.getloadavg()[0]
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
        print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
