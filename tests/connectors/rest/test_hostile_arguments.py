"""Hostile arguments against a recording server: nothing may leave the origin and prefix."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

import pytest

from connectors.rest import ApiOrigin, RestArgumentError, RestError
from connectors.rest.urls import PathValue
from tests.connectors.rest.helpers import probe_api
from tests.connectors.rest.recorder import recording_server

PREFIX = "/api/v1"

TRAVERSAL = [
    "..", ".", "../admin", "../../etc/passwd", "..%2fadmin", "..%2Fadmin", "%2e%2e", "%2E%2E/admin",
    "%252e%252e%252f", "..\\admin", "..;/admin", "a/../../b", "./.", "....//", "%2e%2e%5c", "\u2025",
    "\uff0e\uff0e/admin", "..\u2215admin", "%c0%ae%c0%ae/", "..%00/admin",
]
ABSOLUTE = [
    "/absolute", "//evil.example/x", "http://evil.example/x", "https://evil.example:443/", "@evil.example",
    "evil.example:80/x", "127.0.0.1:1/x", "\\\\evil.example\\share", "file:///etc/passwd",
]
INJECTION = [
    "?admin=1", "#frag", "a?b=c#d", "a\r\nHost: evil.example", "a\nX-Injected: 1", "a%0d%0aX-Injected: 1",
    "a\r\n\r\nGET /admin HTTP/1.1", "a b", "\t", "\x00", "a%00b", "ünïcode/..",
]
CORPUS = TRAVERSAL + ABSOLUTE + INJECTION
# Issue 13: values sent as one encoded segment that a server or proxy decoding before
# routing (once, twice, or Unicode-folding) would read as another route.
ENCODED = [
    "..%2Fadmin", "a%2F..%2F..%2Fadmin", "%252e%252e", "..\\admin", "%5C", "a/b", "a%2Fb", "a%2fb", "a%252Fb",
    "a%25252Fb", "%2F", "%255C", "a%5C..%5Cadmin", "%2e%2e", ".%2E", "%2E.", "%252E%252E%252Fadmin",
    "..;jsessionid=x", ".;x", ".. ", " ..", "...", "..%00", "..%2500", "%c0%ae%c0%ae", "%c0%af", "%e0%80%af",
    "\uff0f", "\uff3c", "\ufe68", "a\u2215..", "\u2216", "\u2044", "\u2025", "\uff0e\uff0e", "\u2026",
    "%EF%BC%8F", "%E2%80%A5", "\uff05\uff12\uff26", "\ud800",
]
ORDINARY = [
    "a b", "ünïcode", "日本語 チケット", "#1", "a#b", "what?", "a?b=c", "100%", "50% off", "%41", "%zz", "a+b",
    "@evil.example", "a;b", "a.b", ".hidden", "..a", "a..", "C#", "~user", "a:b", "\t", "a\r\nX-Injected: 1",
]
REFUSED = TRAVERSAL + ENCODED + [v for v in ABSOLUTE if "/" in v or "\\" in v]


@pytest.fixture(scope="module")
def recorder():
    with recording_server() as rec:
        yield rec


@pytest.fixture(scope="module")
def api(recorder):
    api = probe_api(recorder.url + PREFIX)
    yield api
    api.close()


def _assert_all_inside(recorder) -> None:
    host = recorder.url.removeprefix("http://")
    for seen in recorder.seen:
        assert seen.target.startswith(PREFIX + "/"), seen.target
        assert seen.header("Host") == host
        assert seen.header("X-Injected") is None
        assert not any(k.lower() == "x-injected" for k, _ in seen.headers)
        assert "\r" not in seen.target and "\n" not in seen.target and " " not in seen.target
        path = seen.target.split("?")[0]
        raw_segments = path.split("/")  # as sent: an encoded "%2F" is not a separator
        assert all(s not in (".", "..") for s in raw_segments)


@pytest.mark.parametrize("value", CORPUS)
def test_path_parameter_stays_one_segment(api, recorder, value):
    before = len(recorder.seen)
    try:
        api.call("probe_getItem", {"item_id": value})
    except RestArgumentError as exc:
        assert exc.argument == "item_id"
        assert len(recorder.seen) == before  # refused before anything was sent
        return
    seen = recorder.seen[-1]
    path, _, query = seen.target.partition("?")
    assert query == ""
    assert path.startswith(f"{PREFIX}/items/")
    segment = path.removeprefix(f"{PREFIX}/items/")
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert unquote(segment) == value  # the server sees exactly the value, as one segment
    _assert_all_inside(recorder)


@pytest.mark.parametrize("value", REFUSED)
def test_values_that_could_leave_their_segment_are_refused_naming_the_argument(api, recorder, value):
    before = len(recorder.seen)
    with pytest.raises(RestArgumentError) as info:
        api.call("probe_getItem", {"item_id": value})
    assert info.value.argument == "item_id"
    assert str(info.value).startswith("Argument 'item_id' ")
    assert "Pass the item's own id or name" in str(info.value)  # what to send instead
    assert len(recorder.seen) == before  # nothing was sent


@pytest.mark.parametrize("value", ORDINARY)
def test_ordinary_values_are_sent_as_one_encoded_segment(api, recorder, value):
    before = len(recorder.seen)
    api.call("probe_getItem", {"item_id": value})
    assert len(recorder.seen) == before + 1
    path, _, query = recorder.seen[-1].target.partition("?")
    assert query == ""
    segment = path.removeprefix(f"{PREFIX}/items/")
    assert path.startswith(f"{PREFIX}/items/") and "/" not in segment
    assert unquote(segment) == value
    _assert_all_inside(recorder)


def test_the_refusal_names_the_argument_that_is_wrong(api, recorder):
    before = len(recorder.seen)
    with pytest.raises(RestArgumentError) as info:
        api.call("probe_getFile", {"item_id": "ok", "name": "..%2F..%2Fadmin"})
    assert info.value.argument == "name" and "Argument 'name' " in str(info.value)
    assert len(recorder.seen) == before


def test_url_for_is_strict_for_a_plain_value_and_names_the_template_parameter():
    origin = ApiOrigin.parse("http://127.0.0.1:1/api", api="x")
    with pytest.raises(RestArgumentError) as info:
        origin.url_for("/items/{id}", {"id": "a%2F..%2F..%2Fadmin"})
    assert info.value.argument == "id"
    with pytest.raises(RestArgumentError):
        origin.url_for("/items/{id}", {"id": PathValue(text="../admin", argument="item", allow_reserved=True)})
    url = origin.url_for("/items/{id}", {"id": PathValue(text="a/b c", argument="item", allow_reserved=True)})
    assert url.raw_path == b"/api/items/a/b%20c"


@pytest.fixture(scope="module")
def reserved(recorder):
    api = probe_api(recorder.url + PREFIX, spec="reserved.yaml")
    yield api
    api.close()


@pytest.mark.parametrize("tool, route", [("probe_getFile", "files"), ("probe_getBlob", "blobs")])
@pytest.mark.parametrize("value, sent", [
    ("a/b", "a/b"),
    ("docs/2024/ünï code.txt", "docs/2024/%C3%BCn%C3%AF%20code.txt"),
    ("a/b?c#d", "a/b%3Fc%23d"),
    ("a%2Fb", "a%252Fb"),  # escapes are never passed through: the server sees the text
    (".well-known/x..y", ".well-known/x..y"),
])
def test_a_parameter_that_allows_reserved_characters_sends_slashes(reserved, recorder, tool, route, value, sent):
    reserved.call(tool, {"path" if route == "files" else "key": value})
    assert recorder.seen[-1].target == f"{PREFIX}/{route}/{sent}"
    _assert_all_inside(recorder)


@pytest.mark.parametrize("value", [
    "..", "../admin", "a/../../admin", "a/..", "./a", "a/./b", "a/%2e%2e/admin", "a/%252e%252e", "a%2F..%2Fadmin",
    "a/..;x/b", "a/.. /b", "a/\u2025/b", "a/\uff0e\uff0e", "/a", "a/", "a//b", "", "a\\b", "a/%5C", "a/\u2215..",
    "a/%c0%ae%c0%ae",
])
def test_a_parameter_that_allows_reserved_characters_still_refuses_dot_segments(reserved, recorder, value):
    before = len(recorder.seen)
    with pytest.raises(RestArgumentError) as info:
        reserved.call("probe_getFile", {"path": value})
    assert info.value.argument == "path" and str(info.value).startswith("Argument 'path' ")
    assert "Pass the item's own id or name" in str(info.value)
    assert len(recorder.seen) == before


def test_the_extension_set_to_false_overrides_allow_reserved(reserved, recorder):
    before = len(recorder.seen)
    with pytest.raises(RestArgumentError, match="cannot contain '/'"):
        reserved.call("probe_getPinned", {"key": "a/b"})
    assert len(recorder.seen) == before


def test_the_refusal_names_the_tool_argument_not_the_spec_name(reserved, recorder):
    before = len(recorder.seen)
    with pytest.raises(RestArgumentError) as info:
        reserved.call("probe_getDoc", {"doc_id": "..%2Fadmin"})
    assert info.value.argument == "doc_id" and "Argument 'doc_id' " in str(info.value)
    assert len(recorder.seen) == before
    reserved.call("probe_getDoc", {"doc_id": "7", "q": "a/b?c"})  # a query value is encoded, allowReserved or not
    assert recorder.seen[-1].target == f"{PREFIX}/docs/7?q=a%2Fb%3Fc"


@pytest.mark.parametrize("value", TRAVERSAL[:8] + ABSOLUTE[:4])
def test_two_path_parameters_cannot_combine_into_traversal(api, recorder, value):
    try:
        api.call("probe_getFile", {"item_id": value, "name": value})
    except RestArgumentError:
        return
    path = recorder.seen[-1].target
    assert path.startswith(f"{PREFIX}/items/") and path.count("/") == PREFIX.count("/") + 4
    _assert_all_inside(recorder)


@pytest.mark.parametrize("value", INJECTION + ["x&admin=1", "a=b", "%26admin%3D1", "+", "?q=1&q=2"])
def test_query_values_are_encoded_and_cannot_add_parameters_or_headers(api, recorder, value):
    api.call("probe_search", {"q": value, "tags": [value, "b"], "flag": True})
    seen = recorder.seen[-1]
    pairs = parse_qsl(seen.target.partition("?")[2], keep_blank_values=True)
    assert pairs == [("q", value), ("tags", value), ("tags", "b"), ("flag", "true")]
    _assert_all_inside(recorder)


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "\x00", "ünï", "a\x7fb"])
def test_header_values_with_line_breaks_or_non_ascii_are_refused(api, recorder, value):
    before = len(recorder.seen)
    with pytest.raises(RestArgumentError) as info:
        api.call("probe_search", {"X-Trace": value})
    assert info.value.argument == "X-Trace"
    assert len(recorder.seen) == before


def test_a_plain_header_value_is_sent(api, recorder):
    api.call("probe_search", {"X-Trace": "abc-123"})
    assert recorder.seen[-1].header("X-Trace") == "abc-123"


@pytest.mark.parametrize(
    "arguments, argument, words",
    [
        ({"item_id": 5}, "item_id", "type string"),
        ({}, "item_id", "Missing required argument 'item_id'"),
        ({"item_id": "a", "path": "/admin"}, "path", "Unknown argument 'path'"),
        ({"item_id": "a", "url": "http://evil.example"}, "url", "Unknown argument"),
        ({"item_id": ["a", "b"]}, "item_id", "type string"),
        ({"item_id": {"$ref": "x"}}, "item_id", "type string"),
        ({"item_id": None}, "item_id", "type string"),
    ],
)
def test_wrong_arguments_name_the_argument_and_send_nothing(api, recorder, arguments, argument, words):
    before = len(recorder.seen)
    with pytest.raises(RestArgumentError) as info:
        api.call("probe_getItem", arguments)
    assert info.value.argument == argument
    assert words in str(info.value)
    assert len(recorder.seen) == before


@pytest.mark.parametrize(
    "arguments, argument",
    [({"flag": "yes"}, "flag"), ({"limit": 0}, "limit"), ({"limit": "5"}, "limit"), ({"tags": "a"}, "tags"),
     ({"limit": 10**30}, "limit")],
)
def test_wrong_query_types_are_refused(api, recorder, arguments, argument):
    before = len(recorder.seen)
    with pytest.raises(RestArgumentError) as info:
        api.call("probe_search", arguments)
    assert info.value.argument == argument
    assert len(recorder.seen) == before


@pytest.mark.parametrize(
    "call",
    [
        ("probe_getItem", {"item_id": "x" * 10_000}),
        ("probe_search", {"q": "y" * 10_000}),
        ("probe_search", {"tags": ["z" * 1_500] * 10}),
        ("probe_search", {"X-Trace": "h" * 5_000}),
    ],
)
def test_oversized_values_are_refused_before_sending(api, recorder, call):
    before = len(recorder.seen)
    with pytest.raises(RestArgumentError) as info:
        api.call(*call)
    assert "long" in str(info.value)
    assert len("".join(str(info.value))) < 600  # the value itself is not echoed back
    assert len(recorder.seen) == before


def test_oversized_json_body_is_refused(recorder):
    writer = probe_api(recorder.url + PREFIX, methods=["GET", "POST"])
    before = len(recorder.seen)
    with pytest.raises(RestArgumentError) as info:
        writer.call("probe_createItem", {"body": {"name": "n" * 1_100_000}})
    assert info.value.argument == "body"
    assert len(recorder.seen) == before
    writer.close()


def test_no_request_left_the_origin_or_prefix_during_the_whole_corpus(recorder):
    assert recorder.seen, "the corpus sent nothing at all"
    _assert_all_inside(recorder)


@pytest.mark.slow
def test_every_refusal_is_a_rest_error(api):
    for value in CORPUS:
        try:
            api.call("probe_getItem", {"item_id": value})
        except RestError:
            pass
