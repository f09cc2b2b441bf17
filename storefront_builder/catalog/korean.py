"""Korean spreadsheet CSV as Excel saves it in Korea (usually CP949), with Korean headers.

Headers are matched after removing spaces and a unit in brackets (``판매가(원)`` → ``판매가``); for each
field the first synonym present in the header wins. Numbers may be ``12,000`` or ``12,000원``; stock may
be ``10개``; categories are split on ``>`` or ``/``.
"""

from __future__ import annotations

import re
from typing import Any

from storefront_builder.catalog._rows import (
    Collector,
    Row,
    parse_options,
    parse_price,
    parse_stock,
    split_category,
    split_list,
)
from storefront_builder.catalog._table import read_table
from storefront_builder.catalog.models import ImportResult
from storefront_builder.errors import CatalogError

# Field → header synonyms in priority order (normalised: no spaces, lower case).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "sku": ("상품코드", "자체상품코드", "상품번호", "품번", "관리코드", "제품코드", "sku"),
    "name_ko": ("상품명", "제품명", "품명", "상품이름"),
    "name_en": ("영문상품명", "영문명", "상품명(영문)"),
    "price": ("판매가", "가격", "판매가격", "정가", "소비자가", "소비자가격"),
    "sale_price": ("할인가", "세일가", "할인판매가", "행사가", "특가", "할인가격"),
    "stock": ("재고", "재고수량", "수량", "재고량"),
    "category": ("카테고리", "분류", "상품분류", "카테고리명"),
    "description": ("설명", "상품설명", "상세설명"),
    "brand": ("브랜드", "제조사", "브랜드명"),
    "gtin": ("바코드", "gtin", "ean"),
    "images": ("이미지", "이미지url", "대표이미지", "이미지주소"),
    "options": ("옵션",),
    "currency": ("통화",),
    "tags": ("태그", "검색어"),
}
_UNIT_SUFFIX = re.compile(r"\((원|개|krw|ea)\)$")
_GTIN = re.compile(r"^\d{8,14}$")


def normalise_header(name: str) -> str:
    """``' 판매가 (원) '`` → ``'판매가'``."""
    return _UNIT_SUFFIX.sub("", "".join(name.split()).lower())


def map_headers(header: list[str]) -> dict[str, str]:
    """Product field → the original header that supplies it."""
    by_norm = {normalise_header(h): h for h in reversed(header)}  # first occurrence wins
    mapping: dict[str, str] = {}
    for field, names in SYNONYMS.items():
        for name in names:
            if name in by_norm:
                mapping[field] = by_norm[name]
                break
    return mapping


def looks_korean(header: list[str]) -> bool:
    """True when the header names a Korean SKU or name column."""
    mapping = map_headers(header)
    return "name_ko" in mapping or ("sku" in mapping and mapping["sku"].lower() != "sku")


def import_korean(text: str, *, encoding: str, default_currency: str) -> ImportResult:
    """Parse a Korean-header spreadsheet CSV."""
    table = read_table(text)
    columns = map_headers(table.header)
    missing = [SYNONYMS[f][0] for f in ("sku", "name_ko", "price") if f not in columns]
    if missing:
        raise CatalogError(f"Korean CSV is missing column(s): {', '.join(missing)}")
    out = Collector("korean", encoding)
    for number, record in table.records:
        c = {field: record.get(header, "").strip() for field, header in columns.items()}
        row = Row(number)
        out.add(row, _fields(row, c, columns, default_currency), columns)
    return out.result


def _fields(row: Row, c: dict[str, str], columns: dict[str, str], default_currency: str) -> dict[str, Any]:
    currency = (c.get("currency") or default_currency).upper()
    if currency == "원":
        currency = "KRW"
    fields: dict[str, Any] = {
        "sku": c.get("sku", ""),
        "description": c.get("description", ""),
        "category": split_category(c.get("category", ""), ">/"),
        "images": split_list(c.get("images", "")),
        "tags": split_list(c.get("tags", "").replace(",", "|")),
    }
    for name in ("name_ko", "name_en", "brand"):
        if c.get(name):
            fields[name] = c[name]
    barcode = c.get("gtin", "").replace("-", "")
    if _GTIN.match(barcode):  # internal barcodes are common in Korean shops; only real GTINs are kept
        fields["gtin"] = barcode
    price = row.cell(columns.get("price", "price"), c.get("price"), lambda s: parse_price(s, currency))
    if price is None and not row.errors:
        row.error(columns.get("price", "price"), "missing price")
    fields["price"] = {"amount": price or 0, "currency": currency}
    sale = row.cell(columns.get("sale_price", "sale_price"), c.get("sale_price"),
                    lambda s: parse_price(s, currency, "sale price"))
    if sale is not None:
        fields["sale_price"] = {"amount": sale, "currency": currency}
    stock = row.cell(columns.get("stock", "stock"), c.get("stock"), parse_stock)
    fields["stock"] = stock or 0
    options = row.cell(columns.get("options", "options"), c.get("options"), parse_options)
    if options:
        fields["options"] = options
    return fields
