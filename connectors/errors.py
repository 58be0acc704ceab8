"""The errors that connectors raise.

Every message says what went wrong and what to do next, in words an LLM (or a
person) can act on.

    ConnectorError
    ├── ConfigError            the config file is missing, unreadable or invalid
    ├── SqlError
    │   ├── SqlRefused         the guard refused the statement (carries the rule)
    │   ├── SqlTimeout         the query ran past its time limit
    │   └── SqlExecutionError  the database rejected the statement
    ├── DocumentError          a document could not be loaded, indexed or found
    └── RestError              an API spec or call failed
"""

from __future__ import annotations

__all__ = [
    "ConnectorError",
    "ConfigError",
    "SqlError",
    "SqlRefused",
    "SqlTimeout",
    "SqlExecutionError",
    "DocumentError",
    "RestError",
]


class ConnectorError(Exception):
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


class SqlExecutionError(SqlError):
    """The database rejected or failed the statement."""


class DocumentError(ConnectorError):
    """A document could not be loaded, indexed or found."""


class RestError(ConnectorError):
    """An OpenAPI spec could not be used, or an API call failed."""
