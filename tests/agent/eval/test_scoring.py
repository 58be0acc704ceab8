"""Result-set comparison, ORDER BY detection, citations and route labels."""

import pytest

from agent.eval import ResultSet, check_citations, has_order_by, result_sets_match, route_label
from agent.eval.scoring import cited_refs


def rs(*rows, columns=None):
    width = len(rows[0]) if rows else 1
    return ResultSet(columns=tuple(columns or [f"c{i}" for i in range(width)]), rows=tuple(rows))


@pytest.mark.parametrize(("gold", "got", "ordered"), [
    (rs((240,)), rs((240,), columns=["n"]), False),
    (rs(("EMEA", 10.0), ("APAC", 5)), rs(("APAC", 5.0), ("EMEA", 10)), False),  # order and int/float ignored
    (rs((1234.5678,)), rs((1234.57,)), False),  # rounded in SQL: within tolerance
    (rs((0.3333333,)), rs((1 / 3,)), False),
    (rs(("Acme", 3)), rs((1, "acme", 3, "x")), False),  # extra columns, names and case ignored
    (rs(("a", 1), ("b", 2)), rs(("a", 1), ("b", 2)), True),
    (rs(), rs(), False),
])
def test_result_sets_match(gold, got, ordered):
    assert result_sets_match(gold, got, ordered=ordered)


@pytest.mark.parametrize(("gold", "got", "ordered"), [
    (rs((240,)), rs((241,)), False),
    (rs(("a", 1), ("b", 2)), rs(("b", 2), ("a", 1)), True),  # gold has ORDER BY: order counts
    (rs(("a", 1), ("b", 2)), rs(("a", 1)), False),
    (rs(("a", 1), ("b", 2)), rs(("a", 2), ("b", 1)), False),  # each column matches alone, rows do not
    (rs((None,)), rs((0,)), False),
    (rs(("Acme", 3)), rs(("Acme",)), False),
])
def test_result_sets_differ(gold, got, ordered):
    assert not result_sets_match(gold, got, ordered=ordered)


@pytest.mark.parametrize(("sql", "ordered"), [
    ("SELECT name FROM customers ORDER BY name", True),
    ("select name from customers order by 1 limit 5", True),
    ("SELECT name, RANK() OVER (ORDER BY revenue) FROM t", False),
    ("SELECT COUNT(*) FROM (SELECT * FROM orders ORDER BY order_date)", False),
    ("SELECT COUNT(*) FROM orders", False),
])
def test_has_order_by_looks_at_the_outer_query(sql, ordered):
    assert has_order_by(sql) is ordered


def test_cited_refs_reads_lists_and_keeps_out_of_range_numbers():
    assert cited_refs("A [2], B [1, 3] and C [2] and [9].") == [2, 1, 3, 9]


def test_check_citations():
    blocks = ["Employees get 25 days of leave.", "Expenses within 30 days."]
    good = check_citations("25 days [1].", blocks, ["25 days"])
    assert good.valid and good.cited == (1,) and good.in_range and good.cites_fact
    wrong_block = check_citations("25 days [2].", blocks, ["25 days"])
    assert wrong_block.in_range and wrong_block.cites_fact is False and not wrong_block.valid
    out_of_range = check_citations("25 days [1][3].", blocks, ["25 days"])
    assert not out_of_range.in_range and not out_of_range.valid
    assert not check_citations("25 days.", blocks, ["25 days"]).valid  # nothing cited
    assert check_citations("See [2].", blocks, []).valid  # no facts: existence is enough


def test_route_label():
    assert route_label(("sales",)) == "sales"
    assert route_label(("handbook", "sales")) == "fanout"
    assert route_label(("handbook", "sales"), llm_said_none=True) == "none"
