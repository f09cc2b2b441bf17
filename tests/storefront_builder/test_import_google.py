"""Google Merchant Center feed import (TSV and CSV)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from storefront_builder.catalog import import_catalog
from storefront_builder.catalog.google import parse_feed_price, parse_length


def test_tsv_fixture(fixture_bytes: Callable[[str], bytes]) -> None:
    result = import_catalog(fixture_bytes("google_feed.tsv"))
    assert result.format == "google"
    by_sku = {p.sku: p for p in result.products}
    mug = by_sku["MUG-1"]
    assert mug.name_ko == "머그컵" and mug.category == ["Home", "Kitchen", "Cups"]
    assert (mug.price.amount, mug.sale_price and mug.sale_price.amount) == (15000, 12000)
    assert mug.sale_starts_at == datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    assert mug.sale_ends_at == datetime(2026, 11, 15, 14, 59, tzinfo=UTC)
    assert len(mug.images) == 3 and mug.gtin == "8801234567893"
    assert mug.dimensions is not None and mug.dimensions.width == pytest.approx(0.10)
    assert mug.dimensions.depth == pytest.approx(0.12)
    # availability → stock rule
    assert mug.stock == 10 and by_sku["SOCK-M-BLK"].stock == 0 and by_sku["SOCK-L-BLK"].stock == 10
    assert by_sku["SOCK-L-BLK"].options == {"size": "L", "color": "black"}
    assert by_sku["SOCK-L-BLK"].variant_group == "SOCK" and by_sku["SOCK-L-BLK"].tags == ["used"]
    tea = by_sku["USD-1"]
    assert (tea.price.amount, tea.price.currency) == (1299, "USD") and tea.category[-1] == "Beverages"
    assert {(e.row, e.column) for e in result.errors} == {(6, "price"), (7, "availability")}


def test_default_stock_is_configurable(fixture_bytes: Callable[[str], bytes]) -> None:
    result = import_catalog(fixture_bytes("google_feed.tsv"), default_stock=3)
    assert {p.stock for p in result.products} == {0, 3}


def test_csv_feed_with_g_prefix() -> None:
    data = (b'g:id,g:title,g:price,g:availability,g:sale_price\n'
            b'A,Mug,"15,000.00 KRW",in stock,\n'
            b'B,Cup,100 KRW,in_stock,200 KRW\n'
            b'C,Pot,100 KRW,in_stock,90 USD\n')
    result = import_catalog(data)
    assert result.format == "google" and [p.sku for p in result.products] == ["A"]
    assert result.products[0].price.amount == 15000
    assert {e.row for e in result.errors} == {3, 4}


@pytest.mark.parametrize(("text", "expected"), [
    ("15000 KRW", (15000, "KRW")), ("15,000.00 KRW", (15000, "KRW")), ("12.99 USD", (1299, "USD")),
    ("7000", (7000, "KRW")), ("1.5 JPY", None), ("abc KRW", None), ("-5 KRW", None),
])
def test_price_formats(text: str, expected: tuple[int, str] | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            parse_feed_price(text, "KRW")
    else:
        assert parse_feed_price(text, "KRW") == expected


def test_lengths_and_bad_window() -> None:
    assert parse_length("20 cm") == pytest.approx(0.2)
    assert parse_length("5in") == pytest.approx(0.127)
    with pytest.raises(ValueError):
        parse_length("20 furlongs")
    data = (b"id\ttitle\tprice\tavailability\tsale_price\tsale_price_effective_date\tgtin\n"
            b"A\tMug\t100 KRW\tin_stock\t90 KRW\tnot-a-date\t\n"
            b"B\tMug\t100 KRW\tin_stock\t\t\t123\n")
    result = import_catalog(data)
    assert {(e.row, e.column) for e in result.errors} == {(2, "sale_price_effective_date"), (3, "gtin")}
