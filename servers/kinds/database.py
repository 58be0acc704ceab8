"""Databases: one read-only engine and three SQL tools per source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mcp.server.mcpserver import MCPServer

from connectors.config import Config, DatabaseSource, SourceConfig
from connectors.names import qualify
from connectors.sql.engine import SqlDatabase
from servers.kinds.base import Build, Register, ServedKind, SourceStatus
from servers.sql import register_sql_tools

__all__ = ["DatabaseKind"]


class DatabaseKind(ServedKind):
    kind = DatabaseSource.kind
    label = "SQL database"

    def prepare(self, sources: Sequence[SourceConfig], build: Build) -> Register:
        opened: list[tuple[str, SqlDatabase]] = []
        for source in sources:
            assert isinstance(source, DatabaseSource)

            def connect(source: DatabaseSource = source) -> None:
                db = SqlDatabase.from_source(source, build.env)
                build.opened.append(db)
                db.list_tables()  # reach the database now, not on the first question
                opened.append((source.name, db))

            build.attempt([source], connect)

        def register(server: MCPServer) -> None:
            for name, db in opened:
                register_sql_tools(server, [db], source=name)

        return register

    def tools(self, source: SourceConfig) -> str:
        return ", ".join(qualify(source.name, t) for t in ("list_tables", "describe_table", "run_query", "find_values"))

    def check(self, source: SourceConfig, config: Config, env: Mapping[str, str]) -> SourceStatus:
        assert isinstance(source, DatabaseSource)
        db = SqlDatabase.from_source(source, env)
        try:
            tables = db.list_tables()
        finally:
            db.close()
        if not tables:
            return SourceStatus(source.name, self.kind, False, "0 tables",
                                "the database has no tables the allow-list lets through")
        return SourceStatus(source.name, self.kind, True, f"{len(tables)} tables ({db.dialect_name})")
