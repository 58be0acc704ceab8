"""The gold question file: one JSON object a line, parsed into typed questions at the edge."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import AgentError

__all__ = ["NO_SOURCE", "GoldQuestion", "QuestionsError", "load_questions", "parse_question"]

NO_SOURCE = "none"
"""The gold source of a question no source can answer."""


class QuestionsError(AgentError):
    """The questions file cannot be read, or a line is not a valid question."""


@dataclass(frozen=True, kw_only=True)
class GoldQuestion:
    """A question with what a right answer routes to, contains and (for databases) computes."""

    id: str
    question: str
    source: str
    facts: tuple[str, ...] = ()
    sql: str | None = None
    operation: str | None = None
    arguments: dict[str, Any] | None = None
    path: str | None = None
    tags: tuple[str, ...] = field(default=())

    @property
    def answerable(self) -> bool:
        return self.source != NO_SOURCE


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise ValueError(f"'{what}' must be a list of strings")
    return tuple(str(v) for v in value)


def parse_question(data: Any, *, default_id: str) -> GoldQuestion:
    """One line's object as a :class:`GoldQuestion`; raises ``ValueError`` saying what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("'question' must be a non-empty string")
    source = data.get("source")
    if source is None and data.get("path"):
        source = "handbook"  # the older docs_questions.jsonl lines name a document, not a source
    if not isinstance(source, str) or not source:
        raise ValueError(f"'source' must name a source, or be \"{NO_SOURCE}\"")
    arguments = data.get("arguments")
    if arguments is not None and not isinstance(arguments, dict):
        raise ValueError("'arguments' must be an object")
    for key in ("sql", "operation", "path"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ValueError(f"'{key}' must be a string")
    return GoldQuestion(
        id=str(data.get("id") or default_id), question=question.strip(), source=source,
        facts=_strings(data.get("facts"), "facts"), sql=data.get("sql") or None,
        operation=data.get("operation"), arguments=arguments, path=data.get("path"),
        tags=_strings(data.get("tags"), "tags"),
    )


def load_questions(path: Path, *, limit: int = 0, tags: Sequence[str] = ()) -> list[GoldQuestion]:
    """The questions in ``path`` (JSON Lines); ``tags`` keeps those with any of them."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QuestionsError(f"Cannot read the questions file {path}: {exc.strerror or exc}.") from None
    questions: list[GoldQuestion] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            questions.append(parse_question(json.loads(line), default_id=f"q{number}"))
        except (json.JSONDecodeError, ValueError) as exc:
            raise QuestionsError(f"{path}, line {number}: {exc}; fix the line and run again.") from None
    if tags:
        questions = [q for q in questions if set(q.tags) & set(tags)]
    if not questions:
        raise QuestionsError(f"{path} holds no questions" + (f" tagged {', '.join(tags)}" if tags else "") + ".")
    return questions[:limit] if limit else questions
