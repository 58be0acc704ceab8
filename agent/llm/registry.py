"""Chat backends by provider name: a plain dict, and the ``auto`` choice among them."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from agent.errors import AgentError
from agent.llm.base import ChatModel
from agent.llm.llamacpp_chat import LlamaCppChat
from agent.llm.ollama_chat import OllamaChat
from agent.llm.openai_chat import OpenAIChat
from agent.models import DEFAULT_MODEL, MODELS
from connectors.config import LLMConfig

__all__ = ["CHAT_MODELS", "OLLAMA_MODELS", "choose_llm", "get_chat_model"]

CHAT_MODELS: dict[str, type[ChatModel]] = {
    "ollama": OllamaChat,
    "openai": OpenAIChat,
    "openai-compatible": OpenAIChat,
    "llamacpp": LlamaCppChat,
}

DEFAULT_SERVER_MODEL = "qwen2.5:7b-instruct"

#: Ollama models that ``auto`` takes when ``[llm] model`` names none, best first.
OLLAMA_MODELS = (
    "qwen2.5:7b-instruct", "qwen2.5:14b-instruct", "qwen2.5:7b", "qwen2.5-coder:7b-instruct",
    "qwen2.5:3b-instruct", "llama3.1:8b-instruct", "llama3.1:8b", "qwen2.5:1.5b-instruct",
)


def ollama_models(host: str, timeout_s: float = 1.5) -> list[str] | None:
    """The models Ollama at ``host`` has, or None when nothing there answers like Ollama."""
    try:
        response = httpx.get(f"{host.rstrip('/')}/api/tags", timeout=timeout_s)
        response.raise_for_status()
        return [m.get("name") or m.get("model") for m in response.json().get("models", [])]
    except (httpx.HTTPError, ValueError, AttributeError):
        return None


def _embedded_model(model: str | None) -> str | None:
    """``[llm] model`` when it means a GGUF model (a registry name or a path), else the default."""
    if model and (model.endswith(".gguf") or "/" in model or model in MODELS):
        return model
    return None


def choose_llm(config: LLMConfig) -> tuple[LLMConfig, str]:
    """The concrete ``[llm]`` for ``provider = "auto"``, and why it was chosen.

    Ollama at ``host`` when it answers and has ``model`` (or, with no model named, one of
    :data:`OLLAMA_MODELS`); otherwise the embedded llama.cpp model.
    """
    if config.provider != "auto":
        return config, f"[llm] provider = {config.provider}"
    names = ollama_models(config.host)
    if names is not None:
        wanted = [config.model] if config.model else list(OLLAMA_MODELS)
        for name in wanted:
            if name in names or f"{name}:latest" in names:
                return config.model_copy(update={"provider": "ollama", "model": name}), f"Ollama at {config.host} has {name}"
        why = f"Ollama at {config.host} has no {' or '.join(wanted[:3])}"
    else:
        why = f"no Ollama answers at {config.host}"
    update = {"provider": "llamacpp", "model": _embedded_model(config.model) or DEFAULT_MODEL,
              "router_model": _embedded_model(config.router_model)}
    return config.model_copy(update=update), f"{why}, so the embedded model"


def get_chat_model(
    config: LLMConfig, *, env: Mapping[str, str] | None = None, router: bool = False
) -> ChatModel:
    """The backend ``config.provider`` names, for the main model or the router model.

    ``auto`` is resolved here too; call :func:`choose_llm` first to resolve it once for both.
    """
    if config.provider == "auto":
        config, _ = choose_llm(config)
    try:
        cls = CHAT_MODELS[config.provider]
    except KeyError:
        raise AgentError(
            f"Unknown [llm] provider '{config.provider}'; use one of: auto, {', '.join(sorted(CHAT_MODELS))}."
        ) from None
    api_key = (env or {}).get(config.api_key_env) if config.api_key_env else None
    default = DEFAULT_MODEL if cls is LlamaCppChat else DEFAULT_SERVER_MODEL
    model = (config.router_model or config.model) if router else config.model
    return cls(config=config, model=model or config.model or default, api_key=api_key)
