"""Native CSV import: column mapping, row errors, limits and speed."""

from __future__ import annotations

import pytest

from storefront_builder.catalog import import_catalog
from storefront_builder.catalog.csv_format import COLUMNS
from storefront_builder.errors import CatalogError

HEADER = ",".join(COLUMNS)


def _csv(*rows: str) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode()


def _row(**cells: str) -> str:
    return ",".join(cells.get(c, "") for c in COLUMNS)


def test_full_row_maps_every_column() -> None:
    row = _row(sku="CUP-1", name_ko="찻잔", name_en="Tea cup", description='"Celadon, hand-thrown"',
               category="Home > Kitchen > Cups", brand="Icheon", price='"15,000"', sale_price="12000",
               currency="KRW", stock="7", width="0.1", height="0.12", depth="0.1", images="a.jpg|b.jpg",
               model="cup.glb", variant_group="cups", options="size=M|colour=green", gtin="8801234567893",
               rank="-2", tags="gift|ceramic")
    result = import_catalog(_csv(row))
    assert result.format == "csv" and result.encoding == "utf-8" and not result.errors
    p = result.products[0]
    assert p.category == ["Home", "Kitchen", "Cups"] and p.description == "Celadon, hand-thrown"
    assert (p.price.amount, p.sale_price and p.sale_price.amount, p.stock, p.rank) == (15000, 12000, 7, -2)
    assert p.images == ["a.jpg", "b.jpg"] and p.options == {"size": "M", "colour": "green"}
    assert p.dimensions is not None and p.dimensions.depth == 0.1 and p.tags == ["gift", "ceramic"]


def test_prices_are_major_units_of_the_row_currency() -> None:
    result = import_catalog(_csv(_row(sku="A", name_en="A", price="12.99", currency="USD"),
                                 _row(sku="B", name_en="B", price="15000.00"),
                                 _row(sku="C", name_en="C", price="12.999", currency="USD"),
                                 _row(sku="D", name_en="D", price='"12,99"')))
    assert [(p.sku, p.price.amount, p.price.currency) for p in result.products] == [
        ("A", 1299, "USD"), ("B", 15000, "KRW")]
    assert {(e.row, e.column) for e in result.errors} == {(4, "price"), (5, "price")}


def test_row_errors_and_good_rows_survive() -> None:
    result = import_catalog(_csv(
        _row(sku="OK", name_ko="좋음", price="100"),
        _row(sku="OK", name_ko="중복", price="100"),
        _row(sku="NEG", name_ko="음수", price="-100"),
        _row(sku="NAN", name_ko="문자", price="abc"),
        _row(sku="STK", name_ko="재고", price="100", stock="2000000"),
        _row(sku="", name_ko="코드없음", price="100"),
        _row(sku="NONAME", price="100"),
        _row(sku="SALE", name_ko="세일", price="100", sale_price="150"),
        _row(sku="NEGS", name_ko="음수재고", price="100", stock="-1"),
        _row(sku="DIM", name_ko="치수", price="100", width="0.1"),
        _row(sku="OK2", name_ko="좋음2", price="100"),
    ))
    assert [p.sku for p in result.products] == ["OK", "OK2"]
    errors = {(e.row, e.column): e.message for e in result.errors}
    assert "first used in row 2" in errors[(3, "sku")]
    assert "negative" in errors[(4, "price")]
    assert "not a number" in errors[(5, "price")]
    assert "absurd" in errors[(6, "stock")]
    assert errors[(7, "sku")] == "empty SKU"
    assert "missing name" in errors[(8, "name_ko")]
    assert "higher" in errors[(9, "sale_price")]
    assert "negative" in errors[(10, "stock")]
    assert (11, "width") in errors


def test_multiline_cells_and_blank_rows_keep_spreadsheet_numbering() -> None:
    data = _csv(_row(sku="A", name_en="A", price="1", description='"line one\nline two"'), "",
                _row(sku="B", name_en="B", price="x"))
    result = import_catalog(data)
    assert result.products[0].description == "line one\nline two"
    assert result.errors[0].row == 4


def test_missing_required_column_is_whole_file_error() -> None:
    with pytest.raises(CatalogError, match="price"):
        import_catalog(b"sku,name_ko\r\nA,B\r\n", format="csv")


def test_utf8_bom_is_detected() -> None:
    result = import_catalog(b"\xef\xbb\xbf" + _csv(_row(sku="A", name_ko="가", price="1")))
    assert result.encoding == "utf-8-sig" and result.products[0].sku == "A"


def test_ten_thousand_rows_import() -> None:
    rows = [_row(sku=f"SKU-{i}", name_ko=f"상품 {i}", price=str(1000 + i), stock="5", category="A > B",
                 tags="x|y") for i in range(10_000)]
    data = _csv(*rows)
    result = import_catalog(data)
    assert len(result.products) == 10_000 and not result.errors


def test_row_limit() -> None:
    data = (HEADER + "\n" + "A,n,,,,,1\n" * 100_001).encode()
    with pytest.raises(CatalogError, match="too many rows"):
        import_catalog(data)


def test_control_characters_are_dropped_from_text_and_refused_in_skus() -> None:
    """NUL padding or a stray ESC from an export never reaches a stored name; a SKU, an identifier, is refused."""
    row = _row(sku="CUP-1", name_ko="찻\x00잔", name_en="Tea\x1b[2J cup\x7f", description='"Celadon\r\nbowl\x07"',
               brand="Ic\x85heon", category="Home\x00 > Cups", price="100", tags="gi\x1aft|ceramic",
               options="size=M\x00")
    result = import_catalog(_csv(row, _row(sku="B\x00X", name_en="B", price="1")))
    p = result.products[0]
    assert (p.name_ko, p.name_en, p.brand) == ("찻잔", "Tea[2J cup", "Icheon")
    assert p.description == "Celadon\r\nbowl"  # line breaks stay: a description has lines
    assert (p.category, p.tags, p.options) == (["Home", "Cups"], ["gift", "ceramic"], {"size": "M"})
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "sku", "SKU must not contain spaces, slashes or control characters")]
