"""Source kinds on the server side: one descriptor per kind, names and metadata per source."""

from pathlib import Path

import anyio
from mcp import Client

from connectors.config import SourceConfig, parse_config
from connectors.docs import MAX_PAGE_CHARS
from servers.all import build_all_server
from servers.base import new_server
from servers.kinds import SERVED
from tests.support import run_async as run


def test_every_served_kind_is_a_config_kind_and_only_mcp_is_left_to_the_agent():
    config_kinds = {cls.kind for cls in SourceConfig.__subclasses__()}
    assert set(SERVED) <= config_kinds
    assert config_kinds - set(SERVED) == {"mcp"}


def test_sources_whose_names_share_a_prefix_keep_their_own_tools(acme_sqlite: Path):
    config = parse_config({"databases": [
        {"name": "sales", "url": f"sqlite:///{acme_sqlite}", "description": "Sales"},
        {"name": "sales_eu", "url": f"sqlite:///{acme_sqlite}", "description": "European sales"},
    ]}, base_dir=acme_sqlite.parent)

    async def check():
        async with Client(build_all_server(config, {})) as client:
            return {t.name: t.meta for t in (await client.list_tools()).tools}, client.instructions

    tools, instructions = run(check)
    assert tools["sales_run_query"] == {"ragbox/source": "sales", "ragbox/tool": "run_query"}
    assert tools["sales_eu_run_query"] == {"ragbox/source": "sales_eu", "ragbox/tool": "run_query"}
    assert sorted(name for name, meta in tools.items() if meta["ragbox/source"] == "sales") == [
        "sales_describe_table", "sales_find_values", "sales_list_tables", "sales_run_query"]
    assert "- sales_eu (SQL database; tools sales_eu_list_tables" in instructions


def test_a_truncated_resource_points_to_the_reader_of_its_own_source(tmp_path: Path):
    folder = tmp_path / "manuals"
    folder.mkdir()
    paragraph = "The P9 pump needs a new seal every 400 hours of running time. "
    (folder / "pump.md").write_text("# Pump P9\n\n" + paragraph * (MAX_PAGE_CHARS // len(paragraph) + 50))
    config = parse_config({"data_dir": str(tmp_path / "data"), "embeddings": {"provider": "hashing"},
                           "documents": [{"name": "manuals", "paths": [str(folder)]}]}, base_dir=tmp_path)
    from connectors.docs import DocumentIndex

    with DocumentIndex.open(config) as index:
        index.ingest()

        async def check():
            async with Client(build_all_server(config, {}, index=index)) as client:
                names = {t.name for t in (await client.list_tools()).tools}
                (resource,) = (await client.list_resources()).resources
                return names, (await client.read_resource(resource.uri)).contents[0].text

        names, text = run(check)
    hint = text.rsplit("[truncated", 1)[1]
    assert "use manuals_get_document with offset" in hint
    assert "manuals_get_document" in names and "get_document" not in names


class Recorder:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_a_server_closes_what_it_owns_once_its_last_session_ends():
    owned = Recorder()
    server = new_server("t", "test", owns=[owned])
    server.add_tool(lambda: "pong", name="ping")

    async def session(ready: anyio.Event, release: anyio.Event, done: anyio.Event) -> None:
        async with Client(server) as client:
            await client.call_tool("ping", {})
            ready.set()
            await release.wait()
        done.set()

    async def check() -> list[int]:
        seen = []
        a, b = [(anyio.Event(), anyio.Event(), anyio.Event()) for _ in range(2)]
        async with anyio.create_task_group() as tg:
            tg.start_soon(session, *a)
            await a[0].wait()
            tg.start_soon(session, *b)
            await b[0].wait()
            b[1].set()
            await b[2].wait()
            seen.append(owned.closed)  # one session still open
            a[1].set()
            await a[2].wait()
            seen.append(owned.closed)
        return seen

    assert run(check) == [0, 1]


def test_check_spells_each_kind_as_the_config_does_and_skips_the_agents_own(tmp_path: Path, acme_sqlite: Path):
    from connectors.config import load_config
    from servers.check import check_sources
    from tests.support import TICKETS_TOKEN, write_demo_config

    path = write_demo_config(tmp_path, acme_sqlite, "http://127.0.0.1:9")
    path.write_text(path.read_text() + '\n[[mcp_servers]]\nname = "wiki"\nurl = "http://127.0.0.1:9/mcp"\n')
    config = load_config(path)
    statuses = check_sources(config, {"TICKETS_TOKEN": TICKETS_TOKEN})
    assert [(s.name, s.kind) for s in statuses] == [("handbook", "documents"), ("sales", "database"),
                                                    ("tickets", "api")]
    assert [s.ok for s in statuses] == [False, True, False]  # not indexed; fine; nothing listens on :9
    assert statuses[1].counts == "7 tables (SQLite)"
