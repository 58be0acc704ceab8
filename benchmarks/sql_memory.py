"""What the SQL memory limits save and cost: peak RSS per hostile query, and time per normal one.

    .venv/bin/python benchmarks/sql_memory.py [--cap-mib 2048] [--rounds 200] [--pg URL]

Prints three tables, each with a baseline measured in the same run:

1. for each class of ``testkit.sql_corpus.MEMORY_HOGS``, the peak RSS of a process that
   runs it through ``SqlDatabase`` (every limit on), next to the unlimited baseline: the
   same SQL on a plain read-only connection, fetched as ragbox fetched before the limits
   (SQLite's 1 GB value limit, 201 rows at once, the same 5 s time limit). Each runs in a
   fresh subprocess under ``RLIMIT_AS`` (``--cap-mib``), so the baseline fails with
   MemoryError at the cap instead of taking the machine down. Then all the SQLite ones at
   once through the real SQL MCP server over HTTP, as in the test suite. The PostgreSQL
   rows need ``--pg`` (below); PostgreSQL's own memory is not in these figures;
2. what legitimate queries need: the demo corpus (``LEGIT``) and the Spider gold queries,
   run under the limits, with the largest value each returns;
3. the cost of the limits on normal queries (p50), at the connection and fetch layer the
   limits live in: SQLite with and without them, and PostgreSQL with and without the row
   check and streaming (``--pg`` or ``RAGBOX_TEST_PG_URL``, a database holding the demo
   tables, e.g. after the test suite's ``acme_pg`` fixture).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx2
import sqlalchemy as sa
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from connectors.errors import SqlError, SqlTooLarge  # noqa: E402
from connectors.sql.engine import SqlDatabase  # noqa: E402
from connectors.sql.readonly import MAX_VALUE_BYTES, MiB, PostgresBackend, SQLiteBackend  # noqa: E402
from testkit.servers import free_port, running  # noqa: E402
from testkit.sql_corpus import LEGIT, MEMORY_HOGS  # noqa: E402

ACME = REPO / "examples" / "acme" / "acme.db"
SPIDER = REPO.parent / "shared" / "data" / "spider-dev-subset"
ROWS = 201  # ragbox's default 200 rows, plus the one that detects truncation
TIMEOUT_S = 5.0
NORMAL_SQL = {
    "count(*) of orders": "SELECT count(*) FROM orders",
    "top-10 revenue, 3-way join": "SELECT c.name, SUM(i.amount) AS revenue FROM invoices i "
    "JOIN orders o ON o.order_id = i.order_id JOIN customers c ON c.customer_id = o.customer_id "
    "GROUP BY c.name ORDER BY revenue DESC LIMIT 10",
    "200 rows of orders": "SELECT * FROM orders ORDER BY order_id LIMIT 201",
    "8 rows of products": "SELECT * FROM products WHERE category = 'Sensors' LIMIT 201",
}


# -- one query in a fresh, capped process -------------------------------------------------


def peak_rss_mib(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc: this benchmark needs Linux")


def worker(mode: str, url: str, sql: str) -> None:
    """Run ``sql`` once, as ``mode`` says, and print JSON: idle and peak RSS, outcome, seconds."""
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    if mode == "limited":
        database = SqlDatabase(url)
        database.run_query("SELECT count(*) FROM orders")

        def run() -> str:
            return f"{database.run_query(sql).row_count} rows"
    elif url.startswith("sqlite"):  # how ragbox read SQLite before the limits
        conn = sqlite3.connect(f"file:{sa.engine.make_url(url).database}?mode=ro", uri=True)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT count(*) FROM orders").fetchall()

        def run() -> str:
            deadline = time.monotonic() + TIMEOUT_S
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1_000)
            return described(conn.execute(sql).fetchmany(ROWS))
    else:  # and PostgreSQL: read-only, the same time limit, the whole result fetched at once
        options = f"-c default_transaction_read_only=on -c statement_timeout={int(TIMEOUT_S * 1000)}"
        engine = sa.create_engine(url, connect_args={"options": options})

        def run() -> str:
            with engine.connect() as conn:
                return described(conn.exec_driver_sql(sql.replace("%", "%%")).fetchmany(ROWS))

    idle = peak_rss_mib()
    started = time.perf_counter()
    try:
        outcome = "ok: " + run()
    except SqlTooLarge as exc:
        outcome = f"stopped: {exc.limit}"
    except SqlError as exc:
        outcome = f"stopped: {type(exc).__name__} {getattr(exc, 'rule', '')}".strip()
    except MemoryError:
        outcome = "MemoryError (the RLIMIT_AS cap)"
    except (sqlite3.Error, sa.exc.DBAPIError) as exc:
        outcome = f"{type(getattr(exc, 'orig', exc)).__name__}: {str(getattr(exc, 'orig', exc)).splitlines()[0]}"
    seconds = time.perf_counter() - started
    print(json.dumps({"idle": idle, "peak": peak_rss_mib(), "outcome": outcome[:60], "seconds": seconds}))


def described(rows: list) -> str:
    return f"{len(rows)} rows, {sum(len(v) for r in rows for v in r if isinstance(v, str | bytes)):,} bytes"


def capped_run(mode: str, url: str, sql: str, cap_mib: int) -> dict:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap_mib * MiB, cap_mib * MiB))

    proc = subprocess.run(
        [sys.executable, __file__, "--worker", mode, "--url", url, "--sql", sql],
        preexec_fn=cap, capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"idle": float("nan"), "peak": float("nan"), "outcome": f"exit {proc.returncode}: {tail}"[:60],
                "seconds": float("nan")}  # fmt: skip
    return json.loads(lines[-1])


def hog_table(urls: dict[str, str], cap_mib: int) -> Table:
    table = Table(title=f"Peak RSS per hostile query, demo DB (each in a fresh process, RLIMIT_AS {cap_mib} MiB)")
    for column in ("db", "layer", "query", "limited MiB", "limited outcome", "unlimited MiB", "unlimited outcome",
                   "s"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("query", "limited outcome", "unlimited outcome") else "right")
    for dialect, layer, sql in MEMORY_HOGS:
        if dialect not in urls:
            continue
        limited = capped_run("limited", urls[dialect], sql, cap_mib)
        unlimited = capped_run("unlimited", urls[dialect], sql, cap_mib)
        table.add_row(
            dialect, layer, sql[:44] + ("…" if len(sql) > 44 else ""),
            f"{limited['peak']:.0f} (+{limited['peak'] - limited['idle']:.0f})", limited["outcome"],
            f"{unlimited['peak']:.0f} (+{unlimited['peak'] - unlimited['idle']:.0f})", unlimited["outcome"],
            f"{limited['seconds']:.2f} / {unlimited['seconds']:.2f}",
        )  # fmt: skip
    if "postgres" not in urls:
        table.caption = "PostgreSQL left out: pass --pg URL (or set RAGBOX_TEST_PG_URL) of a database with the demo tables"
    return table


def demo_urls(db: Path, pg_url: str | None) -> dict[str, str]:
    urls = {"sqlite": f"sqlite:///{db}"}
    if pg_url:
        probe = sa.create_engine(pg_url)
        with probe.connect() as conn:
            if conn.exec_driver_sql("SELECT to_regclass('orders') IS NOT NULL").scalar():
                urls["postgres"] = pg_url
        probe.dispose()
    return urls


def server_at_once(db: Path) -> str:
    hogs = [sql for dialect, _, sql in MEMORY_HOGS if dialect == "sqlite"]
    port = free_port()
    args = [sys.executable, "-m", "servers", "sql", "--db", f"sqlite:///{db}", "--transport", "http",
            "--port", str(port)]  # fmt: skip

    async def fire(pid: int) -> tuple[float, int, bool]:
        async with httpx2.AsyncClient(timeout=120) as http:
            async with Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)) as client:
                await client.call_tool("run_query", {"sql": "SELECT count(*) FROM orders"})
                idle = peak_rss_mib(pid)
                errors = []

                async def one(sql: str) -> None:
                    errors.append((await client.call_tool("run_query", {"sql": sql})).is_error)

                async with anyio.create_task_group() as group:
                    for sql in hogs:
                        group.start_soon(one, sql)
                alive = await client.call_tool("run_query", {"sql": "SELECT count(*) FROM orders"})
                return idle, sum(errors), not alive.is_error

    with running(args, ready_url=f"http://127.0.0.1:{port}/healthz") as proc:
        idle, errors, alive = anyio.run(fire, proc.pid)
        peak = peak_rss_mib(proc.pid)
    return (f"All {len(hogs)} SQLite hogs at once through the SQL MCP server over HTTP: peak RSS "
            f"{peak:.0f} MiB ({idle:.0f} MiB warm), {errors}/{len(hogs)} tool errors, "
            f"{'answers' if alive else 'DOES NOT answer'} a normal query afterwards.")  # fmt: skip


# -- what legitimate queries need ---------------------------------------------------------


def legit_table(db: Path) -> Table:
    table = Table(title="Legitimate queries under the default limits")
    for column in ("corpus", "queries", "ran", "stopped by a limit", "other errors", "largest value"):
        table.add_column(column, justify="right")

    def measure(name: str, pairs: list[tuple[SqlDatabase, str]]) -> None:
        ran = limited = other = largest = 0
        for database, sql in pairs:
            try:
                rows = database.run_query(sql, limit=database.limits.max_rows).rows
                ran += 1
                largest = max([largest, *(len(str(v)) for row in rows for v in row)])
            except SqlTooLarge:
                limited += 1
            except SqlError:
                other += 1
        table.add_row(name, str(len(pairs)), str(ran), str(limited), str(other), f"{largest:,} chars (cut at 1,000)")

    demo = SqlDatabase(f"sqlite:///{db}")
    measure("demo LEGIT (SQLite)", [(demo, sql) for dialect, sql in LEGIT if dialect == "sqlite"])
    whole = ("SELECT length(json_group_array(json_object('order_item_id', order_item_id, 'order_id', order_id, "
             "'product_id', product_id, 'quantity', quantity, 'unit_price', unit_price))) FROM order_items")  # fmt: skip
    table.add_row("demo: order_items as one JSON array", "1", "1", "0", "0",
                  f"{demo.run_query(whole).rows[0][0]:,} bytes (limit {MAX_VALUE_BYTES:,})")  # fmt: skip
    questions = SPIDER / "questions.jsonl"
    if questions.is_file():
        rows = [json.loads(line) for line in questions.read_text().splitlines()]
        dbs = {q["db_id"]: SqlDatabase(f"sqlite:///{SPIDER / 'dbs' / (q['db_id'] + '.sqlite')}") for q in rows}
        measure("Spider dev subset gold SQL", [(dbs[q["db_id"]], q["query"]) for q in rows])
    else:
        table.add_row("Spider dev subset", f"not at {SPIDER}", "", "", "", "")
    return table


# -- what the limits cost -------------------------------------------------------------------


def p50_ms(fn: Callable[[], object], rounds: int) -> float:
    fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def cost_table(urls: dict[str, str], rounds: int) -> Table:
    table = Table(title=f"Cost of the limits on normal queries (p50 ms, {rounds} rounds, same engine both ways)")
    for column in ("query", "SQLite fetchmany", "SQLite limits", "ratio", "PG fetchmany", "PG limits", "ratio"):
        table.add_column(column, justify="right")
    backends = {"sqlite": SQLiteBackend(), "postgres": PostgresBackend()}
    engines = {name: (backends[name], backends[name].create_engine(sa.engine.make_url(url), TIMEOUT_S))
               for name, url in urls.items()}  # fmt: skip

    def before(backend, engine: sa.Engine, sql: str) -> None:
        """How ragbox fetched before: every row (up to the cap) at once."""
        with engine.connect() as conn, backend.time_limit(conn, TIMEOUT_S):
            conn.exec_driver_sql(sql.replace("%", "%%")).fetchmany(ROWS)
            conn.rollback()

    def now(backend, engine: sa.Engine, sql: str) -> None:
        """How run_query fetches now: one row at a time, bytes counted, PostgreSQL's row check."""
        with engine.connect() as conn, backend.time_limit(conn, TIMEOUT_S), backend.execute(
            conn, sql, max_value_bytes=MAX_VALUE_BYTES
        ) as (_, rows):
            pulled = 0
            for row in rows:
                pulled += sum(map(sys.getsizeof, row))
            conn.rollback()

    for label, sql in NORMAL_SQL.items():
        row = [label]
        for name in ("sqlite", "postgres"):
            if name not in engines:
                row += ["-", "no --pg with the demo tables", "-"]
                continue
            a = p50_ms(lambda: before(*engines[name], sql), rounds)
            b = p50_ms(lambda: now(*engines[name], sql), rounds)
            row += [f"{a:.3f}", f"{b:.3f}", f"{b / a:.2f}x"]
        table.add_row(*row)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap-mib", type=int, default=2048, help="RLIMIT_AS of each one-query process")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--pg", default=os.environ.get("RAGBOX_TEST_PG_URL"))
    parser.add_argument("--worker", choices=["limited", "unlimited"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--sql", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.url, args.sql)
        return
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    tmp = Path(tempfile.mkdtemp())
    db = Path(shutil.copy(ACME, tmp / "acme.db"))
    console = Console(width=170)
    try:
        urls = demo_urls(db, args.pg)
        console.print(hog_table(urls, args.cap_mib))
        console.print(server_at_once(db))
        console.print(legit_table(db))
        console.print(cost_table(urls, args.rounds))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
