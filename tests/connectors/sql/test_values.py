"""SqlDatabase.match_values: which stored text values a question names, on real SQLite files and PostgreSQL."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.errors import SqlError
from connectors.sql.engine import Limits, SqlDatabase, ValueMatch
from tests.support import data_digest

POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)


@pytest.fixture(params=["sqlite", POSTGRES])
def db_url(request, acme_sqlite: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{acme_sqlite}"
    return request.getfixturevalue("acme_pg")


def make_db(tmp_path: Path, tables: dict[str, tuple[list[str], list[tuple]]], **limits) -> SqlDatabase:
    """A SQLite file holding ``tables`` ({name: (column DDL, rows)}), opened read-only."""
    path = tmp_path / "values.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for name, (columns, rows) in tables.items():
            quoted = '"' + name.replace('"', '""') + '"'
            conn.exec_driver_sql(f"CREATE TABLE {quoted} ({', '.join(columns)})")
            if rows:
                marks = ", ".join("?" for _ in rows[0])
                conn.exec_driver_sql(f"INSERT INTO {quoted} VALUES ({marks})", rows)
    engine.dispose()
    return SqlDatabase(f"sqlite:///{path}", name="values", limits=Limits(**limits))


def values(matches: list[ValueMatch]) -> list[str]:
    return [m.value for m in matches]


def test_names_statuses_and_regions_in_a_question_are_found(db_url):
    db = SqlDatabase(db_url, name="sales")
    found = db.match_values("How many orders did Harbor Pharma Inc cancel in North America?")
    assert ValueMatch("customers", "name", "Harbor Pharma Inc") in found
    assert ValueMatch("orders", "status", "cancelled") in found
    assert ValueMatch("regions", "name", "North America") in found
    assert db.match_values("How many customers are there?") == []


def test_matching_ignores_case_and_punctuation_and_prefers_the_longest_value(tmp_path):
    db = make_db(tmp_path, {"firms": (["name TEXT"], [("Pharma",), ("Harbor Pharma Inc",), ("harbor",)])})
    assert values(db.match_values("orders of HARBOR PHARMA INC.")) == ["Harbor Pharma Inc"]


def test_a_several_word_value_is_found_from_its_distinctive_words(acme_sqlite):
    db = SqlDatabase(f"sqlite:///{acme_sqlite}", name="sales")
    found = values(db.match_values("What did Harbor Pharma order last year?"))
    assert "Harbor Pharma Inc" in found and "Harbor Pharma KK" in found
    assert "Harbor Systems AB" not in found  # one shared word is not enough


def test_words_inside_other_words_do_not_match(tmp_path):
    db = make_db(tmp_path, {"cities": (["city TEXT"], [("Rome",), ("Bath",)])})
    assert db.match_values("Which chromosome is in the bathroom?") == []
    assert values(db.match_values("Trips to Rome")) == ["Rome"]


def test_stopwords_short_and_numeric_values_are_not_matched_unless_quoted(tmp_path):
    rows = [("the",), ("NY",), ("2014",), ("12-04",), ("Open",)]
    db = make_db(tmp_path, {"t": (["v TEXT"], rows)})
    assert values(db.match_values("Which of the NY rows from 2014 on 12-04 are open?")) == ["Open"]
    assert set(values(db.match_values("Rows with v 'NY' or \"2014\""))) == {"NY", "2014"}
    assert values(db.match_values("Which 'NY' rows are open?")) == ["NY", "Open"]


def test_odd_table_and_column_names_and_quoted_values_are_safe(tmp_path):
    name = 'we"ird \'table\'; DROP TABLE x; --'
    db = make_db(tmp_path, {
        name: (['"col ""a""; --" TEXT', "[select] TEXT"], [("O'Brien & Sons", 'say "hi"'), ("Plain", "x")]),
        "x": (["id INTEGER"], [(1,)]),
    })
    before = data_digest(db.url)
    found = db.match_values("Invoices of O'Brien & Sons that say \"hi\"")
    assert ValueMatch(name, 'col "a"; --', "O'Brien & Sons") in found
    assert ValueMatch(name, "select", 'say "hi"') in found
    assert data_digest(db.url) == before


def test_only_text_columns_are_indexed(tmp_path):
    db = make_db(tmp_path, {"t": (["n INTEGER", "label VARCHAR(20)", "note CHAR(10)"],
                                  [(7, "Walnut", "Maple")])})
    assert values(db.match_values("walnut and maple")) == ["Walnut", "Maple"]
    assert db.match_values("7") == []


def test_a_column_with_more_distinct_values_than_the_cap_is_free_text_and_skipped(tmp_path):
    rows = [(f"Widget{i:03d}", "Walnut") for i in range(11)]
    db = make_db(tmp_path, {"t": (["code TEXT", "wood TEXT"], rows)}, index_values=10)
    assert values(db.match_values("widget005 in walnut")) == ["Walnut"]


def test_long_values_are_prose_and_skipped(tmp_path):
    long = "Walnut " * 20
    db = make_db(tmp_path, {"t": (["v TEXT"], [(long.strip(),), ("Maple",)])}, index_value_chars=80)
    assert values(db.match_values(long + " maple")) == ["Maple"]


def test_only_the_first_tables_are_indexed(tmp_path):
    tables = {f"t{i}": (["v TEXT"], [(f"Value{i}",)]) for i in range(3)}
    db = make_db(tmp_path, tables, index_tables=2)
    assert values(db.match_values("value0 value1 value2")) == ["Value0", "Value1"]


def test_allow_listed_tables_only(tmp_path):
    db = make_db(tmp_path, {"public": (["v TEXT"], [("Walnut",)]), "secret": (["v TEXT"], [("Maple",)])})
    db = SqlDatabase(db.url, name="values", allowed_tables=["public"])
    assert values(db.match_values("walnut maple")) == ["Walnut"]


def test_limit_keeps_the_best_matches(tmp_path):
    db = make_db(tmp_path, {"t": (["v TEXT"], [("Oak",), ("Red Maple",), ("Walnut",)])})
    assert values(db.match_values("oak, red maple and walnut", limit=1)) == ["Red Maple"]
    with pytest.raises(SqlError, match="limit"):
        db.match_values("oak", limit=0)


def test_an_empty_database_matches_nothing(tmp_path):
    db = make_db(tmp_path, {"t": (["v TEXT"], [])})
    assert db.match_values("anything at all") == []
