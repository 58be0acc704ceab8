"""The errors the agent raises on purpose; each message says what to do next.

``AgentError`` is the agent's branch of the one root, ``connectors.errors.RagboxError``
(the whole tree is drawn there):

    RagboxError                connectors.errors
    └── AgentError             agent.errors
        ├── LLMUnavailable     the LLM server cannot be reached (names the host)
        ├── LLMTimeout         the LLM server did not answer within [llm] timeout_s
        ├── ModelNotFound      the LLM server does not have the model (names the pull command)
        ├── LLMFailed          the LLM server answered with an error, or with nothing usable
        ├── ServerUnavailable  an MCP server could not be started, reached, or died
        ├── SourceError        a source name is unknown, or a source has no usable tools
        └── QuestionsError     agent.eval.questions: a questions file is unreadable or invalid
"""

from __future__ import annotations

from connectors.errors import RagboxError

__all__ = [
    "AgentError",
    "LLMFailed",
    "LLMTimeout",
    "LLMUnavailable",
    "ModelNotFound",
    "ServerUnavailable",
    "SourceError",
]


class AgentError(RagboxError):
    """Base class for every error the agent raises on purpose."""


class LLMUnavailable(AgentError):
    """The LLM server cannot be reached."""


class LLMTimeout(AgentError):
    """The LLM server did not answer within ``[llm] timeout_s``."""


class ModelNotFound(AgentError):
    """The LLM server does not have the configured model."""


class LLMFailed(AgentError):
    """The LLM server answered with an error, or with nothing usable."""


class ServerUnavailable(AgentError):
    """An MCP server could not be started or reached, or stopped answering."""


class SourceError(AgentError):
    """A source name is unknown, or a source exposes no tools the agent can use."""
