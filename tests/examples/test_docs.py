"""The demo documents: the mix issue 5 asks for, all loadable, and no contradiction of the sales data."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from connectors.docs import load_document
from tests.support import ACME_DB, EXAMPLES

DOCS = EXAMPLES / "acme" / "docs"
FILES = sorted(p for p in DOCS.rglob("*") if p.is_file())
KANA = re.compile(r"[\u3040-\u30ff]")


def _relative(path: Path) -> str:
    return path.relative_to(DOCS).as_posix()


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {_relative(p): load_document(p).text for p in FILES}


@pytest.fixture(scope="module")
def products() -> dict[str, tuple[str, str, float]]:
    db = sqlite3.connect(f"file:{ACME_DB}?mode=ro", uri=True)
    try:
        return {sku: (name, category, price)
                for sku, name, category, price in db.execute("SELECT sku, name, category, unit_price FROM products")}
    finally:
        db.close()


def test_the_demo_has_the_mix_of_documents_issue_5_asks_for(texts: dict[str, str]) -> None:
    suffixes = Counter(p.suffix for p in FILES)
    assert len(FILES) >= 30
    assert suffixes[".pdf"] >= 3 and suffixes[".html"] >= 3 and suffixes[".docx"] >= 1
    assert sum(1 for p in texts if p.startswith("meetings/") and p.endswith(".md")) >= 3
    japanese = [p for p, text in texts.items() if len(KANA.findall(text)) > 50]
    assert len(japanese) >= 3, japanese


def test_non_utf8_japanese_files_are_shift_jis_and_euc_jp() -> None:
    encodings = {}
    for path in FILES:
        if path.suffix != ".txt":
            continue
        raw = path.read_bytes()
        for encoding in ("utf-8", "shift_jis", "euc_jp", "cp1252"):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            if encoding == "cp1252" or KANA.search(text):
                encodings[_relative(path)] = encoding
                break
    assert encodings["tokyo_office_rules.txt"] == "shift_jis"
    assert encodings["japan/customer_visit_guide_ja.txt"] == "euc_jp"
    assert encodings["supplier_code_of_conduct.txt"] == "cp1252"


def test_the_price_list_is_the_products_table(products: dict[str, tuple[str, str, float]]) -> None:
    text = (DOCS / "policies" / "pricing_and_discounts.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (ACM-[A-Z]{3}-\d{3}) \| (.+?) \| (\w+) \| ([\d.]+) \|$", text, re.MULTILINE)
    assert {sku: (name, category, float(price)) for sku, name, category, price in rows} == products


def test_prices_in_the_documents_are_list_prices(texts: dict[str, str],
                                                 products: dict[str, tuple[str, str, float]]) -> None:
    list_prices = {price for _, _, price in products.values()}
    for path, text in texts.items():
        for sku_price, sku in re.findall(r"([\d,]+) USD \(SKU (ACM-[A-Z]{3}-\d{3})\)", text):
            assert float(sku_price.replace(",", "")) == products[sku][2], (path, sku)
        for amount in re.findall(r"(\d[\d,]*(?:\.\d+)?) USD", text):
            assert float(amount.replace(",", "")) in list_prices, (path, amount)
