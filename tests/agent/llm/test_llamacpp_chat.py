"""The embedded backend against the real llama-cpp-python and the real default model."""

from __future__ import annotations

import json

import pytest

from agent.errors import LLMFailed
from agent.llm import ChatMessage, LlamaCppChat, ToolSpec, get_chat_model
from agent.llm.llamacpp_chat import memory_available
from agent.models import DEFAULT_MODEL, MODELS, ModelError, locate, model_dirs
from connectors.config import LLMConfig
from tests.support import need_embedded_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chat() -> LlamaCppChat:
    need_embedded_model()
    model = get_chat_model(LLMConfig(provider="llamacpp"))
    assert isinstance(model, LlamaCppChat)
    return model


SYSTEM = ChatMessage(role="system", content="You answer in a few words.")


def test_plain_and_streamed_replies_agree_and_count_tokens(chat):
    question = [SYSTEM, ChatMessage(role="user", content="Name the capital of France in one full sentence.")]
    plain = chat.chat(question)
    pieces: list[str] = []
    streamed = chat.chat(question, on_token=pieces.append)
    assert "Paris" in plain.text
    assert streamed.text == plain.text == "".join(pieces)
    assert len(pieces) > 1  # it streamed, token by token
    assert plain.prompt_tokens == streamed.prompt_tokens > 10
    assert plain.output_tokens == streamed.output_tokens > 0
    # The second, identical prompt is read from the cache: all but its last token.
    assert streamed.cached_tokens == streamed.prompt_tokens - 1


def test_a_prefix_seen_earlier_in_the_command_is_reused_after_another_prompt(chat):
    long_system = ChatMessage(role="system", content="You pick sources. " + "Sources: a, b, c. " * 40)
    first = chat.chat([long_system, ChatMessage(role="user", content="Pick one.")])
    chat.chat([ChatMessage(role="user", content="Something else entirely, to evict the KV cache.")])
    again = chat.chat([long_system, ChatMessage(role="user", content="Pick another.")])
    assert first.prompt_tokens > 150
    assert again.cached_tokens > 150  # restored from the RAM cache, not read again


def test_a_schema_constrains_the_reply(chat):
    schema = {"type": "object", "properties": {"source": {"enum": ["handbook", "sales"]}}, "required": ["source"]}
    reply = chat.chat([SYSTEM, ChatMessage(role="user", content="Which source holds invoices? Reply as JSON.")],
                      schema=schema)
    assert json.loads(reply.text)["source"] in {"handbook", "sales"}


def test_tools_are_called_through_constrained_json(chat):
    weather = ToolSpec(name="get_weather", description="The weather in a city.",
                       parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
    reply = chat.chat([ChatMessage(role="user", content="What is the weather in Paris right now?")], tools=[weather])
    assert [c.name for c in reply.tool_calls] == ["get_weather"]
    assert reply.tool_calls[0].arguments == {"city": "Paris"}


def test_main_and_router_models_share_one_loaded_model(chat):
    router = get_chat_model(LLMConfig(provider="llamacpp"), router=True)
    assert router.load() is chat.load()
    assert chat.load().load_s > 0


def test_a_prompt_longer_than_the_context_is_a_clear_error(chat):
    small = get_chat_model(LLMConfig(provider="llamacpp", num_ctx=512))
    with pytest.raises(LLMFailed, match="num_ctx"):
        small.chat([ChatMessage(role="user", content="word " * 2000)])


def test_a_damaged_gguf_is_refused_with_what_to_do(chat, tmp_path):
    path = tmp_path / "damaged.gguf"
    with locate(MODELS[DEFAULT_MODEL], model_dirs()).open("rb") as f:
        path.write_bytes(f.read(300_000))  # a real header, then nothing
    with pytest.raises(ModelError, match="could not load"):
        get_chat_model(LLMConfig(provider="llamacpp", model=str(path))).load()


def test_a_model_larger_than_free_memory_is_refused_before_loading(chat, tmp_path):
    path = tmp_path / "huge.gguf"
    with path.open("wb") as f:
        f.write(b"GGUF")
        f.truncate(2 * memory_available())  # sparse: costs no disk
    with pytest.raises(ModelError, match="GiB of memory"):
        get_chat_model(LLMConfig(provider="llamacpp", model=str(path))).load()
