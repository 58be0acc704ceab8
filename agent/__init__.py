"""The ragbox agent: an MCP client that routes a question, acts, and answers with citations.

    with Agent(config, default_specs(config, path, env), env=env) as agent:
        answer = agent.ask("How many days of leave do I get?")
"""

from agent.agent import Agent
from agent.answer import NOT_FOUND, Answer, Turn
from agent.context import Citation, ContextBlock
from agent.errors import (
    AgentError,
    LLMFailed,
    LLMTimeout,
    LLMUnavailable,
    ModelNotFound,
    ServerUnavailable,
    SourceError,
)
from agent.kinds import KINDS, SourceKind
from agent.mcp_hub import McpHub, ServerSpec
from agent.routing import Route
from agent.settings import AgentSettings
from agent.specs import default_specs
from agent.trace import LLMCall, Step, Trace
from connectors.errors import RagboxError

__all__ = [
    "NOT_FOUND",
    "Agent",
    "AgentError",
    "AgentSettings",
    "Answer",
    "Citation",
    "ContextBlock",
    "KINDS",
    "LLMCall",
    "LLMFailed",
    "LLMTimeout",
    "LLMUnavailable",
    "McpHub",
    "ModelNotFound",
    "RagboxError",
    "Route",
    "ServerSpec",
    "ServerUnavailable",
    "SourceError",
    "SourceKind",
    "Step",
    "Trace",
    "Turn",
    "default_specs",
]
