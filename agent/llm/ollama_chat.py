"""Ollama, through the official client."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import ollama
import pydantic

from agent.errors import LLMFailed, LLMTimeout, LLMUnavailable, ModelNotFound
from agent.llm.base import ChatMessage, ChatModel, ChatReply, TokenSink, ToolCall, ToolSpec

__all__ = ["OllamaChat"]


def _tool(spec: ToolSpec) -> ollama.Tool:
    # model_construct keeps the schema whole: validation would drop anyOf, default,
    # minimum/maximum and additionalProperties (see PLATFORM_NOTES, ollama 0.6.3).
    function = ollama.Tool.Function.model_construct(
        name=spec.name, description=spec.description, parameters=spec.parameters
    )
    return ollama.Tool.model_construct(type="function", function=function)


@dataclass(kw_only=True)
class OllamaChat(ChatModel):
    """Chat with ``format`` for JSON schemas, native tools, streaming and ``keep_alive``."""

    provider: ClassVar[str] = "ollama"

    def __post_init__(self) -> None:
        self._client = ollama.Client(host=self.config.host, timeout=self.config.timeout_s)

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        schema: dict[str, Any] | None = None,
        tools: Sequence[ToolSpec] = (),
        on_token: TokenSink | None = None,
    ) -> ChatReply:
        options: dict[str, Any] = {"temperature": self.config.temperature, **self.options}
        if self.config.num_ctx:
            options["num_ctx"] = self.config.num_ctx
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "options": options,
        }
        if schema is not None:
            kwargs["format"] = schema
        if tools:
            kwargs["tools"] = [_tool(t) for t in tools]
        if self.config.keep_alive is not None:
            kwargs["keep_alive"] = self.config.keep_alive
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Pydantic serializer warnings")
                if on_token is None:
                    return self._reply([self._client.chat(**kwargs, stream=False)], None)
                return self._reply(self._client.chat(**kwargs, stream=True), on_token)
        except (ConnectionError, httpx.ConnectError) as exc:
            raise LLMUnavailable(
                f"Cannot reach Ollama at {self.host}: start it with `ollama serve` "
                "(or set [llm] host in the config to where it runs)."
            ) from exc
        except httpx.TimeoutException as exc:  # the client lets httpx's timeouts through unwrapped
            raise LLMTimeout(
                f"Ollama at {self.host} did not answer within {self.config.timeout_s:g}s: "
                "set a longer timeout_s in [llm], or use a smaller model."
            ) from exc
        except pydantic.ValidationError as exc:  # the server sent a reply the client cannot read
            raise LLMFailed(f"Ollama at {self.host} sent a reply the client could not read: {exc}") from exc
        except ollama.ResponseError as exc:
            if exc.status_code == 404:
                raise ModelNotFound(
                    f"Ollama at {self.host} has no model '{self.model}': run `ollama pull {self.model}` "
                    "(or set [llm] model to one that `ollama list` shows)."
                ) from exc
            raise LLMFailed(f"Ollama at {self.host} answered {exc.status_code}: {exc.error}") from exc

    def _reply(self, chunks: Any, on_token: TokenSink | None) -> ChatReply:
        text: list[str] = []
        calls: list[ToolCall] = []
        prompt_tokens = output_tokens = 0
        for chunk in chunks:
            piece = chunk.message.content or ""
            if piece:
                text.append(piece)
                if on_token is not None:
                    on_token(piece)
            for call in chunk.message.tool_calls or ():
                calls.append(ToolCall(name=call.function.name, arguments=dict(call.function.arguments or {})))
            prompt_tokens = chunk.prompt_eval_count or prompt_tokens
            output_tokens = chunk.eval_count or output_tokens
        return ChatReply(
            text="".join(text), tool_calls=tuple(calls), prompt_tokens=prompt_tokens,
            output_tokens=output_tokens, model=self.model,
        )
