"""API bodies for a small model: key: value lines, scalars first, one line per listed object."""

from agent.json_lines import json_lines, maybe_json_lines


def test_a_page_shows_its_total_before_its_items_one_line_each():
    page = {"items": [{"id": 12, "status": "open", "customer": {"name": "Harbor", "tier": "premium"}},
                      {"id": 13, "status": "closed", "customer": {"name": "Zenith"}}],
            "total": 31, "limit": 2}
    assert json_lines(page) == (
        "total: 31\nlimit: 2\nitems (2 shown):\n"
        "- id: 12; status: open; customer.name: Harbor; customer.tier: premium\n"
        "- id: 13; status: closed; customer.name: Zenith"
    )


def test_an_object_flattens_to_dotted_keys_and_scalar_lists_join():
    assert json_lines({"id": 8, "owner": {"name": "Ana"}, "tags": ["a", "b"], "done": False, "due": None}) == (
        "id: 8\ntags: a, b\ndone: false\ndue: null\nowner.name: Ana"
    )


def test_long_and_multiline_values_are_cut_to_one_line():
    text = json_lines({"body": "line one\nline two " + "x" * 400})
    assert "\n" not in text and text.endswith("…") and len(text) < 320


def test_text_that_is_not_json_is_left_alone():
    assert maybe_json_lines("plain text {not json") == "plain text {not json"
    assert maybe_json_lines("{broken") == "{broken"
    assert maybe_json_lines('[{"a": 1}]') == "items (1 shown):\n- a: 1"
