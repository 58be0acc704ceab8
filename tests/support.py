"""Helpers shared by tests: demo data, MCP server subprocesses, environment lookups.

What benchmarks need too (ports, subprocesses, the fake LLM) lives in ``testkit``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.servers import free_port, running

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
TICKETS_TOKEN = "test-tickets-token"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(reason: str) -> None:
    """Skip locally when an outside part is missing; in CI, fail instead."""
    if in_ci():
        pytest.fail(f"{reason} (CI must run this test)")
    pytest.skip(reason)


@contextlib.contextmanager
def mcp_http_server(
    *server_args: str, env: dict[str, str] | None = None, host: str = "127.0.0.1"
) -> Iterator[str]:
    """``python -m servers ARGS --transport http`` on a free port; yields the base URL."""
    port = free_port()
    args = [sys.executable, "-m", "servers", *server_args, "--transport", "http",
            "--host", host, "--port", str(port)]
    with running(args, ready_url=f"http://127.0.0.1:{port}/healthz", env=env):
        yield f"http://127.0.0.1:{port}"


ACME_DB = EXAMPLES / "acme" / "acme.db"


def data_digest(url: str) -> tuple[tuple[str, ...], dict[str, int], str]:
    """(table names, row counts, sha256 of every row): equal data gives equal results."""
    import hashlib

    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            metadata = sa.MetaData()
            metadata.reflect(conn)
            digest = hashlib.sha256()
            counts = {}
            for name in sorted(metadata.tables):
                table = metadata.tables[name]
                rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns or table.columns)).all()
                counts[name] = len(rows)
                digest.update(name.encode() + repr(rows).encode())
            return tuple(sorted(metadata.tables)), counts, digest.hexdigest()
    finally:
        engine.dispose()


def copy_acme_to(url: str) -> None:
    """Replace the tables at ``url`` with the demo sales data (for PostgreSQL tests)."""
    import sqlalchemy as sa

    source = sa.create_engine(f"sqlite:///{ACME_DB}")
    target = sa.create_engine(url)
    metadata = sa.MetaData()
    with source.connect() as src:
        metadata.reflect(src)
        with target.begin() as dst:
            metadata.drop_all(dst)
            metadata.create_all(dst)
            for table in metadata.sorted_tables:
                rows = [dict(r._mapping) for r in src.execute(sa.select(table))]
                if rows:
                    dst.execute(table.insert(), rows)
            dst.execute(sa.text("COMMENT ON TABLE customers IS 'Companies that buy from Acme'"))
            dst.execute(sa.text("ANALYZE"))
    source.dispose()
    target.dispose()


def write_demo_config(tmp_path: Path, db: Path, tickets_url: str, *, docs: str = "") -> Path:
    """A ragbox.toml over the demo sources; the hashing embedder keeps ingest fast."""
    docs = docs or str(EXAMPLES / "acme" / "docs")
    path = tmp_path / "ragbox.toml"
    path.write_text(f"""
data_dir = "{tmp_path / 'data'}"
[embeddings]
provider = "hashing"

[[documents]]
name = "handbook"
paths = ["{docs}"]
description = "Acme's employee handbook, manuals, release notes and meeting notes"

[[databases]]
name = "sales"
url = "sqlite:///{db}"
description = "Customers, orders and invoices"

[[apis]]
name = "tickets"
openapi = "{EXAMPLES / 'tickets' / 'openapi.yaml'}"
base_url = "{tickets_url}"
description = "Support tickets: current status, assignee, comments"
auth = {{ type = "bearer", token_env = "TICKETS_TOKEN" }}
""")
    return path


def run_async(coro_fn, *args, timeout: float = 90.0):
    """Run ``coro_fn(*args)`` on a fresh event loop, bounded by ``timeout`` seconds."""
    import anyio

    async def main():
        with anyio.fail_after(timeout):
            return await coro_fn(*args)

    return anyio.run(main)


def need_embedded_model() -> None:
    """llama-cpp-python and the default GGUF model (`make model`), or need()."""
    import importlib.util

    from agent.models import DEFAULT_MODEL, MODELS, ModelMissing, locate, model_dirs

    if importlib.util.find_spec("llama_cpp") is None:
        need("llama-cpp-python is not installed (`make local`)")
    try:
        locate(MODELS[DEFAULT_MODEL], model_dirs())
    except ModelMissing:
        need("the default model is not downloaded (`make model`)")
