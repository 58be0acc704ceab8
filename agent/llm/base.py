"""The one interface every chat backend implements, and the typed values it trades in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from connectors.config import LLMConfig

__all__ = ["ChatMessage", "ChatModel", "ChatReply", "TokenSink", "ToolCall", "ToolSpec"]

TokenSink = Callable[[str], None]
"""Receives each piece of streamed text as it arrives."""


@dataclass(frozen=True, kw_only=True)
class ChatMessage:
    role: str  # system | user | assistant
    content: str


@dataclass(frozen=True, kw_only=True)
class ToolSpec:
    """A tool as the LLM sees it; ``parameters`` is the MCP input schema, unchanged."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class ToolCall:
    """A tool call the model asked for; ``arguments`` is the raw string when it was not JSON."""

    name: str
    arguments: dict[str, Any] | str


@dataclass(frozen=True, kw_only=True)
class ChatReply:
    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    prompt_tokens: int = 0
    output_tokens: int = 0
    #: Leading prompt tokens the server did not read again (a prompt-cache hit); 0 when unknown.
    cached_tokens: int = 0
    model: str = ""


@dataclass(kw_only=True)
class ChatModel(ABC):
    """A chat backend for one model on one server.

    ``chat`` sends ``messages``; with ``schema`` the reply text is JSON matching it,
    with ``tools`` the model may answer with tool calls instead, and with
    ``on_token`` the reply streams, piece by piece, to that callable.
    """

    provider: ClassVar[str]
    config: LLMConfig
    model: str
    api_key: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return self.config.host

    def describe(self) -> str:
        """Which LLM this is, for people: provider, model and where it runs."""
        return f"{self.provider} {self.model} at {self.host}"

    def warm(self) -> None:
        """Get ready for the first question (a long-running server calls this once); a server
        backend has nothing to do, since its server keeps the model loaded."""

    @abstractmethod
    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        schema: dict[str, Any] | None = None,
        tools: Sequence[ToolSpec] = (),
        on_token: TokenSink | None = None,
    ) -> ChatReply:
        """Send ``messages`` and return the model's reply with its token counts."""
