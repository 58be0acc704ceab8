"""Fact matching after normalisation of case, numbers and whitespace."""

import pytest

from agent.normalize import contains_fact, normalize_text, says_not_found


@pytest.mark.parametrize(("text", "normal"), [
    ("  Twenty-Five   DAYS ", "25 days"),
    ("USD 1,234.50", "usd 1234.5"),
    ("12 %", "12%"),
    ("It’s 3.0 hours.", "it's 3 hours."),
    ("１２０００", "12000"),
])
def test_normalize_text(text, normal):
    assert normalize_text(text) == normal


@pytest.mark.parametrize(("answer", "fact"), [
    ("Employees get 25 days of paid leave [1].", "25 days"),
    ("There are 12,000 orders.", "12000"),
    ("The total was $1,234.50 [1].", "1234.5"),
    ("You may book Premium Economy.", "premium economy"),
    ("Up to two drinks per person.", "two drinks"),
    ("You need a note on the 4th day; that is 25.", "25"),
    ("東京オフィスは9時から18時までです。", "9時"),
    ("The total is 44992556.39999996 [1].", "44,992,556.40"),
    ("Average: 1234.5678", "1234.57"),
    ("Twelve orders were late.", "12 orders"),
    ("12 orders were late.", "twelve orders"),
    ("2025-01-29T18:46:00Z", "2025-01-29"),
])
def test_contains_fact_finds_normalised_facts(answer, fact):
    assert contains_fact(answer, fact)


@pytest.mark.parametrize(("answer", "fact"), [
    ("There are 250 days.", "25"),
    ("Growth was 3.5% this year.", "3"),
    ("The head of marketing approves.", "Head of Sales"),
    ("12001 orders", "12000"),
    ("The total is 44992556.3 [1].", "44,992,556.40"),
    ("It costs 4.12 EUR.", "12"),
    ("It costs 11.6 EUR.", "12"),
    ("Thirteen orders were late.", "3 orders"),
])
def test_contains_fact_respects_word_edges(answer, fact):
    assert not contains_fact(answer, fact)


@pytest.mark.parametrize("fact", ["", "  ", "\u3000"])
def test_an_empty_fact_matches_nothing(fact):
    assert not contains_fact("Any answer at all.", fact)


@pytest.mark.parametrize(("answer", "expected"), [
    ("not found in the sources", True),
    ("The context does not contain the share price.", True),
    ("I couldn't find that.", True),
    ("The share price is 42 USD [1].", False),
])
def test_says_not_found(answer, expected):
    assert says_not_found(answer) is expected
