"""Governed test databases: the same tables on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)

Tables = dict[str, tuple[list[str], list[tuple]]]  # name -> (column DDL, rows)


def load_tables(url: str, tables: Tables) -> None:
    """Create ``tables`` at ``url``, replacing any of the same names (and any view over them)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for name, (columns, rows) in tables.items():
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}" + (" CASCADE" if url.startswith("postgres") else ""))
            conn.exec_driver_sql(f"CREATE TABLE {name} ({', '.join(columns)})")
            if rows:
                marks = ", ".join("?" if url.startswith("sqlite") else "%s" for _ in rows[0])
                conn.exec_driver_sql(f"INSERT INTO {name} VALUES ({marks})", rows)
    engine.dispose()


@pytest.fixture(scope="session")
def governed_pg_url(pg_url: str) -> str:
    """A PostgreSQL database of its own, so these tables never show in the demo database's listing."""
    url = sa.make_url(pg_url)
    name = f"{url.database}_governed"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", POSTGRES])
def governed_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Tables], str]:
    """A function that loads tables into a fresh SQLite file, or the scratch PostgreSQL, and returns its URL."""

    def make(tables: Tables) -> str:
        url = f"sqlite:///{tmp_path / 'governed.db'}" if request.param == "sqlite" else request.getfixturevalue("governed_pg_url")
        load_tables(url, tables)
        return url

    return make
