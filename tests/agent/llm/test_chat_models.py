"""Both chat backends, through the real clients against the fake LLM server."""

import threading

import pytest

from agent.errors import AgentError, LLMFailed, LLMTimeout, LLMUnavailable, ModelNotFound
from agent.llm import CHAT_MODELS, ChatMessage, LlamaCppChat, OllamaChat, OpenAIChat, ToolSpec, get_chat_model
from connectors.config import LLMConfig
from testkit.llm_server import Calls, Json, Text
from testkit.servers import free_port

PROVIDERS = ["ollama", "openai"]
HELLO = [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hello?")]
OPTIONAL_ARG = ToolSpec(
    name="list_tickets", description="List tickets.",
    parameters={"type": "object", "properties": {"status": {"anyOf": [{"type": "string"}, {"type": "null"}],
                                                            "default": None, "maximum": 3}},
                "additionalProperties": False},
)


def model(llm, provider, **config):
    return get_chat_model(LLMConfig(provider=provider, host=llm.url, **config))


def test_registry_is_a_dict_of_both_backends():
    assert CHAT_MODELS["ollama"] is OllamaChat and CHAT_MODELS["openai"] is OpenAIChat
    assert CHAT_MODELS["llamacpp"] is LlamaCppChat
    with pytest.raises(AgentError, match="use one of"):
        get_chat_model(LLMConfig(provider="nope"))


def test_router_model_is_used_for_routing():
    chat = get_chat_model(LLMConfig(provider="ollama", model="big", router_model="small"), router=True)
    assert chat.model == "small"
    assert get_chat_model(LLMConfig(provider="ollama", model="big"), router=True).model == "big"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_plain_reply_reports_token_counts(llm, provider):
    llm.script(Text("Hi there."))
    reply = model(llm, provider).chat(HELLO)
    sent = llm.requests[0]
    assert reply.text == "Hi there."
    assert (reply.prompt_tokens, reply.output_tokens) == (sent.prompt_tokens, sent.output_tokens)
    assert [m["role"] for m in sent.messages] == ["system", "user"]
    assert sent.options["temperature"] == 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_schema_is_sent_as_structured_output(llm, provider):
    schema = {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]}
    llm.script(Json({"sql": "SELECT 1"}))
    assert model(llm, provider).chat(HELLO, schema=schema).text == '{"sql": "SELECT 1"}'
    assert llm.requests[0].schema == schema


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tools_keep_their_whole_schema_and_calls_come_back(llm, provider):
    llm.script(Calls(("list_tickets", {"status": "open"})))
    reply = model(llm, provider).chat(HELLO, tools=[OPTIONAL_ARG])
    assert reply.tool_calls[0].name == "list_tickets" and reply.tool_calls[0].arguments == {"status": "open"}
    sent = llm.requests[0].tools[0]["function"]
    assert sent["parameters"] == OPTIONAL_ARG.parameters  # anyOf, default, maximum, additionalProperties kept


@pytest.mark.parametrize("provider", PROVIDERS)
def test_streaming_hands_out_tokens_and_still_counts(llm, provider):
    llm.script(Text("one two three"))
    pieces: list[str] = []
    reply = model(llm, provider).chat(HELLO, on_token=pieces.append)
    assert pieces == ["one ", "two ", "three"] and reply.text == "one two three"
    assert reply.prompt_tokens == llm.requests[0].prompt_tokens > 0 and reply.output_tokens == 4
    assert llm.requests[0].stream


@pytest.mark.parametrize("provider", PROVIDERS)
def test_streamed_tool_calls_are_collected(llm, provider):
    llm.script(Calls(("list_tickets", {"status": "closed"})))
    reply = model(llm, provider).chat(HELLO, tools=[OPTIONAL_ARG], on_token=lambda _: None)
    assert reply.tool_calls[0].arguments == {"status": "closed"}


def test_ollama_options_and_keep_alive(llm):
    llm.script(Text("ok"))
    model(llm, "ollama", num_ctx=4096, keep_alive="10m", temperature=0.2).chat(HELLO)
    body = llm.requests[0].body
    assert body["options"] == {"temperature": 0.2, "num_ctx": 4096} and body["keep_alive"] == "10m"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True])
def test_unreachable_llm_names_the_host_and_the_fix(provider, stream):
    host = f"http://127.0.0.1:{free_port()}"
    chat = get_chat_model(LLMConfig(provider=provider, host=host, timeout_s=5))
    with pytest.raises(LLMUnavailable) as err:
        chat.chat(HELLO, on_token=(lambda _: None) if stream else None)
    assert host in str(err.value) and "start" in str(err.value)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True])
def test_slow_llm_is_a_timeout_not_unreachable(llm, provider, stream):
    answered = threading.Event()

    def slow(request):
        answered.wait(timeout=10)  # answers only once the client has given up
        return Text("too late")

    llm.reset(policy=slow)
    chat = model(llm, provider, timeout_s=0.2)
    try:
        with pytest.raises(LLMTimeout) as err:
            chat.chat(HELLO, on_token=(lambda _: None) if stream else None)
    finally:
        answered.set()
    assert llm.url in str(err.value) and "0.2s" in str(err.value)
    assert "longer timeout_s in [llm]" in str(err.value) and "smaller model" in str(err.value)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_missing_model_says_how_to_get_it(llm, provider):
    chat = get_chat_model(LLMConfig(provider=provider, host=llm.url, model="llama9:404b"))
    with pytest.raises(ModelNotFound) as err:
        chat.chat(HELLO)
    assert "llama9:404b" in str(err.value) and llm.url in str(err.value)
    if provider == "ollama":
        assert "ollama pull llama9:404b" in str(err.value)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_server_error_is_an_llm_failure(llm, provider):
    with pytest.raises(LLMFailed, match="500"):  # nothing scripted: the fake answers 500
        model(llm, provider).chat(HELLO)


SCHEMA = {"type": "object", "properties": {"source": {"enum": ["sales", "docs"]}}, "required": ["source"]}


def test_openai_falls_back_to_json_object_schemas_for_llama_cpp_python(llm):
    """llama-cpp-python's server refuses ``json_schema`` but takes ``json_object`` with a schema."""
    llm.openai_json_schema = False
    try:
        chat = model(llm, "openai")
        llm.script(Json({"source": "sales"}), Json({"source": "docs"}))
        first = chat.chat(HELLO, schema=SCHEMA)
        second = chat.chat(HELLO, schema=SCHEMA)
    finally:
        llm.openai_json_schema = True
    assert (first.text, second.text) == ('{"source": "sales"}', '{"source": "docs"}')
    formats = [r.body["response_format"]["type"] for r in llm.requests]
    assert formats == ["json_schema", "json_object", "json_object"]  # refused once, then remembered
    assert llm.requests[-1].schema == SCHEMA
