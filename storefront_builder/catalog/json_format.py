"""The native JSON catalog: ``{"currency": "KRW", "products": [...]}`` or a bare list of products.

A product object has Product's fields. ``price``/``sale_price`` are either an integer in minor units of
the document's currency (or the importer's default) or a ``{"amount": int, "currency": "KRW"}`` object.
Row numbers are the 1-based index in the list; the column is the field name.
"""

from __future__ import annotations

import json
from typing import Any

from storefront_builder.catalog._rows import MAX_ROWS, Collector, Row
from storefront_builder.catalog.models import ImportResult
from storefront_builder.errors import CatalogError

_IDENTITY: dict[str, str] = {}


def load_document(text: str) -> tuple[list[Any], str | None]:
    """Parse the JSON text into ``(products, document currency)``; raise CatalogError if unreadable."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CatalogError(f"not valid JSON: {exc}") from exc
    currency: str | None = None
    if isinstance(doc, dict):
        if not isinstance(doc.get("products"), list):
            raise CatalogError('a JSON catalog object needs a "products" list')
        raw_currency = doc.get("currency")
        if raw_currency is not None and not isinstance(raw_currency, str):
            raise CatalogError('"currency" must be a string such as "KRW"')
        currency = raw_currency.upper() if raw_currency else None
        products: list[Any] = doc["products"]
    elif isinstance(doc, list):
        products = doc
    else:
        raise CatalogError("a JSON catalog is an object with a products list, or a list")
    if len(products) > MAX_ROWS:
        raise CatalogError(f"too many products: at most {MAX_ROWS:,} per catalog file")
    return products, currency


def _money(row: Row, field: str, value: Any, currency: str) -> Any:
    # bool is an int subclass: `true` as a price is a data error, not 1 won
    if isinstance(value, bool):
        row.error(field, "must be an integer amount in minor units or {amount, currency}")
        return None
    if isinstance(value, int):
        return {"amount": value, "currency": currency}
    if isinstance(value, float):
        row.error(field, f"{value} is not an integer amount in minor units of {currency}")
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
            row.error(None, "a product must be a JSON object")
            out.reject(row)
            continue
        fields = dict(item)
        if "price" not in fields:
            row.error("price", "missing price")
        for name in ("price", "sale_price"):
            if fields.get(name) is not None:
                fields[name] = _money(row, name, fields[name], currency)
        sku = fields.get("sku")
        if sku is not None and not isinstance(sku, str):
            row.error("sku", "SKU must be a string")
        out.add(row, fields, _IDENTITY)
    return out.result
