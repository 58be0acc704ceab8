"""The fact matcher as the labelled questions use it, and the text query results become."""

from __future__ import annotations

import pytest

from agent.eval import contains_fact, normalize_text
from tests.examples.facts import render_rows


@pytest.mark.parametrize(("text", "fact"), [
    ("total: 1539948.9", "1,539,948.90"),
    ("1,528,129.10 USD", "1528129.1"),
    ("Hotels: 260 EUR per night", "260 eur"),
    ("up to three   days\nper week", "Three days"),
    ("up to three days per week", "3 days"),
    ("月額５万円を上限", "5万円"),
    ('{"status": "resolved"}', "resolved"),
    ("released in 4.2.0 (14 October)", "4.2.0"),
    ("2025-01-29T18:46:00Z", "2025-01-29"),
    ("12000", "12,000"),
])
def test_contains_matches_the_same_fact_written_differently(text: str, fact: str) -> None:
    assert contains_fact(text, fact)


@pytest.mark.parametrize(("text", "fact"), [
    ("120 minutes", "12"),
    ("costs 4.12 EUR", "12"),
    ("version 4.2.1", "4.2"),
    ("reopen it", "open"),
    ("VibraCheck V3", "3"),
    ("25 days", "2 days"),
    ("anything", ""),
])
def test_contains_needs_the_whole_token(text: str, fact: str) -> None:
    assert not contains_fact(text, fact)


def test_normalise_keeps_dates_and_lists_apart() -> None:
    assert normalize_text("2024-03-12") == "2024-03-12"
    assert normalize_text("1,2,3") == "1,2,3"


def test_rows_render_money_with_two_decimals() -> None:
    text = render_rows(("name", "total", "paid_on"), [("Cedar Farms Ltd", 1528129.1, None)])
    assert text == "name | total | paid_on\nCedar Farms Ltd | 1528129.10 | "
