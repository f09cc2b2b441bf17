"""Korean spreadsheet CSV as Excel saves it in Korea (usually CP949), with Korean headers.

Headers are matched by the shared alias table (``_headers.py``) after removing spaces and a unit in brackets
(``판매가(원)`` → ``판매가``); for each field the first alias present in the header wins. Numbers may be
``12,000`` or ``12,000원``; stock may be ``10개``; categories are split on ``>`` or ``/`` and tags on ``,`` or
``|``; a 바코드 that is no GTIN is kept as the barcode only. With both 정가 and 판매가, a 판매가 below the 정가 is
the sale price. Rows are read by the native CSV's rules (``csv_format.import_rows``).
"""

from __future__ import annotations

from storefront_builder.catalog._headers import ALIASES, map_headers, normalise_header
from storefront_builder.catalog._rows import has_hangul
from storefront_builder.catalog._table import read_table
from storefront_builder.catalog.csv_format import Dialect, import_rows, require_columns
from storefront_builder.catalog.models import ImportResult

KOREAN = Dialect("korean", category_seps=">/", tag_seps=",|", strict_gtin=False)
SYNONYMS = ALIASES  # the historical name of the alias table

__all__ = ["SYNONYMS", "import_korean", "looks_korean", "map_headers", "normalise_header"]


def looks_korean(header: list[str]) -> bool:
    """True when a Korean header names the SKU or the product name (상품코드, 상품명 …)."""
    mapping = map_headers(header)
    return any(has_hangul(mapping.get(field, "")) for field in ("sku", "name_ko", "name_en", "name"))


def import_korean(text: str, *, encoding: str, default_currency: str) -> ImportResult:
    """Parse a Korean-header spreadsheet CSV."""
    table = read_table(text)
    columns = map_headers(table.header)
    require_columns(table.header, columns, "Korean CSV")
    return import_rows(table, columns, KOREAN, encoding=encoding, default_currency=default_currency)
