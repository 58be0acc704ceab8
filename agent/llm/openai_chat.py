"""Any OpenAI-compatible server: llama.cpp's server, vLLM, LM Studio."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import openai

from agent.errors import LLMFailed, LLMTimeout, LLMUnavailable, ModelNotFound
from agent.llm.base import ChatMessage, ChatModel, ChatReply, TokenSink, ToolCall, ToolSpec

__all__ = ["OpenAIChat"]


def base_url(host: str) -> str:
    """``host`` as an API base: a bare ``http://host:port`` gets ``/v1``."""
    return host.rstrip("/") + "/v1" if urlsplit(host).path in ("", "/") else host.rstrip("/")


def _arguments(raw: str) -> dict[str, Any] | str:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return raw
    return value if isinstance(value, dict) else raw


@dataclass(kw_only=True)
class OpenAIChat(ChatModel):
    """Chat completions with ``response_format`` JSON schemas, tools and streamed usage."""

    provider: ClassVar[str] = "openai"

    #: How this server takes a JSON schema. OpenAI, vLLM and LM Studio accept
    #: ``json_schema``; llama-cpp-python's server only ``json_object`` with a
    #: ``schema``. Learned from the first refusal, then kept for the session.
    schema_style: str = "json_schema"

    def __post_init__(self) -> None:
        # No retries: a local server that is down should say so at once.
        self._client = openai.OpenAI(
            base_url=base_url(self.config.host), api_key=self.api_key or "not-needed",
            timeout=self.config.timeout_s, max_retries=0,
        )

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        schema: dict[str, Any] | None = None,
        tools: Sequence[ToolSpec] = (),
        on_token: TokenSink | None = None,
    ) -> ChatReply:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "temperature": self.config.temperature,
            **self.options,
        }
        if schema is not None:
            kwargs["response_format"] = self._response_format(schema)
        if tools:
            kwargs["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description,
                                                  "parameters": t.parameters}}
                for t in tools
            ]
        try:
            try:
                return self._send(kwargs, on_token)
            except openai.APIStatusError as exc:
                if schema is None or self.schema_style != "json_schema" or "json_schema" not in exc.message:
                    raise
                self.schema_style = "json_object"
                kwargs["response_format"] = self._response_format(schema)
                return self._send(kwargs, on_token)
        except openai.APITimeoutError as exc:  # a subclass of APIConnectionError: catch it first
            raise LLMTimeout(
                f"The server at {self.host} did not answer within {self.config.timeout_s:g}s: "
                "set a longer timeout_s in [llm], or use a smaller model."
            ) from exc
        except openai.APIConnectionError as exc:
            raise LLMUnavailable(
                f"Cannot reach the OpenAI-compatible server at {self.host}: start it (for example "
                "llama.cpp's `llama-server -m MODEL.gguf --port 8080`) or set [llm] host in the config."
            ) from exc
        except openai.NotFoundError as exc:
            raise ModelNotFound(
                f"The server at {self.host} has no model '{self.model}': load it there, "
                "or set [llm] model to one the server lists at /v1/models."
            ) from exc
        except openai.APIStatusError as exc:
            raise LLMFailed(f"The server at {self.host} answered {exc.status_code}: {exc.message}") from exc

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.schema_style == "json_object":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}

    def _send(self, kwargs: dict[str, Any], on_token: TokenSink | None) -> ChatReply:
        return self._complete(kwargs) if on_token is None else self._stream(kwargs, on_token)

    def _complete(self, kwargs: dict[str, Any]) -> ChatReply:
        response = self._client.chat.completions.create(**kwargs)
        message = response.choices[0].message
        calls = tuple(
            ToolCall(name=c.function.name, arguments=_arguments(c.function.arguments))
            for c in message.tool_calls or () if c.type == "function"
        )
        usage = response.usage
        return ChatReply(
            text=message.content or "", tool_calls=calls, model=self.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
        )

    def _stream(self, kwargs: dict[str, Any], on_token: TokenSink) -> ChatReply:
        stream = self._client.chat.completions.create(
            **kwargs, stream=True, stream_options={"include_usage": True}
        )
        text: list[str] = []
        calls: dict[int, list[str]] = {}
        prompt_tokens = output_tokens = 0
        for chunk in stream:
            if chunk.usage is not None:
                prompt_tokens, output_tokens = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
            for choice in chunk.choices:
                delta = choice.delta
                if delta.content:
                    text.append(delta.content)
                    on_token(delta.content)
                for call in delta.tool_calls or ():
                    name_args = calls.setdefault(call.index, ["", ""])
                    if call.function is not None:
                        name_args[0] += call.function.name or ""
                        name_args[1] += call.function.arguments or ""
        return ChatReply(
            text="".join(text), model=self.model, prompt_tokens=prompt_tokens, output_tokens=output_tokens,
            tool_calls=tuple(ToolCall(name=n, arguments=_arguments(a)) for n, a in calls.values()),
        )
