"""The errors the REST connector raises, all under ``connectors.errors.RestError``.

    RestError
    ├── RestSpecError      the OpenAPI spec is missing, broken, too large or unsupported
    ├── RestArgumentError  a tool argument is wrong (carries ``argument``); nothing was sent
    ├── RestRefused        the request would leave the configured API; nothing was sent
    ├── RestTimeout        the API did not answer in time
    ├── RestUnavailable    the API could not be reached, or kept answering 429/503
    └── RestHttpError      the API answered with a non-2xx status (carries ``status``)
"""

from __future__ import annotations

from connectors.errors import RestError

__all__ = [
    "RestArgumentError",
    "RestError",
    "RestHttpError",
    "RestRefused",
    "RestSpecError",
    "RestTimeout",
    "RestUnavailable",
]


class RestSpecError(RestError):
    """The OpenAPI spec cannot be turned into tools."""


class RestArgumentError(RestError):
    """A tool argument failed validation; ``argument`` names it (dotted path, or "" for the whole call)."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(message)
        self.argument = argument


class RestRefused(RestError):
    """The request would have left the API's origin or path prefix, so it was not sent."""


class RestTimeout(RestError):
    """The API did not answer within the configured timeout."""


class RestUnavailable(RestError):
    """The API could not be reached, or stayed overloaded after the allowed retries."""


class RestHttpError(RestError):
    """The API answered with a non-2xx status.

    ``summary`` is ours ("The 'x' API answered 404 Not Found."), ``hint`` says what
    to do next, and ``message`` is the API's own explanation (untrusted text, may be "").
    """

    def __init__(self, status: int, *, summary: str, hint: str, message: str) -> None:
        super().__init__(f"{summary} {hint}" + (f" The API said: {message}" if message else ""))
        self.status = status
        self.summary = summary
        self.hint = hint
        self.message = message
