"""Reading the gold questions file."""

import json

import pytest

from agent.eval import QuestionsError, load_questions


def write(tmp_path, *lines):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_questions_parses_every_field(tmp_path):
    line = {"id": "q1", "question": "How many orders?", "source": "sales", "facts": [12000],
            "sql": "SELECT COUNT(*) FROM orders", "tags": ["easy"]}
    path = write(tmp_path, json.dumps(line), "", json.dumps({"question": "Share price?", "source": "none"}))
    first, second = load_questions(path)
    assert (first.id, first.source, first.facts, first.sql, first.tags) == (
        "q1", "sales", ("12000",), "SELECT COUNT(*) FROM orders", ("easy",))
    assert second.id == "q3" and not second.answerable


def test_load_questions_filters_by_tag_and_limit(tmp_path):
    lines = [json.dumps({"question": f"Q{i}?", "source": "sales", "tags": ["easy" if i % 2 else "hard"]})
             for i in range(6)]
    path = write(tmp_path, *lines)
    assert [q.question for q in load_questions(path, tags=["easy"], limit=2)] == ["Q1?", "Q3?"]


def test_docs_questions_without_source_go_to_the_handbook(tmp_path):
    path = write(tmp_path, json.dumps({"question": "Leave?", "path": "handbook.md", "facts": ["25 days"]}))
    assert load_questions(path)[0].source == "handbook"


@pytest.mark.parametrize(("line", "message"), [
    ("not json", "line 1"),
    (json.dumps({"question": "", "source": "sales"}), "'question'"),
    (json.dumps({"question": "Q?"}), "'source'"),
    (json.dumps({"question": "Q?", "source": "sales", "facts": "12"}), "'facts'"),
])
def test_load_questions_says_which_line_is_wrong(tmp_path, line, message):
    with pytest.raises(QuestionsError, match=message):
        load_questions(write(tmp_path, line))


def test_load_questions_missing_file(tmp_path):
    with pytest.raises(QuestionsError, match="Cannot read"):
        load_questions(tmp_path / "nope.jsonl")
