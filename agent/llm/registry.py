"""Chat backends by provider name: a plain dict."""

from __future__ import annotations

from collections.abc import Mapping

from agent.errors import AgentError
from agent.llm.base import ChatModel
from agent.llm.ollama_chat import OllamaChat
from agent.llm.openai_chat import OpenAIChat
from connectors.config import LLMConfig

__all__ = ["CHAT_MODELS", "get_chat_model"]

CHAT_MODELS: dict[str, type[ChatModel]] = {
    "ollama": OllamaChat,
    "openai": OpenAIChat,
    "openai-compatible": OpenAIChat,
}


def get_chat_model(
    config: LLMConfig, *, env: Mapping[str, str] | None = None, router: bool = False
) -> ChatModel:
    """The backend ``config.provider`` names, for the main model or the router model."""
    try:
        cls = CHAT_MODELS[config.provider]
    except KeyError:
        raise AgentError(
            f"Unknown [llm] provider '{config.provider}'; use one of: {', '.join(sorted(CHAT_MODELS))}."
        ) from None
    api_key = (env or {}).get(config.api_key_env) if config.api_key_env else None
    model = (config.router_model or config.model) if router else config.model
    return cls(config=config, model=model, api_key=api_key)
