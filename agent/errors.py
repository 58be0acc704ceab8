"""The errors the agent raises on purpose; each message says what to do next.

    AgentError
    ├── LLMUnavailable     the LLM server cannot be reached (names the host)
    ├── ModelNotFound      the LLM server does not have the model (names the pull command)
    ├── LLMFailed          the LLM server answered with an error, or with nothing usable
    ├── ServerUnavailable  an MCP server could not be started, reached, or died
    └── SourceError        a source name is unknown, or a source has no usable tools
"""

from __future__ import annotations

__all__ = [
    "AgentError",
    "LLMFailed",
    "LLMUnavailable",
    "ModelNotFound",
    "ServerUnavailable",
    "SourceError",
]


class AgentError(Exception):
    """Base class for every error the agent raises on purpose."""


class LLMUnavailable(AgentError):
    """The LLM server cannot be reached."""


class ModelNotFound(AgentError):
    """The LLM server does not have the configured model."""


class LLMFailed(AgentError):
    """The LLM server answered with an error, or with nothing usable."""


class ServerUnavailable(AgentError):
    """An MCP server could not be started or reached, or stopped answering."""


class SourceError(AgentError):
    """A source name is unknown, or a source exposes no tools the agent can use."""
