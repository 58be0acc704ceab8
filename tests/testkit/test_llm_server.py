"""The fake LLM server, through the real ollama and openai clients."""

import httpx
import ollama
import openai
import pytest

from testkit.llm_server import Calls, FakeLLM, Json, Text, count_tokens


@pytest.fixture
def fake(fake_llm_server: FakeLLM) -> FakeLLM:
    fake_llm_server.reset(models=("small",))
    return fake_llm_server


@pytest.fixture(scope="module")
def fake_llm_server():
    with FakeLLM() as server:
        yield server


def test_ollama_chat_replies_in_order_and_records_requests(fake):
    fake.script(Text("hello there"), Json({"source": "sales"}))
    client = ollama.Client(host=fake.url, timeout=5)
    first = client.chat(model="small", messages=[{"role": "user", "content": "hi"}])
    second = client.chat(model="small", messages=[{"role": "user", "content": "route"}], format={"type": "object"})
    assert first.message.content == "hello there"
    assert second.message.content == '{"source": "sales"}'
    assert [r.prompt for r in fake.requests] == ["hi", "route"]
    assert fake.requests[1].schema == {"type": "object"}
    assert first.prompt_eval_count == fake.requests[0].prompt_tokens == count_tokens("hi")
    assert first.eval_count == count_tokens("hello there")


def test_ollama_streams_words_then_counts(fake):
    fake.script(Text("one two three"))
    chunks = list(ollama.Client(host=fake.url, timeout=5).chat(
        model="small", messages=[{"role": "user", "content": "x"}], stream=True))
    assert "".join(c.message.content for c in chunks) == "one two three"
    assert len(chunks) == 4 and chunks[-1].done and chunks[-1].eval_count == 4


def test_ollama_tool_calls_and_missing_model(fake):
    fake.script(Calls(("get_ticket", {"ticket_id": 7})))
    reply = ollama.Client(host=fake.url, timeout=5).chat(model="small", messages=[{"role": "user", "content": "x"}])
    assert reply.message.tool_calls[0].function.name == "get_ticket"
    with pytest.raises(ollama.ResponseError) as err:
        ollama.Client(host=fake.url, timeout=5).chat(model="absent", messages=[{"role": "user", "content": "x"}])
    assert err.value.status_code == 404 and "not found" in err.value.error


def test_ollama_tags_and_embed(fake):
    assert [m.model for m in ollama.Client(host=fake.url).list().models] == ["small"]
    vectors = ollama.Client(host=fake.url).embed(model="small", input=["a", "b"]).embeddings
    assert len(vectors) == 2 and len(vectors[0]) == 64


def test_openai_chat_plain_tools_stream_and_usage(fake):
    fake.script(Text("a b"), Calls(("f", {"x": 1})), Text("c d e"))
    client = openai.OpenAI(base_url=fake.url + "/v1", api_key="x", max_retries=0)
    plain = client.chat.completions.create(
        model="small", messages=[{"role": "user", "content": "q"}],
        response_format={"type": "json_schema", "json_schema": {"name": "r", "schema": {"type": "object"}}})
    assert plain.choices[0].message.content == "a b" and plain.usage.prompt_tokens == fake.requests[0].prompt_tokens
    assert fake.requests[0].schema == {"type": "object"}
    tools = client.chat.completions.create(model="small", messages=[{"role": "user", "content": "q"}])
    assert tools.choices[0].message.tool_calls[0].function.arguments == '{"x": 1}'
    stream = client.chat.completions.create(model="small", messages=[{"role": "user", "content": "q"}],
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "c d e"
    assert chunks[-1].usage.completion_tokens == count_tokens("c d e")


def test_openai_missing_model_is_404(fake):
    client = openai.OpenAI(base_url=fake.url + "/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="absent", messages=[{"role": "user", "content": "q"}])


def test_an_unscripted_request_fails_loudly_and_a_policy_answers(fake):
    assert httpx.post(fake.url + "/api/chat", json={"model": "small", "messages": [], "stream": False}).status_code == 500
    fake.reset(policy=lambda request: Text(f"echo {len(request.messages)}"), models=("small",))
    reply = ollama.Client(host=fake.url).chat(model="small", messages=[{"role": "user", "content": "x"}])
    assert reply.message.content == "echo 1"
