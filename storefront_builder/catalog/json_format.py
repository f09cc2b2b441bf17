"""The native JSON catalog: ``{"currency": "KRW", "products": [...]}`` or a bare list of products.

A product object has Product's fields. ``price``/``sale_price`` are either an integer in minor units of
the document's currency (or the importer's default) or a ``{"amount": int, "currency": "KRW"}`` object.
Row numbers are the 1-based index in the list; the column is the field name.
"""

from __future__ import annotations

import json
from typing import Any

from storefront_builder.catalog._rows import MAX_ROWS, Collector, Row
from storefront_builder.catalog.messages import catalog_error
from storefront_builder.catalog.models import ImportResult

_IDENTITY: dict[str, str] = {}
_ALIASES = {"group": "variant_group"}  # the documented short name of a field


def load_document(text: str) -> tuple[list[Any], str | None]:
    """Parse the JSON text into ``(products, document currency)``; raise CatalogError if unreadable."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise catalog_error("json_invalid", detail=str(exc)) from exc
    currency: str | None = None
    if isinstance(doc, dict):
        if not isinstance(doc.get("products"), list):
            raise catalog_error("json_products_missing")
        raw_currency = doc.get("currency")
        if raw_currency is not None and not isinstance(raw_currency, str):
            raise catalog_error("json_currency_type")
        currency = raw_currency.upper() if raw_currency else None
        products: list[Any] = doc["products"]
    elif isinstance(doc, list):
        products = doc
    else:
        raise catalog_error("json_shape")
    if len(products) > MAX_ROWS:
        raise catalog_error("too_many_rows", max=MAX_ROWS)
    return products, currency


def _money(row: Row, field: str, value: Any, currency: str) -> Any:
    # bool is an int subclass: `true` as a price is a data error, not 1 won
    if isinstance(value, bool):
        row.error(field, "price_not_minor_units")
        return None
    if isinstance(value, int):
        return {"amount": value, "currency": currency}
    if isinstance(value, float):
        row.error(field, "price_fraction", value=str(value), currency=currency)
        return None
    return value  # an object (or anything else) is validated by the Money model


def import_json(text: str, *, encoding: str, default_currency: str) -> ImportResult:
    """Parse a native JSON catalog into products and row errors."""
    products, doc_currency = load_document(text)
    currency = doc_currency or default_currency.upper()
    out = Collector("json", encoding)
    for index, item in enumerate(products, start=1):
        row = Row(index)
        if not isinstance(item, dict):
            row.error(None, "not_an_object")
            out.reject(row)
            continue
        fields = dict(item)
        for short, full in _ALIASES.items():
            if short in fields and full not in fields:
                fields[full] = fields.pop(short)
        if "price" not in fields:
            row.error("price", "price_missing")
        for name in ("price", "sale_price"):
            if fields.get(name) is not None:
                fields[name] = _money(row, name, fields[name], currency)
        sku = fields.get("sku")
        if sku is not None and not isinstance(sku, str):
            row.error("sku", "sku_not_text")
        out.add(row, fields, _IDENTITY)
    return out.result
