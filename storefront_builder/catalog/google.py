"""Google Merchant Center product feed (TSV or CSV, attribute names as headers, optional ``g:`` prefix).

Feeds carry availability, not quantities: ``in_stock``, ``preorder`` and ``backorder`` become
``default_stock`` units (orderable), ``out_of_stock`` becomes 0; the availability itself is kept on the product
(an out-of-stock item is still an active product). Rows sharing ``item_group_id`` are variants of one product,
with ``size``, ``color``, ``material`` and ``pattern`` as their options (in that order). Prices are ``"15,000 KRW"``,
``"12.99 USD"`` or a bare number in the default currency. ``sale_price_effective_date`` is an ISO 8601
interval ``start/end``; times without an offset are read as Korea time (UTC+9, no daylight saving).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from storefront_builder.catalog._rows import (
    Collector,
    Row,
    html_to_text,
    major_to_minor,
    name_fields,
    parse_decimal,
    split_category,
    split_list,
)
from storefront_builder.catalog._table import read_table
from storefront_builder.catalog.messages import CodedError, catalog_error
from storefront_builder.catalog.models import ImportResult, parse_availability

DEFAULT_FEED_STOCK = 10
_KST = timezone(timedelta(hours=9))
_OPTIONS = ("size", "color", "material", "pattern")
_PRICE = re.compile(r"^\s*(?P<amount>[^A-Za-z]+?)\s*(?P<currency>[A-Za-z]{3})?\s*$")
_LENGTH = re.compile(r"^\s*([\d.,]+)\s*([A-Za-z]*)\s*$")
_GTIN = re.compile(r"^\d{8,14}$")
_UNITS = {"mm": 0.001, "cm": 0.01, "m": 1.0, "in": 0.0254, "inch": 0.0254, "ft": 0.3048}
_COLUMNS = {
    "sku": "id", "name_ko": "title", "name_en": "title", "description": "description", "price": "price",
    "sale_price": "sale_price", "stock": "availability", "category": "product_type", "brand": "brand",
    "gtin": "gtin", "images": "image_link", "variant_group": "item_group_id", "availability": "availability",
    "sale_starts_at": "sale_price_effective_date", "sale_ends_at": "sale_price_effective_date",
    "dimensions": "product_width",
}


def parse_feed_price(text: str, default_currency: str) -> tuple[int, str]:
    """``"15,000.00 KRW"`` → ``(15000, "KRW")``; a bare number uses ``default_currency``."""
    match = _PRICE.match(text)
    if not match:
        raise CodedError("price_format", text=text.strip())
    currency = (match.group("currency") or default_currency).upper()
    return major_to_minor(parse_decimal(match.group("amount")), currency), currency


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo else value.replace(tzinfo=_KST)


def parse_effective_date(text: str) -> tuple[datetime, datetime]:
    """ISO 8601 interval ``start/end`` → two aware datetimes."""
    start, slash, end = text.strip().partition("/")
    if not slash:
        raise CodedError("effective_date_format", text=text.strip())
    try:
        return _parse_time(start), _parse_time(end)
    except ValueError as exc:
        raise CodedError("effective_date_time", text=text.strip()) from exc


def parse_length(text: str) -> float:
    """``"20 cm"`` → 0.2 (metres)."""
    match = _LENGTH.match(text)
    if not match:
        raise CodedError("length_invalid", text=text.strip())
    number, unit = match.groups()
    factor = _UNITS.get(unit.lower() or "cm")
    if factor is None:
        raise CodedError("length_unit", text=text.strip())
    try:
        value = float(parse_decimal(number, "length")) * factor
    except CodedError as exc:
        raise CodedError("length_invalid", text=text.strip()) from exc
    if not 0 < value <= 10:
        raise CodedError("size_out_of_range", text=text.strip())
    return value


def import_google(text: str, *, encoding: str, default_currency: str,
                  default_stock: int = DEFAULT_FEED_STOCK) -> ImportResult:
    """Parse a Merchant Center feed; ``default_stock`` is the stock given to orderable items."""
    table = read_table(text, key=_key)
    header = set(table.header)
    missing = [c for c in ("id", "title", "price") if c not in header]
    if missing:
        raise catalog_error("columns_missing", format="Merchant Center feed", columns=", ".join(missing),
                            closest="—")
    out = Collector("google", encoding)
    for number, record in table.records:
        c = {k: v.strip() for k, v in record.items()}
        row = Row(number)
        out.add(row, _fields(row, c, default_currency.upper(), default_stock), _COLUMNS)
    return out.result


def _key(header: str) -> str:
    return header.strip().lower().removeprefix("g:").replace(" ", "_")


def _fields(row: Row, c: dict[str, str], default_currency: str, default_stock: int) -> dict[str, Any]:
    category = split_category(c.get("product_type", "").split(",")[0])
    if not category and not c.get("google_product_category", "").isdigit():
        category = split_category(c.get("google_product_category", ""))
    fields: dict[str, Any] = {
        "sku": c.get("id", ""),
        **name_fields(c.get("title", "")),
        "description": html_to_text(c.get("description", ""))[:10_000],
        "category": category,
        "images": [i for i in [c.get("image_link", ""), *split_list(c.get("additional_image_link", ""), ",")]
                   if i],
        "options": {k: c[k] for k in _OPTIONS if c.get(k)},
    }
    for field, column in (("brand", "brand"), ("variant_group", "item_group_id")):
        if c.get(column):
            fields[field] = c[column]
    condition = c.get("condition", "").lower()
    if condition and condition != "new":
        fields["tags"] = [condition]
    gtin = c.get("gtin", "").replace("-", "").replace(" ", "")
    if gtin:
        if _GTIN.match(gtin):
            fields["gtin"] = gtin
        else:
            row.error("gtin", "gtin_invalid", text=c["gtin"])
    price = row.cell("price", c.get("price"), lambda s: parse_feed_price(s, default_currency))
    if price is None and not row.errors:
        row.error("price", "price_missing")
    amount, currency = price or (0, default_currency)
    fields["price"] = {"amount": amount, "currency": currency}
    sale = row.cell("sale_price", c.get("sale_price"), lambda s: parse_feed_price(s, currency))
    if sale is not None:
        fields["sale_price"] = {"amount": sale[0], "currency": sale[1]}
        window = row.cell("sale_price_effective_date", c.get("sale_price_effective_date"),
                          parse_effective_date)
        if window is not None:
            fields["sale_starts_at"], fields["sale_ends_at"] = window
    availability = row.cell("availability", c.get("availability"), parse_availability)
    if availability is None and not c.get("availability"):
        row.error("availability", "availability_missing")
    fields["availability"] = availability
    fields["stock"] = 0 if availability in (None, "out_of_stock") else default_stock
    sizes = [row.cell(f"product_{k}", c.get(f"product_{k}"), parse_length)
             for k in ("width", "height", "length")]
    if all(s is not None for s in sizes):
        fields["dimensions"] = dict(zip(("width", "height", "depth"), sizes, strict=True))
    return fields
