"""The agent's knobs, with their defaults in one place."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AgentSettings"]


@dataclass(frozen=True, kw_only=True)
class AgentSettings:
    """How the agent routes and acts. Benchmarks switch stages off through these."""

    embedding_router: bool = True
    """Try the embedding router before asking the LLM."""
    min_score: float = 0.20
    """The embedding router's best score must reach this (cosine)…"""
    margin: float = 0.10
    """…and beat the runner-up by this much, or the LLM decides. Calibrated on the example
    questions with MiniLM: no misroutes; every database question and a quarter of the
    document questions are routed without an LLM call (benchmarks/agent_overhead.py)."""
    schema_linking: bool = True
    """Describe only the tables most similar to the question, not all of them."""
    linked_tables: int = 4
    """How many tables schema linking keeps."""
    top_k: int = 5
    """Passages to fetch from a documents source."""
    max_tool_steps: int = 3
    """Tool-calling steps per question for APIs and other MCP servers."""
    max_rows_in_prompt: int = 50
    """Rows of a query result shown to the LLM."""
    max_block_chars: int = 4_000
    """Characters of one tool result shown to the LLM."""
