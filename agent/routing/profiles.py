"""Source profiles: short texts that say what each source can answer.

A profile is a list of items (description, example questions, table names with
their columns, document titles, operation summaries); the router scores a
source by its best-matching item, so one strong match is not diluted by many
unrelated ones.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.catalog import MAX_TABLES_PROFILED, Catalog
from agent.sources import Source

__all__ = ["profile_items"]


def _documents(source: Source, catalog: Catalog) -> list[str]:
    return catalog.document_titles(source.name)


def _database(source: Source, catalog: Catalog) -> list[str]:
    items = []
    for table in catalog.tables(source.name)[:MAX_TABLES_PROFILED]:
        schema = catalog.describe(source.name, table.name)
        columns = ", ".join(c.name for c in schema.columns) if schema else ""
        comment = f" ({table.comment})" if table.comment else ""
        items.append(f"{table.name}{comment}: {columns}")
    return items


def _tools(source: Source, catalog: Catalog) -> list[str]:
    return [f"{t.remote_name}: {t.description.split('. ')[0][:200]}" for t in catalog.tools(source.name)]


_EXPOSED: dict[str, Callable[[Source, Catalog], list[str]]] = {
    "documents": _documents,
    "database": _database,
    "api": _tools,
    "mcp": _tools,
}


def profile_items(source: Source, catalog: Catalog) -> list[str]:
    """What ``source`` is about: description, examples, then what its server exposes."""
    items = [source.description, *source.examples, *_EXPOSED[source.kind](source, catalog)]
    return [item for item in items if item.strip()]
