"""What the audit log costs per tool call.

1. ``AuditLog.write`` alone: one INSERT committed with WAL + ``synchronous=FULL``
   (one fsync of the WAL per call), and the same INSERT with ``synchronous=NORMAL``
   (no fsync; survives a process crash but not a power cut) for comparison.
2. A real tool call (``sales_list_tables`` on the demo database, in memory) with no
   gate, with the gate but no log, and with the gate and the log.

    python benchmarks/audit_cost.py [--calls N] [--dir DIR]

``--dir`` puts the log on the disk you mean to measure (default: a temporary folder).
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mcp import Client  # noqa: E402

from connectors.config import parse_config  # noqa: E402
from servers.all import build_all_server  # noqa: E402
from servers.audit import AuditEntry, AuditLog, utc_stamp  # noqa: E402
from servers.gate import install_gate  # noqa: E402

ACME_DB = Path(__file__).resolve().parent.parent / "examples" / "acme" / "acme.db"


def _entry(i: int) -> AuditEntry:
    return AuditEntry(ts=utc_stamp(), client="bench", transport="stdio", source="sales", tool="sales_run_query",
                      arguments=f'{{"sql":"SELECT * FROM orders WHERE id = {i}"}}', outcome="ok", rows=1,
                      bytes=420, duration_ms=2.5)


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return (f"median {statistics.median(samples) * 1000:.2f} ms, mean {statistics.mean(samples) * 1000:.2f} ms, "
            f"p95 {p95 * 1000:.2f} ms")


def _writes(folder: Path, calls: int, synchronous: str) -> list[float]:
    log = AuditLog(folder / f"audit-{synchronous.lower()}.db")
    log._conn.execute(f"PRAGMA synchronous = {synchronous}")  # the comparison only; the server always uses FULL
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        log.write(_entry(i))
        samples.append(time.perf_counter() - started)
    log.close()
    return samples


async def _calls(server, calls: int) -> list[float]:
    samples = []
    async with Client(server) as client:
        for _ in range(5):
            await client.call_tool("sales_list_tables", {})
        for _ in range(calls):
            started = time.perf_counter()
            await client.call_tool("sales_list_tables", {})
            samples.append(time.perf_counter() - started)
    return samples


@click.command()
@click.option("--calls", default=300, show_default=True)
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None)
def main(calls: int, folder: Path | None) -> None:
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        tmp_path = Path(tmp)
        print(f"SQLite {sqlite3.sqlite_version}, log in {tmp_path}, {calls} calls, {os.cpu_count()} CPUs")
        for synchronous in ("FULL", "NORMAL"):
            print(f"AuditLog.write, WAL + synchronous={synchronous}: {_ms(_writes(tmp_path, calls, synchronous))}")
        config = parse_config({"embeddings": {"provider": "hashing"}, "data_dir": str(tmp_path / "data"),
                               "databases": [{"name": "sales", "url": f"sqlite:///{ACME_DB}"}]}, base_dir=tmp_path)
        for label, gate, audit in (("no gate", False, False), ("gate, no log", True, False),
                                   ("gate + log", True, True)):
            server = build_all_server(config, os.environ)
            log = AuditLog(tmp_path / f"calls-{len(label)}.db") if audit else None
            if gate:
                install_gate(server, audit=log)
            print(f"sales_list_tables in memory, {label}: {_ms(anyio.run(_calls, server, calls))}")
            if log is not None:
                log.close()


if __name__ == "__main__":
    main()
