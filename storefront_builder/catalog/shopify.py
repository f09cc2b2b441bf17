"""Shopify's product CSV export: one row per variant, grouped by ``Handle``.

The first row of a handle carries Title, Body (HTML), Vendor, Type, Tags, Published, Status, Gift Card and the
option names; later variant rows carry only the variant columns and image rows only Handle + Image Src (+
Image Position). Each variant becomes one Product with ``variant_group`` = handle and its own SKU, price,
stock, barcode and options (Option1 before Option2 before Option3).

Visibility follows Shopify: ``Status`` draft or archived, ``Published`` FALSE, or a gift card (not a
physical shelf product) import the product hidden, with the reason. A variant without ``Variant SKU`` is a
row error ("empty SKU"): we never invent SKUs, because orders must map back to the merchant's own codes —
except in a hidden product, which never reaches an order: there it is skipped quietly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from storefront_builder.catalog._rows import (
    Collector,
    Row,
    html_to_text,
    name_fields,
    parse_price,
    parse_stock,
    split_category,
    split_list,
)
from storefront_builder.catalog._table import read_table
from storefront_builder.catalog.messages import CodedError, catalog_error
from storefront_builder.catalog.models import HiddenRow, ImportResult, parse_status

_COLUMNS = {
    "sku": "Variant SKU", "name_ko": "Title", "name_en": "Title", "description": "Body (HTML)",
    "category": "Product Category", "brand": "Vendor", "price": "Variant Price",
    "sale_price": "Variant Compare At Price", "stock": "Variant Inventory Qty", "images": "Image Src",
    "gtin": "Variant Barcode", "barcode": "Variant Barcode", "options": "Option1 Value", "tags": "Tags",
    "status": "Status",
}
_VARIANT_KEYS = ("variant sku", "variant price", "option1 value", "option2 value", "option3 value",
                 "variant inventory qty", "variant barcode", "variant compare at price")
_GTIN = re.compile(r"^\d{8,14}$")
_MAX_DESCRIPTION = 10_000
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}


@dataclass
class _Handle:
    first_row: int
    info: dict[str, str]
    variants: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    images: list[tuple[int, int, str]] = field(default_factory=list)  # (position, order seen, src)


@dataclass(frozen=True)
class _Visibility:
    status: str = "active"
    code: str | None = None  # a reason other than the status itself (a gift card)
    column: str | None = None


def import_shopify(text: str, *, encoding: str, default_currency: str) -> ImportResult:
    """Parse a Shopify product export; prices are in the store currency (``default_currency``)."""
    table = read_table(text, key=str.lower)
    header = set(table.header)
    if "handle" not in header or "variant price" not in header:
        raise catalog_error("columns_missing", format="Shopify CSV", columns="Handle, Variant Price", closest="—")
    out = Collector("shopify", encoding)
    handles: dict[str, _Handle] = {}
    for number, record in table.records:
        c = {k: v.strip() for k, v in record.items()}
        handle = c.get("handle", "")
        if not handle:
            row = Row(number)
            row.error("Handle", "handle_empty")
            out.reject(row)
            continue
        group = handles.get(handle)
        if group is None:
            group = handles[handle] = _Handle(first_row=number, info=c)
        if c.get("image src"):
            position = _int_or(c.get("image position", ""), 10**6)
            group.images.append((position, len(group.images), c["image src"]))
        if any(c.get(k) for k in _VARIANT_KEYS):
            group.variants.append((number, c))
    currency = default_currency.upper()
    for handle, group in handles.items():
        images = [src for _, _, src in sorted(group.images)]
        for number, c in group.variants:
            row = Row(number)
            seen = _visibility(row, group.info)
            if seen.status != "active" and not c.get("variant sku"):
                # A hidden variant without a SKU (typical of gift cards) never reaches an order: noted, not refused.
                out.result.rows_read += 1
                out.result.hidden.append(HiddenRow(sku="", group=handle, row=number, column=seen.column,
                                                   code=seen.code or f"hidden_{seen.status}"))
                continue
            fields = _fields(row, handle, group.info, c, images, currency)
            fields["status"] = seen.status
            out.add(row, fields, _COLUMNS, hidden_code=seen.code, hidden_column=seen.column)
    return out.result


def _visibility(row: Row, info: dict[str, str]) -> _Visibility:
    """Gift card first (never a shelf product), then Status (draft, archived), then Published."""
    if info.get("gift card", "").lower() in _TRUE:
        return _Visibility("unpublished", "hidden_gift_card", "Gift Card")
    status = row.cell("Status", info.get("status"), _shopify_status) or "active"
    if status != "active":
        return _Visibility(status, None, "Status")
    if info.get("published", "").lower() in _FALSE:
        return _Visibility("unpublished", None, "Published")
    return _Visibility()


def _shopify_status(text: str) -> str:
    status = parse_status(text)
    if status == "unpublished":  # Shopify's Status knows active, draft and archived only
        raise CodedError("status_unknown", text=text.strip())
    return status


def _int_or(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def _fields(row: Row, handle: str, info: dict[str, str], c: dict[str, str], images: list[str],
            currency: str) -> dict[str, Any]:
    description = html_to_text(info.get("body (html)", ""))
    if len(description) > _MAX_DESCRIPTION:
        description = description[: _MAX_DESCRIPTION - 1] + "…"
    category = split_category(info.get("product category", "")) or split_category(info.get("type", ""))
    fields: dict[str, Any] = {
        "sku": c.get("variant sku", ""),
        **name_fields(info.get("title", "")),
        "description": description,
        "category": category,
        "tags": split_list(info.get("tags", ""), ","),
        "variant_group": handle,
        "options": _options(info, c),
    }
    if info.get("vendor"):
        fields["brand"] = info["vendor"]
    raw_barcode = c.get("variant barcode", "")
    if raw_barcode:
        fields["barcode"] = raw_barcode
    barcode = raw_barcode.replace("-", "").replace(" ", "")
    if _GTIN.match(barcode):  # Shopify barcodes may be internal codes: only real GTINs fill gtin
        fields["gtin"] = barcode
    variant_image = c.get("variant image", "")
    # the variant's own picture goes first: the scene shows images[0] for this SKU
    if variant_image:
        images = [variant_image, *(i for i in images if i != variant_image)]
    fields["images"] = images
    price = row.cell("Variant Price", c.get("variant price"), lambda s: parse_price(s, currency))
    if price is None and not row.errors:
        row.error("Variant Price", "price_missing")
    compare = row.cell("Variant Compare At Price", c.get("variant compare at price"),
                       lambda s: parse_price(s, currency, "compare-at price"))
    # Shopify's compare-at price is the "was" price: above the price it means the item is on sale.
    if price is not None and compare is not None and compare > price:
        fields["price"] = {"amount": compare, "currency": currency}
        fields["sale_price"] = {"amount": price, "currency": currency}
    else:
        fields["price"] = {"amount": price or 0, "currency": currency}
    stock = row.cell("Variant Inventory Qty", c.get("variant inventory qty"), parse_stock)
    fields["stock"] = stock or 0
    return fields


def _options(info: dict[str, str], c: dict[str, str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for n in (1, 2, 3):
        name = info.get(f"option{n} name", "")
        value = c.get(f"option{n} value", "")
        if not name or not value or name == "Title" or value == "Default Title":
            continue
        options[name] = value
    return options
