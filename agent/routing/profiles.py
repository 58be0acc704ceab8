"""Source profiles: short texts that say what each source can answer.

A profile is a list of items (description, example questions, then what the
source's kind finds on its server: table names with their columns, document
titles, operation summaries). Each item is a labelled text for the router's
nearest-neighbour vote, and one strong match is not diluted by many unrelated ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

from agent.catalog import Catalog
from agent.kinds import kind_of
from connectors.config import SourceConfig

__all__ = ["exposed_items", "profile_hash", "profile_items"]


def exposed_items(source: SourceConfig, catalog: Catalog) -> list[str]:
    """What ``source``'s server exposes (tables, document titles, operations), without the config's words.

    Nothing for a source that is down: the config's words still route to it, so that the
    agent can say it is down rather than answer from the wrong source.
    """
    if catalog.down(source.name) is not None:
        return []
    return [item for item in kind_of(source).profile(source, catalog) if item.strip()]


def profile_items(source: SourceConfig, catalog: Catalog) -> list[str]:
    """What ``source`` is about: description, examples, then what its server exposes."""
    items = [source.description, *source.examples, *exposed_items(source, catalog)]
    return [item for item in items if item.strip()]


def profile_hash(profiles: Mapping[str, Sequence[str]]) -> str:
    """A hash of every source's profile: a fit made for other profiles is stale."""
    text = json.dumps({name: list(items) for name, items in sorted(profiles.items())}, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
