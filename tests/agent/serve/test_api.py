"""The OpenAI chat API of ``agent serve``, driven by the real ``openai`` client and raw httpx,
with the fake LLM behind the agent and the real docs, SQL and ticket MCP servers."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from servers.clients import ClientRegistry, add_client
from tests.agent.serve.conftest import ServeFactory
from testkit.llm_server import FakeLLM, Request, Text

LEAVE = "How many days of annual leave do I get?"


def client(url: str, token: str = "none") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0, timeout=30)


def test_models_are_ragbox_and_one_per_source(serve: ServeFactory) -> None:
    url = serve()
    assert [m.id for m in client(url).models.list()] == [
        "ragbox", "ragbox:handbook", "ragbox:sales", "ragbox:tickets"]


def test_an_answer_ends_with_its_sources_and_reports_the_tokens_spent(serve: ServeFactory, llm: FakeLLM) -> None:
    url = serve()
    llm.script(Text("You get 25 days [1]."))
    reply = client(url).chat.completions.create(model="ragbox:handbook", messages=[{"role": "user", "content": LEAVE}])
    text = reply.choices[0].message.content
    assert text.startswith("You get 25 days [1].\n\nSources:\n[1] handbook: leave.md")
    assert reply.usage.prompt_tokens == llm.requests[-1].prompt_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    extra = reply.model_extra["ragbox"]
    assert extra["answer"] == "You get 25 days [1]."
    assert extra["citations"][0]["path"] == "leave.md"
    assert extra["citations"][0]["url"] == "/documents/handbook/leave.md"
    assert extra["route"]["sources"] == ["handbook"] and extra["route"]["stage"] == "forced"


def test_a_stream_carries_the_same_answer_then_usage_and_extras(serve: ServeFactory, llm: FakeLLM) -> None:
    url = serve()
    llm.script(Text("You get 25 days of leave [1]."))
    stream = client(url).chat.completions.create(
        model="ragbox:handbook", messages=[{"role": "user", "content": LEAVE}], stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("You get 25 days of leave [1].\n\nSources:\n[1] handbook: leave.md")
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 3  # word by word
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.usage.prompt_tokens == llm.requests[-1].prompt_tokens
    assert last.model_extra["ragbox"]["citations"][0]["path"] == "leave.md"


def test_earlier_turns_are_the_history_of_a_follow_up(serve: ServeFactory, llm: FakeLLM) -> None:
    url = serve()
    llm.script(Text("Unused days must be taken by 31 March [1]."))
    client(url).chat.completions.create(model="ragbox:handbook", messages=[
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": LEAVE},
        {"role": "assistant", "content": "You get 25 days [1].\n\nSources:\n[1] handbook: leave.md"},
        {"role": "user", "content": [{"type": "text", "text": "And when must carried-over days be used?"}]},
    ])
    prompt = llm.requests[-1].prompt
    assert f"Earlier question: {LEAVE}" in prompt and "Earlier answer: You get 25 days [1]." in prompt
    assert "Sources:\n[1] handbook: leave.md" not in prompt.split("Question:")[0]
    assert llm.requests[-1].question == "And when must carried-over days be used?"


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"model": "ragbox", "messages": [{"role": "user", "content": "  "}]}, 400, "question is empty"),
    ({"model": "ragbox", "messages": []}, 400, "messages"),
    ({"model": "ragbox", "messages": [{"role": "user", "content": "x" * 5_000}]}, 400, "limit is 4,000"),
    ({"model": "ragbox", "messages": [{"role": "assistant", "content": "hi"}]}, 400, "user's question"),
    ({"model": "gpt-4o", "messages": [{"role": "user", "content": LEAVE}]}, 404, "ragbox:handbook"),
    ({"model": "ragbox:nowhere", "messages": [{"role": "user", "content": LEAVE}]}, 404, "does not exist"),
    ({"model": 7, "messages": [{"role": "user", "content": LEAVE}]}, 400, "model"),
    ([1, 2], 400, "JSON object"),
])
def test_bad_requests_get_a_clear_error_and_the_server_stays_up(
    serve: ServeFactory, llm: FakeLLM, body: object, status: int, says: str
) -> None:
    url = serve()
    response = httpx.post(f"{url}/v1/chat/completions", json=body)
    assert response.status_code == status
    assert says in response.json()["error"]["message"]
    assert httpx.get(f"{url}/healthz").text == "ok"


def test_malformed_json_and_an_oversized_body_are_refused(serve: ServeFactory) -> None:
    url = serve(max_body_bytes=10_000)
    response = httpx.post(f"{url}/v1/chat/completions", content=b'{"model": "ragbox", "messages": [',
                          headers={"content-type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]["message"]
    big = json.dumps({"model": "ragbox", "messages": [{"role": "user", "content": "y" * 20_000}]})
    response = httpx.post(f"{url}/v1/chat/completions", content=big)
    assert response.status_code == 413 and "10,000" in response.json()["error"]["message"]
    with pytest.raises(openai.NotFoundError, match="does not exist"):  # the SDK raises with the message
        client(url).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": LEAVE}])


def test_an_unreachable_llm_is_a_clear_503_not_a_crash(serve: ServeFactory, open_agent, llm: FakeLLM) -> None:
    agent = open_agent(llm={"host": "http://127.0.0.1:9"})  # nothing listens on the discard port
    url = serve(agent=agent)
    with pytest.raises(openai.InternalServerError) as caught:
        client(url).chat.completions.create(model="ragbox:handbook", messages=[{"role": "user", "content": LEAVE}])
    assert caught.value.status_code == 503 and "127.0.0.1:9" in str(caught.value)
    stream = client(url).chat.completions.create(
        model="ragbox:handbook", messages=[{"role": "user", "content": LEAVE}], stream=True)
    with pytest.raises(openai.APIError, match="127.0.0.1:9"):
        list(stream)


def _echo(request: Request) -> Text:
    """Answer with the question's own marker word, so each chat can check it got its own answer."""
    return Text(f"Marker {request.question.split()[-1]} [1].")


def test_twenty_parallel_chats_finish_without_errors_or_cross_talk(serve: ServeFactory, llm: FakeLLM) -> None:
    llm.reset(policy=_echo)
    url = serve()
    api = client(url)

    def chat(i: int) -> tuple[int, str]:
        stream = i % 2 == 0
        messages = [{"role": "user", "content": f"annual leave question m{i:02}"}]
        if stream:
            parts = api.chat.completions.create(model="ragbox:handbook", messages=messages, stream=True)
            return i, "".join(c.choices[0].delta.content or "" for c in parts if c.choices)
        reply = api.chat.completions.create(model="ragbox:handbook", messages=messages)
        trace = reply.model_extra["ragbox"]["trace"]  # this question's steps only, none of another's
        assert [c["purpose"] for c in trace["llm_calls"]] == ["answer"]
        queries = [s["detail"]["arguments"]["query"] for s in trace["steps"] if s["name"] == "tool"]
        assert queries and all(q.endswith(f"m{i:02}") for q in queries), queries
        return i, reply.choices[0].message.content

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(chat, range(20)))
    for i, text in results:
        assert text.startswith(f"Marker m{i:02} [1].\n\nSources:"), (i, text)
    metrics = httpx.get(f"{url}/metrics").text
    assert 'ragbox_questions_total{route="handbook"} 20.0' in metrics
    assert "ragbox_errors_total" not in metrics.replace("# HELP ragbox_errors_total", "").replace(
        "# TYPE ragbox_errors_total", "")


def test_beyond_the_running_and_waiting_slots_a_question_gets_429(serve: ServeFactory, llm: FakeLLM) -> None:
    release = threading.Event()

    def slow(request: Request) -> Text:
        release.wait(20)
        return Text("Done [1].")

    llm.reset(policy=slow)
    url = serve(max_running=1, max_waiting=0)
    body = {"model": "ragbox:handbook", "messages": [{"role": "user", "content": LEAVE}]}
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(httpx.post, f"{url}/v1/chat/completions", json=body, timeout=30)
        for _ in range(200):  # wait until the first question holds the slot
            if "ragbox_questions_in_flight 1.0" in httpx.get(f"{url}/metrics").text:
                break
            threading.Event().wait(0.05)
        refused = httpx.post(f"{url}/v1/chat/completions", json=body)
        release.set()
        assert first.result().status_code == 200
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "ragbox_questions_in_flight 0.0" in httpx.get(f"{url}/metrics").text
    assert "try again" in refused.json()["error"]["message"]


def test_a_client_that_disconnects_mid_stream_leaves_the_server_serving(serve: ServeFactory, llm: FakeLLM) -> None:
    llm.reset(policy=lambda request: Text(" ".join(["word"] * 400) + " [1]."))
    url = serve(max_running=1, max_waiting=0)
    body = {"model": "ragbox:handbook", "messages": [{"role": "user", "content": LEAVE}], "stream": True}
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body) as response:
        for line in response.iter_lines():
            if '"content": "word' in line:
                break  # leave with most of the answer unread
    for _ in range(100):  # the one slot comes back once the abandoned answer stops
        reply = httpx.post(f"{url}/v1/chat/completions", json={**body, "stream": False}, timeout=30)
        if reply.status_code != 429:
            break
        threading.Event().wait(0.1)
    assert reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"].startswith("word")


def test_metrics_count_questions_routes_llm_calls_and_tokens(serve: ServeFactory, llm: FakeLLM) -> None:
    url = serve()
    llm.script(Text("You get 25 days [1]."))
    client(url).chat.completions.create(model="ragbox:handbook", messages=[{"role": "user", "content": LEAVE}])
    text = httpx.get(f"{url}/metrics").text
    assert 'ragbox_questions_total{route="handbook"} 1.0' in text
    assert 'ragbox_llm_calls_total{purpose="answer"} 1.0' in text
    assert f'ragbox_llm_tokens_total{{kind="prompt"}} {float(llm.requests[-1].prompt_tokens)}' in text
    assert "ragbox_question_seconds_bucket" in text and "ragbox_question_outside_llm_seconds_count 1.0" in text


def test_a_token_is_required_except_for_the_page_and_healthz(serve: ServeFactory, llm: FakeLLM) -> None:
    url = serve(token="s3cret-token")
    with pytest.raises(openai.AuthenticationError):
        client(url, "wrong").models.list()
    assert [m.id for m in client(url, "s3cret-token").models.list()][0] == "ragbox"
    refused = httpx.get(f"{url}/metrics")
    assert refused.status_code == 401 and "Authorization: Bearer" in refused.json()["error"]["message"]
    script = httpx.get(f"{url}/static/chat.js")
    assert script.status_code == 200 and script.headers["x-content-type-options"] == "nosniff"
    page = httpx.get(f"{url}/")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{url}/healthz").status_code == 200


def test_host_and_origin_must_be_this_server(serve: ServeFactory) -> None:
    url = serve()
    assert httpx.get(f"{url}/v1/models", headers={"Host": "evil.example"}).status_code == 421
    assert httpx.get(f"{url}/v1/models", headers={"Origin": "http://evil.example"}).status_code == 403
    assert httpx.get(f"{url}/v1/models", headers={"Origin": url}).status_code == 200


def test_a_scoped_client_sees_routes_and_documents_only_of_its_sources(
    serve: ServeFactory, llm: FakeLLM, tmp_path
) -> None:
    path = tmp_path / "clients.toml"
    token = add_client(path, "hr-bot", ["handbook"])
    url = serve(clients=ClientRegistry(path))
    api = client(url, token)
    assert [m.id for m in api.models.list()] == ["ragbox", "ragbox:handbook"]
    with pytest.raises(openai.NotFoundError):
        api.chat.completions.create(model="ragbox:sales", messages=[{"role": "user", "content": "How many customers?"}])
    headers = {"Authorization": f"Bearer {token}"}
    document = httpx.get(f"{url}/documents/handbook/leave.md", headers=headers)
    assert document.status_code == 200 and "25 days" in document.text
    assert document.headers["content-type"].startswith("text/plain")
    assert httpx.get(f"{url}/documents/sales/x.md", headers=headers).status_code == 404
    # Unforced, routing only ever sees the client's one source: no LLM routing call.
    llm.script(Text("There is no such figure in the handbook."))
    api.chat.completions.create(model="ragbox", messages=[{"role": "user", "content": "How many customers are there?"}])
    assert len(llm.requests) == 1 and "handbook" in llm.requests[0].prompt
