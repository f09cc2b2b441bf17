"""The native vrstore CSV: one row per product (variant); header names are Product fields or their aliases.

Prices are decimal amounts in major units of the row's ``currency`` (``15000`` KRW, ``12.99`` USD);
category paths use ``>``, lists use ``|``, options are ``name=value|name=value`` (or option columns such as
``size``/``색상``). Rows sharing a ``group`` (``variant_group``) are variants of one product. The optional
``sale_starts_at``/``sale_ends_at`` columns (ISO 8601 with offset) carry a sale window. Headers are forgiving
(``_headers.py``): ``name``, ``title``, ``상품명``, ``qty``, ``판매가`` … all map to their field. The Korean
spreadsheet importer reads its rows with the same rules (:func:`import_rows`), in its own dialect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storefront_builder.catalog._headers import closest, has_name, has_price, map_headers, option_columns
from storefront_builder.catalog._rows import (
    Collector,
    Row,
    name_fields,
    parse_int,
    parse_options,
    parse_price,
    parse_stock,
    split_category,
    split_list,
    unneutralise,
)
from storefront_builder.catalog._table import Table, read_table
from storefront_builder.catalog.messages import CodedError, catalog_error
from storefront_builder.catalog.models import ImportResult, parse_availability, parse_status

# The export's header, in order (import accepts any order and the aliases).
COLUMNS = (
    "sku", "name_ko", "name_en", "description", "category", "brand", "price", "sale_price", "currency",
    "stock", "width", "height", "depth", "images", "model", "variant_group", "options", "gtin", "rank",
    "tags", "status", "availability", "barcode",
)
WINDOW_COLUMNS = ("sale_starts_at", "sale_ends_at")
_GTIN = re.compile(r"^\d{8,14}$")
# How a missing required column is named to the merchant, in both of their vocabularies.
_REQUIRED_LABELS = {"sku": "sku (상품코드)", "name": "name (상품명)", "price": "price (판매가)"}


@dataclass(frozen=True)
class Dialect:
    """What differs between the native CSV and a Korean spreadsheet: separators and how strict a GTIN is."""

    format: str
    category_seps: str = ">"
    tag_seps: str = "|"
    strict_gtin: bool = True  # a Korean 바코드/EAN column often holds internal codes: kept as barcode only


NATIVE = Dialect("csv")


def parse_metres(text: str) -> float:
    """A positive size in metres."""
    try:
        value = float(text.strip())
    except ValueError as exc:
        raise CodedError("size_not_number", text=text.strip()) from exc
    if not 0 < value <= 10:  # also rejects NaN, which compares false
        raise CodedError("size_out_of_range", text=f"{text.strip()} m")
    return value


def parse_time(text: str) -> datetime:
    """ISO 8601 date-time with a UTC offset."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise CodedError("time_invalid", text=text.strip()) from exc


def require_columns(header: list[str], columns: dict[str, str], label: str) -> None:
    """A whole-file error naming what is missing, and the header cells that look like it (typos)."""
    missing = [key for key, ok in (("sku", "sku" in columns), ("name", has_name(columns)),
                                   ("price", has_price(columns))) if not ok]
    if missing:
        raise catalog_error("columns_missing", format=label, columns=", ".join(_REQUIRED_LABELS[m] for m in missing),
                            closest=", ".join(closest(header)) or "—")


def import_native_csv(text: str, *, encoding: str, default_currency: str) -> ImportResult:
    """Parse the native CSV; missing required columns make the whole file unreadable."""
    table = read_table(text)
    columns = map_headers(table.header)
    require_columns(table.header, columns, "native CSV")
    return import_rows(table, columns, NATIVE, encoding=encoding, default_currency=default_currency)


def import_rows(table: Table, columns: dict[str, str], dialect: Dialect, *, encoding: str,
                default_currency: str) -> ImportResult:
    """Every record of ``table`` (``columns``: field → header) as a product or a row error."""
    out = Collector(dialect.format, encoding)
    options = option_columns(table.header)
    report_columns = {**columns, "dimensions": columns.get("width", "width")}
    if "name" in columns:
        report_columns.setdefault("name_ko", columns["name"])
        report_columns.setdefault("name_en", columns["name"])
    if "regular_price" in columns:
        report_columns.setdefault("price", columns["regular_price"])
    for number, record in table.records:
        c = {field: unneutralise(record.get(header, "").strip()) for field, header in columns.items()}
        chosen = {header: unneutralise(record.get(header, "").strip()) for header in options}
        row = Row(number)
        out.add(row, _fields(row, c, chosen, columns, dialect, default_currency), report_columns)
    return out.result


def _fields(row: Row, c: dict[str, str], option_cells: dict[str, str], columns: dict[str, str], dialect: Dialect,
            default_currency: str) -> dict[str, Any]:
    def col(field: str) -> str:
        return columns.get(field, field)

    currency = (c.get("currency") or default_currency).upper()
    if currency == "원":
        currency = "KRW"
    fields: dict[str, Any] = {
        "sku": c.get("sku", ""),
        "description": c.get("description", ""),
        "category": split_category(c.get("category", ""), dialect.category_seps),
        "images": split_list(c.get("images", "")),
        "tags": split_list(c.get("tags", "").translate({ord(sep): "|" for sep in dialect.tag_seps})),
    }
    for name in ("name_ko", "name_en", "brand", "model", "variant_group"):
        if c.get(name):
            fields[name] = c[name]
    for name, value in name_fields(c.get("name", "")).items():
        fields.setdefault(name, value)
    _codes(row, c, fields, col, dialect)
    _prices(row, c, fields, col, currency)
    stock = row.cell(col("stock"), c.get("stock"), parse_stock)
    if stock is not None:
        fields["stock"] = stock
    rank = row.cell(col("rank"), c.get("rank"), lambda s: parse_int(s, "rank"))
    if rank is not None:
        fields["rank"] = rank
    for name, parse in (("status", parse_status), ("availability", parse_availability)):
        word = row.cell(col(name), c.get(name), parse)
        if word is not None:
            fields[name] = word
    options = row.cell(col("options"), c.get("options"), parse_options) or {}
    options.update({header.strip(): value for header, value in option_cells.items() if value})
    if options:
        fields["options"] = options
    sizes = [row.cell(col(k), c.get(k), parse_metres) for k in ("width", "height", "depth")]
    if all(s is not None for s in sizes):
        fields["dimensions"] = dict(zip(("width", "height", "depth"), sizes, strict=True))
    elif any(c.get(k) for k in ("width", "height", "depth")) and not row.errors:
        row.error(col("width"), "dimensions_incomplete")
    for name in WINDOW_COLUMNS:
        when = row.cell(col(name), c.get(name), parse_time)
        if when is not None:
            fields[name] = when
    return fields


def _codes(row: Row, c: dict[str, str], fields: dict[str, Any], col: Any, dialect: Dialect) -> None:
    """``gtin`` (strict in the native CSV) and ``barcode`` (kept as written; a GTIN in it fills gtin too)."""
    barcode = c.get("barcode", "")
    if barcode:
        fields["barcode"] = barcode
        digits = barcode.replace("-", "").replace(" ", "")
        if _GTIN.match(digits):
            fields["gtin"] = digits
    gtin = c.get("gtin", "").replace("-", "").replace(" ", "")
    if gtin:
        if _GTIN.match(gtin):
            fields["gtin"] = gtin
        elif dialect.strict_gtin:
            row.error(col("gtin"), "gtin_invalid", text=c["gtin"])
        else:
            fields.setdefault("barcode", c["gtin"])


def _prices(row: Row, c: dict[str, str], fields: dict[str, Any], col: Any, currency: str) -> None:
    """price, sale price, and a regular price (정가): a price below the regular price is a sale price."""
    price = row.cell(col("price"), c.get("price"), lambda s: parse_price(s, currency))
    regular = row.cell(col("regular_price"), c.get("regular_price"),
                       lambda s: parse_price(s, currency, "regular price"))
    sale = row.cell(col("sale_price"), c.get("sale_price"), lambda s: parse_price(s, currency, "sale price"))
    if price is None and regular is None and not row.errors:
        row.error(col("price") if "price" in c else col("regular_price"), "price_missing")
    if regular is not None and price is not None and sale is None and regular > price:
        price, sale = regular, price  # 정가 20,000 · 판매가 15,000: on sale, like Shopify's compare-at price
    elif price is None:
        price = regular
    fields["price"] = {"amount": price or 0, "currency": currency}
    if sale is not None:
        fields["sale_price"] = {"amount": sale, "currency": currency}
