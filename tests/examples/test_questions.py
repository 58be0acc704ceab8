"""The labelled question set ``examples/questions.jsonl`` holds against the demo data.

Every gold fact is checked where it comes from: sales facts in the result of the
gold SQL, handbook facts in the text of the labelled document, tickets facts in
the example API's answer to the expected call. If the data changes, these fail
before the evaluation quietly starts measuring the wrong thing.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.eval import contains_fact, normalize_text
from connectors.config import load_config
from connectors.docs import load_document
from connectors.sql.engine import SqlDatabase
from tests.examples.facts import render_rows
from tests.support import ACME_DB, EXAMPLES, TICKETS_TOKEN

QUESTIONS_PATH = EXAMPLES / "questions.jsonl"
DOCS = EXAMPLES / "acme" / "docs"
SPEC = EXAMPLES / "tickets" / "openapi.yaml"

Tag = Literal["easy", "hard-routing", "aggregate", "japanese", "unanswerable", "customer-mention",
              "cross-lingual", "lookup", "tune", "check"]


class Question(BaseModel):
    """One line of ``questions.jsonl``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^q\d{3}$")
    question: str = Field(min_length=8)
    source: Literal["handbook", "sales", "tickets", "none"]
    facts: list[str]
    sql: str | None = None
    operation: str | None = Field(None, pattern=r"^tickets_[A-Za-z]+$")
    arguments: dict[str, Any] | None = None
    path: str | None = None
    tags: list[Tag] = Field(min_length=1)

    @model_validator(mode="after")
    def _fields_match_the_source(self) -> Question:
        wanted = {"handbook": {"path"}, "sales": {"sql"}, "tickets": {"operation", "arguments"}, "none": set()}
        present = {key for key in ("sql", "operation", "arguments", "path") if getattr(self, key) is not None}
        if present != wanted[self.source]:
            raise ValueError(f"a {self.source} question needs exactly {sorted(wanted[self.source])}, has {sorted(present)}")
        if (self.source == "none") != (not self.facts):
            raise ValueError("'none' questions have no facts; every other question has at least one")
        if any(not fact.strip() for fact in self.facts):
            raise ValueError("empty fact")
        if (self.source == "none") != ("unanswerable" in self.tags):
            raise ValueError("'unanswerable' is the tag of exactly the 'none' questions")
        if len({"tune", "check"} & set(self.tags)) != 1:
            raise ValueError("every question is in exactly one split: tag it 'tune' or 'check'")
        return self


def _load() -> list[Question]:
    lines = QUESTIONS_PATH.read_text(encoding="utf-8").splitlines()
    return [Question.model_validate_json(line) for line in lines if line.strip()]


QUESTIONS = _load()


def _of(source: str) -> list[Question]:
    return [q for q in QUESTIONS if q.source == source]


# -- the set as a whole ---------------------------------------------------------------------


def test_ids_and_questions_are_unique() -> None:
    assert len({q.id for q in QUESTIONS}) == len(QUESTIONS)
    assert len({normalize_text(q.question) for q in QUESTIONS}) == len(QUESTIONS)


def test_the_set_covers_every_source_and_kind_of_question() -> None:
    sources = Counter(q.source for q in QUESTIONS)
    tags = Counter(tag for q in QUESTIONS for tag in q.tags)
    assert len(QUESTIONS) >= 80
    assert sources["handbook"] >= 30 and sources["sales"] >= 20 and sources["tickets"] >= 10
    assert sources["none"] >= 5
    assert tags["japanese"] >= 3 and tags["hard-routing"] >= 10 and tags["aggregate"] >= 10
    japanese = {q.source for q in QUESTIONS if "japanese" in q.tags}
    assert {"handbook", "sales", "tickets"} <= japanese
    # Questions that name a customer but ask about policy: the classic wrong route.
    assert sum(1 for q in _of("handbook") if "customer-mention" in q.tags) >= 3


def test_the_tune_and_check_splits_each_hold_about_half_of_every_source() -> None:
    for source in ("handbook", "sales", "tickets", "none"):
        split = Counter(tag for q in _of(source) for tag in q.tags if tag in ("tune", "check"))
        assert abs(split["tune"] - split["check"]) <= 1, (source, split)


def test_japanese_tag_marks_japanese_questions() -> None:
    for q in QUESTIONS:
        has_kana_or_kanji = re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", q.question) is not None
        assert has_kana_or_kanji == ("japanese" in q.tags), q.id


def test_routing_examples_in_the_config_are_not_questions_of_the_set() -> None:
    config = load_config(EXAMPLES / "ragbox.toml")
    asked = {normalize_text(q.question) for q in QUESTIONS}
    shown = [e for s in config.sources() for e in s.examples]
    shown += [e.question for d in config.databases for e in d.sql_examples]
    assert shown and not asked & {normalize_text(e) for e in shown}


# -- handbook: the facts are in the labelled document ---------------------------------------


@functools.cache
def _document_text(path: str) -> str:
    return load_document(DOCS / path).text


@pytest.mark.parametrize("q", _of("handbook"), ids=lambda q: q.id)
def test_handbook_facts_are_in_the_document(q: Question) -> None:
    assert q.path is not None and (DOCS / q.path).is_file(), f"{q.id}: no document {q.path}"
    text = _document_text(q.path)
    missing = [fact for fact in q.facts if not contains_fact(text, fact)]
    assert not missing, f"{q.id}: {missing} not in {q.path}"


# -- sales: the facts are in the gold SQL's result ------------------------------------------


@pytest.fixture(scope="module")
def sales() -> Iterator[SqlDatabase]:
    db = SqlDatabase(f"sqlite:///{ACME_DB}", name="sales")
    yield db
    db.close()


@pytest.mark.parametrize("q", _of("sales"), ids=lambda q: q.id)
def test_sales_facts_are_in_the_gold_sql_result(q: Question, sales: SqlDatabase) -> None:
    assert q.sql is not None
    result = sales.run_query(q.sql)  # through the guard, as the server would run it
    assert result.rows and not result.truncated, f"{q.id}: no rows or too many"
    text = render_rows(result.columns, result.rows)
    missing = [fact for fact in q.facts if not contains_fact(text, fact)]
    assert not missing, f"{q.id}: {missing} not in\n{text}"


# -- tickets: the facts are in the API's answer to the expected call ------------------------


@functools.cache
def _operations() -> dict[str, tuple[str, str, frozenset[str]]]:
    """operationId -> (method, path template, parameter names), from the committed spec."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    found = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                names = frozenset(p["name"] for p in op.get("parameters", []))
                found[op["operationId"]] = (method.upper(), path, names)
    return found


def test_ticket_operations_exist_and_are_read_only() -> None:
    operations = _operations()
    for q in _of("tickets"):
        assert q.operation is not None and q.arguments is not None
        operation_id = q.operation.removeprefix("tickets_")
        assert operation_id in operations, f"{q.id}: the spec has no operation {operation_id}"
        method, _, names = operations[operation_id]
        assert method == "GET", f"{q.id}: the demo config exposes GET operations only"
        assert set(q.arguments) <= names, f"{q.id}: unknown arguments {set(q.arguments) - names}"


@pytest.mark.parametrize("q", _of("tickets"), ids=lambda q: q.id)
def test_tickets_facts_are_in_the_api_answer(q: Question, tickets_api: str) -> None:
    assert q.operation is not None and q.arguments is not None
    _, template, _ = _operations()[q.operation.removeprefix("tickets_")]
    in_path = set(re.findall(r"{(\w+)}", template))
    path = template.format(**{k: v for k, v in q.arguments.items() if k in in_path})
    query = {k: v for k, v in q.arguments.items() if k not in in_path}
    response = httpx.get(f"{tickets_api}{path}", params=query, timeout=10,
                         headers={"Authorization": f"Bearer {TICKETS_TOKEN}"})
    assert response.status_code == 200, f"{q.id}: {response.status_code} {response.text}"
    text = json.dumps(response.json(), ensure_ascii=False)
    missing = [fact for fact in q.facts if not contains_fact(text, fact)]
    assert not missing, f"{q.id}: {missing} not in {text[:2000]}"
