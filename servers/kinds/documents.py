"""Documents: one index for every documents source, a pinned set of tools per source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mcp.server.mcpserver import MCPServer

from connectors.config import Config, DocumentsSource, SourceConfig
from connectors.docs import DocumentIndex
from connectors.names import qualify
from servers.docs import register_docs_resources, register_docs_tools
from servers.kinds.base import Build, Register, ServedKind, SourceStatus

__all__ = ["DocumentsKind"]


class DocumentsKind(ServedKind):
    kind = DocumentsSource.kind
    label = "documents"

    def prepare(self, sources: Sequence[SourceConfig], build: Build) -> Register:
        # Every documents source lives in one index: it opens for all of them, or for none.
        opened: list[DocumentIndex] = []

        def open_index() -> None:
            index = build.index
            if index is None:
                index = DocumentIndex.open(build.config)
                build.opened.append(index)
            index.check()
            opened.append(index)

        if not build.attempt(sources, open_index):
            return lambda server: None
        (index,) = opened

        def register(server: MCPServer) -> None:
            for source in sources:
                register_docs_tools(server, index, source=source.name)
            register_docs_resources(server, index, per_source=True)

        return register

    def tools(self, source: SourceConfig) -> str:
        return ", ".join(qualify(source.name, t) for t in ("search_documents", "get_document"))

    def check(self, source: SourceConfig, config: Config, env: Mapping[str, str]) -> SourceStatus:
        with DocumentIndex.open(config) as index:
            index.check()
            (info,) = [s for s in index.list_sources() if s.name == source.name]
        chunks = sum(d.chunks for d in info.documents)
        counts = f"{len(info.documents)} documents, {chunks} chunks"
        if not info.documents:
            return SourceStatus(source.name, self.kind, False, counts,
                                "not indexed yet: run python -m servers docs ingest --config FILE")
        return SourceStatus(source.name, self.kind, True, counts)
