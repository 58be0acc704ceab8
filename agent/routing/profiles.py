"""Source profiles: short texts that say what each source can answer.

A profile is a list of items (description, example questions, then what the
source's kind finds on its server: table names with their columns, document
titles, operation summaries); the router scores a source by its best-matching
item, so one strong match is not diluted by many unrelated ones.
"""

from __future__ import annotations

from agent.catalog import Catalog
from agent.kinds import kind_of
from connectors.config import SourceConfig

__all__ = ["profile_items"]


def profile_items(source: SourceConfig, catalog: Catalog) -> list[str]:
    """What ``source`` is about: description, examples, then what its server exposes."""
    items = [source.description, *source.examples, *kind_of(source).profile(source, catalog)]
    return [item for item in items if item.strip()]
