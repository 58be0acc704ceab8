"""How a source's tools are named: the one place a tool name is qualified by its source.

A qualified name is for people and LLMs to read (``sales_run_query``); programs
never parse it back. A server says which source a tool belongs to in the tool's
``_meta`` (see :data:`SOURCE_META`), and a client keeps that as a field.
"""

from __future__ import annotations

__all__ = ["SOURCE_META", "SOURCE_NAME", "TOOL_META", "UNAVAILABLE_META", "UNAVAILABLE_TOOL", "qualify"]

SOURCE_NAME = r"^[a-z][a-z0-9_]{0,39}$"
"""Source names start tool names, so they are short snake_case words."""

SOURCE_META = "ragbox/source"
"""The ``_meta`` key of a tool that names the source it reads."""

TOOL_META = "ragbox/tool"
"""The ``_meta`` key of a tool that names it without its source (``run_query``)."""

UNAVAILABLE_TOOL = "unavailable"
"""The one tool a source that could not be opened keeps, named ``<source>_unavailable``."""

UNAVAILABLE_META = "ragbox/unavailable"
"""The ``_meta`` key of that tool: why the source is unavailable and what to fix."""


def qualify(source: str, tool: str) -> str:
    """``<source>_<tool>``: a tool name that stays unique when several sources share a server."""
    return f"{source}_{tool}"
