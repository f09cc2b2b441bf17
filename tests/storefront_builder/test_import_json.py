"""Native JSON catalog import and its committed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storefront_builder.catalog import import_catalog
from storefront_builder.catalog.schema import SCHEMA_PATH, catalog_json_schema, render_catalog_schema
from storefront_builder.errors import CatalogError


def _import(doc: Any, **kw: Any) -> Any:
    return import_catalog(json.dumps(doc, ensure_ascii=False).encode(), **kw)


def test_object_form_with_document_currency() -> None:
    result = _import({"currency": "USD", "products": [
        {"sku": "TEA-1", "name_en": "Tea", "price": 1299, "sale_price": 999, "stock": 4,
         "category": ["Food", "Tea"], "dimensions": {"width": 0.1, "height": 0.2, "depth": 0.1}},
        {"sku": "CUP-1", "name_ko": "컵", "price": {"amount": 15000, "currency": "KRW"}},
    ]})
    assert result.format == "json" and not result.errors
    tea, cup = result.products
    assert (tea.price.amount, tea.price.currency, tea.sale_price and tea.sale_price.amount) == (1299, "USD", 999)
    assert tea.dimensions is not None and tea.dimensions.height == 0.2
    assert (cup.price.amount, cup.price.currency) == (15000, "KRW")


def test_bare_list_uses_default_currency() -> None:
    result = _import([{"sku": "A", "name_ko": "가", "price": 100}], default_currency="JPY")
    assert result.products[0].price.currency == "JPY"


def test_row_errors_name_index_and_field() -> None:
    result = _import({"products": [
        {"sku": "OK", "name_ko": "좋음", "price": 1000},
        {"sku": "F", "name_ko": "소수", "price": 12.5},
        {"sku": "B", "name_ko": "참", "price": True},
        {"sku": "M", "name_ko": "가격없음"},
        {"sku": "X", "name_ko": "추가", "price": 1, "colour": "red"},
        "not an object",
        {"sku": "OK", "name_ko": "중복", "price": 1},
        {"sku": "N", "name_ko": "음수", "price": -5},
        {"sku": "S", "name_ko": "세일", "price": 100, "sale_price": 200},
        {"sku": "", "name_ko": "빈코드", "price": 100},
        {"sku": "NONAME", "price": 100},
        {"sku": "BIG", "name_ko": "재고", "price": 100, "stock": 10**9},
    ]})
    assert [p.sku for p in result.products] == ["OK"]
    got = {(e.row, e.column) for e in result.errors}
    assert {(2, "price"), (3, "price"), (4, "price"), (5, "colour"), (6, None), (7, "sku"), (8, "price"),
            (9, "sale_price"), (10, "sku"), (12, "stock")} <= got
    assert any(e.row == 11 and "missing name" in e.message for e in result.errors)
    dup = next(e for e in result.errors if e.row == 7)
    assert "row 1" in dup.message
    assert result.rows_read == 12


@pytest.mark.parametrize("text", [b"{", b'{"products": 3}', b"42", b'{"products": [], "currency": 5}'])
def test_unreadable_documents_raise(text: bytes) -> None:
    with pytest.raises(CatalogError):
        import_catalog(text, format="json")


def test_deeply_nested_json_is_a_catalog_error() -> None:
    with pytest.raises(CatalogError):
        import_catalog(b"[" * 100_000 + b"]" * 100_000)


def test_too_many_products() -> None:
    data = b"[" + b",".join([b"{}"] * 100_001) + b"]"
    with pytest.raises(CatalogError, match="too many"):
        import_catalog(data)


def test_committed_schema_equals_generated() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_catalog_schema()
    assert Path(SCHEMA_PATH).name == "catalog.schema.json"


def test_schema_accepts_what_the_importer_accepts() -> None:
    import jsonschema

    schema = catalog_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = {"currency": "KRW", "products": [{"sku": "A", "name_ko": "가", "price": 1000, "sale_price": 900},
                                           {"sku": "B", "name_en": "B", "price": {"amount": 5, "currency": "USD"}}]}
    jsonschema.validate(doc, schema)
    assert not _import(doc).errors
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"products": [{"sku": "A", "name_ko": "가", "price": 1.5}]}, schema)


def test_control_characters_never_reach_a_name() -> None:
    result = _import([{"sku": "A", "name_en": "a\u0000b", "name_ko": "\u0000", "price": 5}])
    assert not result.errors and (result.products[0].name_en, result.products[0].name_ko) == ("ab", "")
    result = _import([{"sku": "B", "name_ko": "\u0000\u0001", "price": 5}])  # nothing but junk: no name at all
    assert not result.products and result.errors[0].message.startswith("missing name")


def test_a_sale_window_outside_the_calendar_is_a_row_error() -> None:
    """0001-01-01T00:00+23:59 is before year 1 in UTC: it used to raise OverflowError out of the whole import."""
    result = _import([{"sku": "A", "name_en": "a", "price": 5, "sale_starts_at": "0001-01-01T00:00:00+23:59"},
                      {"sku": "B", "name_en": "b", "price": 5}])
    assert [p.sku for p in result.products] == ["B"]
    assert [(e.row, e.column) for e in result.errors] == [(1, "sale_starts_at")]
    assert "outside the years 1 to 9999" in result.errors[0].message
