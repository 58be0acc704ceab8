"""What governed data costs per query: masks (lineage) and row filters, against the same queries ungoverned.

    .venv/bin/python benchmarks/sql_policy.py [--rounds N]

The demo sales database (SQLite) is opened four times in one process: plain, with
masks on ``customers.email`` (email_domain) and ``employees.email`` (hash), with a row
filter binding ``customers.region_id`` to a claim, and with both. Each query of a mix
that touches those tables runs ``--rounds`` times on each; the table shows p50 per
query and the ratio to plain, measured in the same run. A second table isolates the
guard (parse, check, rewrite, lineage) from the execution.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from connectors.config import ColumnMask, RowFilter  # noqa: E402
from connectors.sql.engine import SqlDatabase  # noqa: E402
from connectors.sql.guard import RowScope, fold_name, guard_sql  # noqa: E402
from connectors.sql.policy import Masks  # noqa: E402

ACME = REPO / "examples" / "acme" / "acme.db"
MASKS = [ColumnMask(table="customers", column="email", policy="email_domain"),
         ColumnMask(table="employees", column="email", policy="hash")]
FILTERS = [RowFilter(table="customers", column="region_id", claim="region")]
CLAIMS = {"sub": "bench", "region": [1, 2]}
QUERIES = [
    "SELECT name, email FROM customers WHERE industry = 'Retail'",
    "SELECT COUNT(*) FROM customers",
    "SELECT c.name, COUNT(o.order_id) AS n FROM customers c JOIN orders o ON o.customer_id = c.customer_id "
    "GROUP BY c.name ORDER BY n DESC LIMIT 5",
    "WITH big AS (SELECT customer_id FROM orders GROUP BY customer_id HAVING COUNT(*) > 50) "
    "SELECT c.name FROM customers c WHERE c.customer_id IN (SELECT customer_id FROM big)",
    "SELECT e.name, e.email, r.name FROM employees e JOIN regions r ON r.region_id = e.region_id",
    "SELECT name FROM customers UNION SELECT name FROM employees",
]


def p50_us(fn: Callable[[], object], rounds: int) -> float:
    fn()  # warm: caches, the schema map, SQLite's page cache
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    url = f"sqlite:///{ACME}"
    setups = {
        "plain": (SqlDatabase(url), None),
        "masks": (SqlDatabase(url, masks=MASKS), None),
        "row filter": (SqlDatabase(url, row_filters=FILTERS), CLAIMS),
        "both": (SqlDatabase(url, masks=MASKS, row_filters=FILTERS), CLAIMS),
    }
    console = Console()

    table = Table(title=f"run_query p50 per query, µs ({args.rounds} rounds; ratio to plain)")
    table.add_column("query")
    for name in setups:
        table.add_column(name, justify="right")
    totals = dict.fromkeys(setups, 0.0)
    for sql in QUERIES:
        row = [sql[:48] + ("…" if len(sql) > 48 else "")]
        base = 0.0
        for name, (db, claims) in setups.items():
            us = p50_us(lambda db=db, claims=claims: db.run_query(sql, claims=claims), args.rounds)
            totals[name] += us
            base = base or us
            row.append(f"{us:,.0f}" + ("" if name == "plain" else f" ({us / base:.2f}x)"))
        table.add_row(*row)
    table.add_row("all queries", *(f"{t:,.0f}" + ("" if n == "plain" else f" ({t / totals['plain']:.2f}x)")
                                   for n, t in totals.items()))
    console.print(table)

    schema = setups["masks"][0]._catalog().columns
    masks = Masks.build(MASKS, b"k" * 32, fold_name)
    scope = RowScope({fold_name(f.table): f for f in FILTERS}, CLAIMS)
    guards: dict[str, Callable[[str], object]] = {
        "plain": lambda sql: guard_sql(sql, dialect="sqlite", max_rows=201),
        "masks": lambda sql: guard_sql(sql, dialect="sqlite", max_rows=201, masks=masks, schema=lambda: schema),
        "row filter": lambda sql: guard_sql(sql, dialect="sqlite", max_rows=201, rows=scope),
        "both": lambda sql: guard_sql(sql, dialect="sqlite", max_rows=201, masks=masks, schema=lambda: schema,
                                      rows=scope),
    }
    guard_table = Table(title="guard_sql alone, p50 over the mix, µs (ratio to plain)")
    for name in guards:
        guard_table.add_column(name, justify="right")
    sums = {n: sum(p50_us(lambda g=g, sql=sql: g(sql), args.rounds) for sql in QUERIES) / len(QUERIES)
            for n, g in guards.items()}
    guard_table.add_row(*(f"{v:,.0f}" + ("" if n == "plain" else f" ({v / sums['plain']:.2f}x)")
                          for n, v in sums.items()))
    console.print(guard_table)
    for db, _ in setups.values():
        db.close()


if __name__ == "__main__":
    main()
