"""The errors ragbox raises on purpose, and the root every one of them shares.

Every message says what went wrong and what to do next, in words an LLM (or a
person) can act on. Catch :class:`RagboxError` at an edge (a CLI, the eval run) to
handle any of them; each branch is defined by the package named on its right.

    RagboxError                    connectors.errors: the one root
    ├── ConnectorError             connectors.errors: a connector failed
    │   ├── ConfigError            the config file is missing, unreadable or invalid
    │   ├── SqlError
    │   │   ├── SqlRefused         the guard refused the statement (carries the rule)
    │   │   ├── SqlTimeout         the query ran past its time limit
    │   │   ├── SqlTooLarge        the query built or returned more data than a size limit allows
    │   │   └── SqlExecutionError  the database rejected the statement
    │   ├── DocumentError          a document could not be loaded, indexed or found
    │   │   ├── EmbedderError      an embedder could not start, or failed to embed
    │   │   └── BinaryContent      connectors.docs.encoding: the file is not text
    │   └── RestError              an API spec or call failed (its tree: connectors.rest.errors)
    └── AgentError                 agent.errors: the agent failed (its tree is drawn there)
        ├── LLMUnavailable         the LLM server cannot be reached
        ├── LLMTimeout             the LLM server did not answer within [llm] timeout_s
        ├── ModelNotFound          the LLM server does not have the model
        ├── LLMFailed              the LLM server answered with an error, or with nothing usable
        ├── ServerUnavailable      an MCP server could not be started, reached, or died
        ├── SourceError            a source name is unknown, or a source has no usable tools
        └── QuestionsError         agent.eval.questions: a questions file is unreadable or invalid
"""

from __future__ import annotations

__all__ = [
    "RagboxError",
    "ConnectorError",
    "ConfigError",
    "SqlError",
    "SqlRefused",
    "SqlTimeout",
    "SqlTooLarge",
    "SqlExecutionError",
    "DocumentError",
    "EmbedderError",
    "RestError",
]


class RagboxError(Exception):
    """Base class for every error ragbox raises on purpose, in any layer."""


class ConnectorError(RagboxError):
    """Base class for every error a connector raises on purpose."""


class ConfigError(ConnectorError):
    """The config file is missing, unreadable or invalid."""


class SqlError(ConnectorError):
    """A SQL statement was refused or failed."""


class SqlRefused(SqlError):
    """The read-only guard refused a statement; ``rule`` names the rule it broke."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


class SqlTimeout(SqlError):
    """The query ran past its time limit and was cancelled."""


class SqlTooLarge(SqlError):
    """The query built or returned more data than a size or memory limit allows; ``limit`` names it.

    ``limit`` is the name a person would look up: ``SQLITE_LIMIT_LENGTH``,
    ``hard_heap_limit``, ``max_value_bytes``, ``max_result_bytes``, ``temp_file_limit`` …
    """

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


class SqlExecutionError(SqlError):
    """The database rejected or failed the statement."""


class DocumentError(ConnectorError):
    """A document could not be loaded, indexed or found."""


class EmbedderError(DocumentError):
    """An embedder could not start (model files, server), or failed to embed.

    A :class:`DocumentError` because the documents tools report it the same way.
    """


class RestError(ConnectorError):
    """An OpenAPI spec could not be used, or an API call failed."""
