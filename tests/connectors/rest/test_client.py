"""The REST client's resilience and limits, against a recording server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import random
import time
from urllib.parse import unquote

import pytest

from connectors.rest import (
    ApiOrigin,
    ClientSettings,
    Credentials,
    RestClient,
    RestHttpError,
    RestRefused,
    RestTimeout,
    RestUnavailable,
    RetryPolicy,
    parse_retry_after,
)
from tests.connectors.rest.helpers import SECRET, probe_api
from tests.connectors.rest.recorder import Reply, recording_server
from testkit.servers import free_port

PREFIX = "/api/v1"
STATUS = f"{PREFIX}/status"


def ok(body: object = None) -> Reply:
    return Reply(body=json.dumps(body if body is not None else {"ok": True}).encode())


def sequence(*replies: Reply):
    return lambda seen, n: replies[min(n, len(replies) - 1)]


@pytest.fixture
def recorder():
    with recording_server() as rec:
        yield rec


def test_retry_after_is_honoured_on_503(recorder):
    recorder.route(STATUS, sequence(Reply(503, b"busy", (("Retry-After", "1"),)), ok()))
    api = probe_api(recorder.url + PREFIX)
    started = time.monotonic()
    response = api.call("probe_getStatus", {})
    assert time.monotonic() - started >= 1.0
    assert response.status == 200 and response.attempts == 2 and response.data == {"ok": True}
    assert len(recorder.seen) == 2


def test_429_is_retried_with_backoff_then_reported_when_attempts_run_out(recorder):
    recorder.route(STATUS, sequence(Reply(429, b'{"message": "slow down"}')))
    api = probe_api(recorder.url + PREFIX)
    with pytest.raises(RestHttpError) as info:
        api.call("probe_getStatus", {})
    assert info.value.status == 429
    assert "slow down" in str(info.value) and "rate-limiting" in str(info.value)
    assert len(recorder.seen) == 3  # max_attempts


def test_a_retry_after_beyond_the_cap_is_reported_not_slept(recorder):
    recorder.route(STATUS, sequence(Reply(503, b"", (("Retry-After", "120"),))))
    api = probe_api(recorder.url + PREFIX)
    started = time.monotonic()
    with pytest.raises(RestHttpError) as info:
        api.call("probe_getStatus", {})
    assert time.monotonic() - started < 1.0
    assert "wait 120 s" in str(info.value)
    assert len(recorder.seen) == 1


def test_writes_are_never_retried(recorder):
    recorder.route(STATUS, sequence(Reply(503, b"", (("Retry-After", "0"),)), ok()))
    api = probe_api(recorder.url + PREFIX, methods=["POST"])
    with pytest.raises(RestHttpError):
        api.call("probe_postStatus", {})
    assert len(recorder.seen) == 1


def test_connect_errors_are_retried_with_growing_jittered_delays():
    delays: list[float] = []
    port = free_port()  # nothing listens there
    settings = ClientSettings(
        api="probe", origin=ApiOrigin.parse(f"http://127.0.0.1:{port}", api="probe"),
        retry=RetryPolicy(max_attempts=4, base_delay_s=0.1, max_delay_s=0.3),
    )
    client = RestClient(settings, sleep=delays.append, rng=random.Random(1))
    with pytest.raises(RestUnavailable) as info:
        client.send("GET", "/status", path_values={})
    assert "Check that it is running" in str(info.value)
    assert len(delays) == 3
    assert 0.05 <= delays[0] <= 0.1 and 0.1 <= delays[1] <= 0.2 and 0.15 <= delays[2] <= 0.3
    client.close()


def test_timeouts_become_a_clear_error(recorder):
    recorder.route(STATUS, sequence(Reply(delay_s=1.5)))
    api = probe_api(recorder.url + PREFIX, timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(RestTimeout) as info:
        api.call("probe_getStatus", {})
    assert time.monotonic() - started < 1.4
    assert "did not answer within 0.3 s" in str(info.value)


def test_responses_over_the_cap_are_cut_and_flagged(recorder):
    big = json.dumps({"items": ["x" * 100] * 100}).encode()
    recorder.route(STATUS, sequence(Reply(body=big)))
    api = probe_api(recorder.url + PREFIX, max_response_bytes=1_000)
    response = api.call("probe_getStatus", {})
    assert response.truncated and response.size == 1_000 and len(response.text) == 1_000
    assert response.data is None and not response.is_json


def test_redirects_to_another_origin_are_refused():
    with recording_server() as api_server, recording_server() as elsewhere:
        api_server.route(STATUS, sequence(Reply(302, b"", (("Location", elsewhere.url + "/steal"),))))
        api = probe_api(api_server.url + PREFIX)
        with pytest.raises(RestRefused) as info:
            api.call("probe_getStatus", {})
        assert "redirect" in str(info.value) and "not followed" in str(info.value)
        assert elsewhere.seen == []


@pytest.mark.parametrize("location", ["/admin", "//evil.example/x", "https://127.0.0.1/api/v1/x", f"{PREFIX}/../admin"])
def test_redirects_outside_the_prefix_are_refused(recorder, location):
    recorder.route(STATUS, sequence(Reply(301, b"", (("Location", location),))))
    api = probe_api(recorder.url + PREFIX)
    with pytest.raises(RestRefused):
        api.call("probe_getStatus", {})
    assert [s.target for s in recorder.seen] == [STATUS]


def test_same_origin_redirects_under_the_prefix_are_followed_a_bounded_number_of_times(recorder):
    recorder.route(STATUS, sequence(Reply(302, b"", (("Location", f"{PREFIX}/items/moved?x=1"),))))
    api = probe_api(recorder.url + PREFIX)
    response = api.call("probe_getStatus", {})
    assert response.data == {"method": "GET", "target": f"{PREFIX}/items/moved?x=1"}
    recorder.route(f"{PREFIX}/items/loop", sequence(Reply(302, b"", (("Location", f"{PREFIX}/items/loop"),))))
    with pytest.raises(RestRefused):
        api.call("probe_getItem", {"item_id": "loop"})
    assert len([s for s in recorder.seen if s.target.endswith("/loop")]) == 4  # 1 + 3 redirects


def test_redirects_on_writes_are_not_followed(recorder):
    recorder.route(STATUS, sequence(Reply(307, b"", (("Location", f"{PREFIX}/items/x"),))))
    api = probe_api(recorder.url + PREFIX, methods=["POST"])
    with pytest.raises(RestRefused):
        api.call("probe_postStatus", {})
    assert len(recorder.seen) == 1


def test_non_2xx_answers_carry_the_status_and_the_apis_message(recorder):
    recorder.route(STATUS, sequence(Reply(422, json.dumps({"detail": [{"loc": ["query", "limit"], "msg": "too big"}]}).encode())))
    api = probe_api(recorder.url + PREFIX)
    with pytest.raises(RestHttpError) as info:
        api.call("probe_getStatus", {})
    assert info.value.status == 422 and info.value.message == "limit: too big"


def test_read_only_properties_are_not_asked_for_in_request_bodies(recorder):
    api = probe_api(recorder.url + PREFIX, methods=["POST"])
    schema = api.tool("probe_createItem").input_schema["properties"]["body"]
    assert set(schema["properties"]) == {"name"}
    api.call("probe_createItem", {"body": {"name": "n"}})
    assert json.loads(recorder.seen[-1].body) == {"name": "n"}
    assert recorder.seen[-1].header("Content-Type") == "application/json"


@pytest.mark.parametrize(
    "auth, env",
    [
        ({"type": "bearer", "token_env": "PROBE_TOKEN"}, {"PROBE_TOKEN": SECRET}),
        ({"type": "header", "token_env": "PROBE_TOKEN", "name": "X-Api-Key"}, {"PROBE_TOKEN": SECRET}),
        ({"type": "query", "token_env": "PROBE_TOKEN", "name": "api_key"}, {"PROBE_TOKEN": SECRET}),
        ({"type": "basic", "username_env": "PROBE_USER", "password_env": "PROBE_PASS"},
         {"PROBE_USER": "robot", "PROBE_PASS": SECRET}),
    ],
)
def test_secrets_are_sent_but_never_appear_in_outputs_errors_or_logs(recorder, caplog, auth, env):
    caplog.set_level(logging.DEBUG)

    def echo_everything(seen, n):  # a careless API that reflects the credentials back
        body = json.dumps({"target": seen.target, "headers": dict(seen.headers)}).encode()
        return Reply(200 if n % 2 == 0 else 401, body)

    recorder.route(STATUS, echo_everything)
    api = probe_api(recorder.url + PREFIX, auth=auth, env=env)
    response = api.call("probe_getStatus", {})
    with pytest.raises(RestHttpError) as info:
        api.call("probe_getStatus", {})
    sent = recorder.seen[0]
    assert SECRET in json.dumps(sent.headers) + unquote(sent.target) or "Basic " in (sent.header("Authorization") or "")
    outputs = [response.text, json.dumps(response.data), str(info.value), info.value.message, caplog.text, repr(api.client._credentials)]
    for text in outputs:
        assert SECRET not in text
        assert "czNjcjN0" not in text  # nor its base64 (basic auth)
    assert "[redacted]" in response.text
    api.close()


def test_missing_secret_is_a_clear_config_error(recorder):
    from connectors.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        probe_api(recorder.url, auth={"type": "bearer", "token_env": "NOT_SET_ANYWHERE"})
    assert "NOT_SET_ANYWHERE" in str(info.value)


@pytest.mark.parametrize(
    "value, seconds",
    [("3", 3.0), ("0", 0.0), ("  7 ", 7.0), ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0), ("soon", None), ("", None)],
)
def test_parse_retry_after(value, seconds):
    now = 1445412480.0  # 2015-10-21 07:28:00 UTC
    assert parse_retry_after(value, now=now) == seconds


def test_base_url_with_credentials_or_query_is_rejected():
    from connectors.errors import ConfigError

    for bad in ["http://user:pw@127.0.0.1/", "http://127.0.0.1/?k=v", "ftp://127.0.0.1/", "127.0.0.1:80"]:
        with pytest.raises(ConfigError):
            ApiOrigin.parse(bad, api="x")


def test_credentials_repr_hides_values():
    creds = Credentials(headers=(("Authorization", f"Bearer {SECRET}"),), secrets=(SECRET,))
    assert SECRET not in repr(creds) and SECRET not in str(creds)
