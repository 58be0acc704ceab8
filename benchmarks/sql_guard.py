"""What read-only safety costs: the guard per query, and a run_query round trip over MCP.

    .venv/bin/python benchmarks/sql_guard.py [--rounds N]

Prints two tables, each with a baseline measured in the same run:

1. the guard's cost per query (p50/p95 µs) over a realistic mix, next to a bare
   ``sqlglot.parse`` of the same text;
2. ``run_query`` over a stdio MCP session, next to ``SqlDatabase.run_query`` in
   process and the same SQL through a plain SQLAlchemy engine.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import sqlalchemy as sa
import sqlglot
from mcp import Client, StdioServerParameters
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from connectors.sql.engine import SqlDatabase  # noqa: E402
from connectors.sql.guard import guard_sql  # noqa: E402
from testkit.sql_corpus import HOSTILE, LEGIT  # noqa: E402

ACME = REPO / "examples" / "acme" / "acme.db"
ROUND_TRIP_SQL = {
    "count(*) of orders": "SELECT count(*) FROM orders",
    "top-10 revenue, 3-way join": "SELECT c.name, SUM(i.amount) AS revenue FROM invoices i "
    "JOIN orders o USING (order_id) JOIN customers c USING (customer_id) "
    "GROUP BY c.name ORDER BY revenue DESC LIMIT 10",
    "8 rows of products": "SELECT * FROM products WHERE category = 'Sensors'",
}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def time_each(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def guard_costs(rounds: int) -> Table:
    mix = [(d, sql) for d, sql in LEGIT] + [(d, sql) for d, sql, _ in HOSTILE[:: max(1, len(HOSTILE) // 20)]]
    guard_t, parse_t = [], []

    def guard_one(dialect: str, sql: str) -> None:
        try:
            guard_sql(sql, dialect=dialect, max_rows=201)
        except Exception:
            pass

    def parse_one(dialect: str, sql: str) -> None:
        try:
            sqlglot.parse(sql, read=dialect)
        except Exception:
            pass

    for dialect, sql in mix:
        guard_one(dialect, sql)  # warm caches
        guard_t += time_each(lambda: guard_one(dialect, sql), rounds)
        parse_t += time_each(lambda: parse_one(dialect, sql), rounds)

    g50, g95 = percentiles(guard_t)
    p50, p95 = percentiles(parse_t)
    table = Table(title=f"Guard cost per query ({len(mix)} queries x {rounds} rounds)")
    for column in ("step", "p50 µs", "p95 µs", "x parse (p50)"):
        table.add_column(column, justify="right")
    table.add_row("sqlglot.parse (baseline)", f"{p50 * 1e6:.0f}", f"{p95 * 1e6:.0f}", "1.00")
    table.add_row("guard_sql (parse+checks+render)", f"{g50 * 1e6:.0f}", f"{g95 * 1e6:.0f}", f"{g50 / p50:.2f}")
    return table


async def mcp_times(db_path: Path, rounds: int) -> dict[str, list[float]]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "servers", "sql", "--db", f"sqlite:///{db_path}"],
        env=dict(os.environ),
        cwd=str(REPO),
    )
    times: dict[str, list[float]] = {}
    async with Client(params) as client:
        for sql in ROUND_TRIP_SQL.values():
            await client.call_tool("run_query", {"sql": sql})
            samples = []
            for _ in range(rounds):
                start = time.perf_counter()
                result = await client.call_tool("run_query", {"sql": sql})
                samples.append(time.perf_counter() - start)
                assert not result.is_error, result.content
            times[sql] = samples
    return times


def round_trips(rounds: int) -> Table:
    tmp = Path(tempfile.mkdtemp())
    db_path = Path(shutil.copy(ACME, tmp / "acme.db"))
    plain = sa.create_engine(f"sqlite:///{db_path}")
    ours = SqlDatabase(f"sqlite:///{db_path}")

    def direct(sql: str) -> None:
        with plain.connect() as conn:
            conn.exec_driver_sql(sql).fetchmany(201)

    over_mcp = anyio.run(mcp_times, db_path, rounds)
    table = Table(title=f"run_query round trip, SQLite demo DB ({rounds} rounds, p50 ms)")
    for column in ("query", "SQLAlchemy", "SqlDatabase", "MCP stdio", "MCP / SQLAlchemy", "p95 MCP"):
        table.add_column(column, justify="right")
    for label, sql in ROUND_TRIP_SQL.items():
        direct(sql)
        d50, _ = percentiles(time_each(lambda: direct(sql), rounds))
        o50, _ = percentiles(time_each(lambda: ours.run_query(sql), rounds))
        m50, m95 = percentiles(over_mcp[sql])
        table.add_row(
            label, f"{d50 * 1e3:.2f}", f"{o50 * 1e3:.2f}", f"{m50 * 1e3:.2f}",
            f"{m50 / d50:.1f}x", f"{m95 * 1e3:.2f}",
        )
    plain.dispose()
    ours.close()
    shutil.rmtree(tmp)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # the hostile mix warns by design
    console = Console(width=120)
    console.print(guard_costs(args.rounds))
    console.print(round_trips(args.rounds))


if __name__ == "__main__":
    main()
