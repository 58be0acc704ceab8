"""LLM backends behind one small interface, looked up by provider name.

    model = get_chat_model(config.llm)
    reply = model.chat([ChatMessage(role="user", content="hi")], schema={...})
    reply.text, reply.tool_calls, reply.prompt_tokens, reply.output_tokens
"""

from agent.llm.llamacpp_chat import LlamaCppChat
from agent.llm.base import ChatMessage, ChatModel, ChatReply, TokenSink, ToolCall, ToolSpec
from agent.llm.ollama_chat import OllamaChat
from agent.llm.openai_chat import OpenAIChat
from agent.llm.registry import CHAT_MODELS, choose_llm, get_chat_model

__all__ = [
    "CHAT_MODELS",
    "ChatMessage",
    "ChatModel",
    "ChatReply",
    "LlamaCppChat",
    "OllamaChat",
    "OpenAIChat",
    "TokenSink",
    "ToolCall",
    "ToolSpec",
    "choose_llm",
    "get_chat_model",
]
