"""Reading JSON out of what a small model wrote."""

from agent.json_reply import extract_json_object


def test_raw_newlines_inside_a_string_are_read():
    # A 1.5B model copying multi-line SQL examples writes the line breaks into the JSON string.
    reply = '{"sql": "SELECT name\nFROM regions\nLIMIT 1"}'
    assert extract_json_object(reply) == {"sql": "SELECT name\nFROM regions\nLIMIT 1"}
    assert extract_json_object(f"Here it is:\n{reply}\nDone.") == {"sql": "SELECT name\nFROM regions\nLIMIT 1"}


def test_fenced_and_bare_objects_are_read_and_non_objects_are_not():
    assert extract_json_object('```json\n{"source": "sales"}\n```') == {"source": "sales"}
    assert extract_json_object("[1, 2]") is None
    assert extract_json_object("no json here") is None
