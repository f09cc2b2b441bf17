"""The native vrstore CSV: one row per product (variant), header names equal Product fields.

Prices are decimal amounts in major units of the row's ``currency`` (``15000`` KRW, ``12.99`` USD);
category paths use ``>``, lists use ``|``, options are ``name=value|name=value``. The optional
``sale_starts_at``/``sale_ends_at`` columns (ISO 8601 with offset) carry a sale window.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storefront_builder.catalog._rows import (
    Collector,
    Row,
    parse_int,
    parse_options,
    parse_price,
    parse_stock,
    split_category,
    split_list,
    unneutralise,
)
from storefront_builder.catalog._table import read_table
from storefront_builder.catalog.models import ImportResult
from storefront_builder.errors import CatalogError

COLUMNS = (
    "sku", "name_ko", "name_en", "description", "category", "brand", "price", "sale_price", "currency",
    "stock", "width", "height", "depth", "images", "model", "variant_group", "options", "gtin", "rank",
    "tags",
)
WINDOW_COLUMNS = ("sale_starts_at", "sale_ends_at")
REQUIRED = ("sku", "price")
_IDENTITY = {c: c for c in (*COLUMNS, *WINDOW_COLUMNS)} | {"dimensions": "width"}


def parse_metres(text: str) -> float:
    """A positive size in metres."""
    try:
        value = float(text.strip())
    except ValueError as exc:
        raise ValueError(f"size is not a number: {text.strip()!r}") from exc
    if not 0 < value <= 10:  # also rejects NaN, which compares false
        raise ValueError(f"size {text.strip()} m is outside 0–10 m")
    return value


def parse_time(text: str) -> datetime:
    """ISO 8601 date-time with a UTC offset."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time: {text.strip()!r}") from exc


def import_native_csv(text: str, *, encoding: str, default_currency: str) -> ImportResult:
    """Parse the native CSV; missing required columns make the whole file unreadable."""
    table = read_table(text, key=str.lower)
    header = set(table.header)
    missing = [c for c in REQUIRED if c not in header]
    if missing or not ({"name_ko", "name_en"} & header):
        need = missing or ["name_ko or name_en"]
        raise CatalogError(f"native CSV is missing required column(s): {', '.join(need)}")
    out = Collector("csv", encoding)
    for number, record in table.records:
        cells = {k: unneutralise(v.strip()) for k, v in record.items()}
        row = Row(number)
        out.add(row, _fields(row, cells, default_currency), _IDENTITY)
    return out.result


def _fields(row: Row, c: dict[str, str], default_currency: str) -> dict[str, Any]:
    currency = (c.get("currency") or default_currency).upper()
    fields: dict[str, Any] = {
        "sku": c.get("sku", ""),
        "description": c.get("description", ""),
        "category": split_category(c.get("category", "")),
        "images": split_list(c.get("images", "")),
        "tags": split_list(c.get("tags", "")),
    }
    for name in ("name_ko", "name_en", "brand", "model", "variant_group", "gtin"):
        if c.get(name):
            fields[name] = c[name]
    price = row.cell("price", c.get("price"), lambda s: parse_price(s, currency))
    if price is None and not row.errors:
        row.error("price", "missing price")
    fields["price"] = {"amount": price or 0, "currency": currency}
    sale = row.cell("sale_price", c.get("sale_price"), lambda s: parse_price(s, currency, "sale price"))
    if sale is not None:
        fields["sale_price"] = {"amount": sale, "currency": currency}
    stock = row.cell("stock", c.get("stock"), parse_stock)
    if stock is not None:
        fields["stock"] = stock
    rank = row.cell("rank", c.get("rank"), lambda s: parse_int(s, "rank"))
    if rank is not None:
        fields["rank"] = rank
    options = row.cell("options", c.get("options"), parse_options)
    if options:
        fields["options"] = options
    sizes = [row.cell(k, c.get(k), parse_metres) for k in ("width", "height", "depth")]
    if all(s is not None for s in sizes):
        fields["dimensions"] = dict(zip(("width", "height", "depth"), sizes, strict=True))
    elif any(c.get(k) for k in ("width", "height", "depth")) and not row.errors:
        row.error("width", "dimensions need width, height and depth together")
    for name in WINDOW_COLUMNS:
        when = row.cell(name, c.get(name), parse_time)
        if when is not None:
            fields[name] = when
    return fields
