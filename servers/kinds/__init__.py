"""The kinds of source ragbox's own servers serve, one descriptor each, looked up by ``kind``.

``[[mcp_servers]]`` sources are not here: they are other people's servers, which
the agent reaches directly.
"""

from servers.kinds.api import ApiKind
from servers.kinds.base import Build, ServedKind, SourceStatus
from servers.kinds.database import DatabaseKind
from servers.kinds.documents import DocumentsKind

__all__ = ["SERVED", "ApiKind", "Build", "DatabaseKind", "DocumentsKind", "ServedKind", "SourceStatus"]

SERVED: dict[str, ServedKind] = {k.kind: k for k in (DocumentsKind(), DatabaseKind(), ApiKind())}
"""Registration order is tool order in ``servers all``."""
