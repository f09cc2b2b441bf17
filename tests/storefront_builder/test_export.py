"""CSV export: formula neutralisation and export → import round trips."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from storefront_builder.catalog import Product, RowError, export_csv, export_report_csv, import_catalog
from storefront_builder.catalog._rows import neutralise, unneutralise


def _product(**kw: object) -> Product:
    base: dict[str, object] = {"sku": "SKU-1", "name_ko": "찻잔", "price": {"amount": 15000, "currency": "KRW"}}
    return Product.model_validate(base | kw)


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_dangerous_text_cells_are_prefixed_numbers_are_not() -> None:
    p = _product(name_en='=HYPERLINK("http://evil","x")', description="+1 555", brand="@SUM(A1)",
                 tags=["-2+3"], rank=-5, sale_price={"amount": 12000, "currency": "KRW"})
    header, row = _cells(export_csv([p]))
    cell = dict(zip(header, row, strict=True))
    assert cell["name_en"].startswith("'=") and cell["description"] == "'+1 555"
    assert cell["brand"] == "'@SUM(A1)" and cell["tags"] == "'-2+3"
    assert (cell["price"], cell["sale_price"], cell["rank"]) == ("15000", "12000", "-5")


def test_tab_and_cr_are_neutralised() -> None:
    assert neutralise("\tcmd") == "'\tcmd" and neutralise("\rcmd") == "'\rcmd" and neutralise("ok") == "ok"
    assert unneutralise(neutralise("'=x")) == "'=x" and unneutralise("'plain") == "'plain"


def test_round_trip_exact() -> None:
    products = [
        _product(name_en="Tea cup", description="Two\nlines, with comma", category=["Home", "Kitchen"],
                 brand="=Icheon", stock=3, dimensions={"width": 0.1, "height": 0.12, "depth": 0.3},
                 images=["a.jpg", "b.jpg"], model="cup.glb", variant_group="cups",
                 options={"size": "M", "colour": "green"}, gtin="8801234567893", rank=2, tags=["gift"],
                 sale_price={"amount": 9000, "currency": "KRW"}),
        _product(sku="USD-1", name_ko=None, name_en="-minus", price={"amount": 1299, "currency": "USD"}),
    ]
    result = import_catalog(export_csv(products).encode())
    assert not result.errors and result.products == products


def test_round_trip_keeps_sale_window() -> None:
    p = _product(sale_price={"amount": 1, "currency": "KRW"},
                 sale_starts_at=datetime(2026, 11, 1, tzinfo=UTC), sale_ends_at=datetime(2026, 11, 15, tzinfo=UTC))
    text = export_csv([p])
    assert text.splitlines()[0].endswith("sale_starts_at,sale_ends_at")
    assert import_catalog(text.encode()).products == [p]
    assert "sale_starts_at" not in export_csv([_product()])


def test_report_csv_is_neutralised() -> None:
    text = export_report_csv([RowError(row=3, column="price", message="=cmd|' /C calc'!A0")])
    assert _cells(text) == [["row", "column", "message"], ["3", "price", "'=cmd|' /C calc'!A0"]]


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="|>") | st.sampled_from(
    "=+-@'\t"), min_size=1, max_size=20).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None)
@given(name=_TEXT, description=_TEXT, brand=_TEXT, tag=_TEXT)
def test_round_trip_property(name: str, description: str, brand: str, tag: str) -> None:
    p = _product(name_en=name, description=description, brand=brand, tags=[tag])
    assert import_catalog(export_csv([p]).encode()).products == [p]
