"""The agent's knobs, with their defaults in one place."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AgentSettings"]


@dataclass(frozen=True, kw_only=True)
class AgentSettings:
    """How the agent routes and acts. Benchmarks switch stages off through these."""

    embedding_router: bool = True
    """Try the embedding router before asking the LLM."""
    min_score: float = 0.30
    """The router's best score (best cosine plus evidence bonuses, agent/routing/params.py)
    must reach this…"""
    margin: float = 0.20
    """…and beat the runner-up by this much, or the LLM decides. The defaults when
    ``python -m agent route fit`` has stored no fit in data_dir (router.json). With MiniLM on
    the demo's ``tune`` questions: no misroutes from a margin of 0.15 up (4 at 0.12); 0.20
    keeps some room for a company the defaults were not made on."""
    knn_k: int = 5
    """Nearest profile items that vote for their source."""
    knn_temperature: float = 0.05
    """Softmax temperature of the vote's weights, on cosines."""
    vote_weight: float = 0.0
    """Weight of the vote beside the best cosine in a source's score."""
    identifier_weight: float = 1.0
    """Bonus for an identifier shaped like the source's path parameters ("ticket 42")."""
    value_weight: float = 0.0
    """Bonus for a value stored in one of the source's columns (names also occur in
    questions for other sources)."""
    router_candidates: int = 3
    """Sources the LLM router chooses among: the best-scored ones."""
    schema_linking: bool = True
    """Describe only the tables most similar to the question, not all of them."""
    linked_tables: int = 4
    """How many tables schema linking keeps."""
    top_k: int = 3
    """Passages to fetch from a documents source. A 1.5B model answered more questions right
    from the best three than from five (issue 11), and each passage costs prompt tokens."""
    max_tool_steps: int = 3
    """Tool-calling steps per question for APIs and other MCP servers."""
    max_rows_in_prompt: int = 50
    """Rows of a query result shown to the LLM."""
    max_block_chars: int = 4_000
    """Characters of one tool result shown to the LLM."""
