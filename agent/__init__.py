"""The ragbox agent: an MCP client that routes a question, acts, and answers with citations.

    with Agent(config, default_specs(config, path, env), env=env) as agent:
        answer = agent.ask("How many days of leave do I get?")
"""

from agent.agent import Agent
from agent.answer import NOT_FOUND, Answer, Turn
from agent.context import Citation, ContextBlock
from agent.errors import AgentError, LLMFailed, LLMUnavailable, ModelNotFound, ServerUnavailable, SourceError
from agent.mcp_hub import McpHub, ServerSpec, default_specs
from agent.routing import Route
from agent.settings import AgentSettings
from agent.sources import Source
from agent.trace import LLMCall, Step, Trace

__all__ = [
    "NOT_FOUND",
    "Agent",
    "AgentError",
    "AgentSettings",
    "Answer",
    "Citation",
    "ContextBlock",
    "LLMCall",
    "LLMFailed",
    "LLMUnavailable",
    "McpHub",
    "ModelNotFound",
    "Route",
    "ServerSpec",
    "ServerUnavailable",
    "Source",
    "SourceError",
    "Step",
    "Trace",
    "Turn",
    "default_specs",
]
