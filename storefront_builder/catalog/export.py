"""Writing products (and rejected rows) back out as CSV that is safe to open in a spreadsheet.

Every text cell that a spreadsheet would evaluate — one starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return — is prefixed with ``'`` (OWASP CSV-injection guidance). Numeric columns (prices, stock,
sizes, rank) are written as plain numbers and never prefixed. The native CSV importer strips exactly this
prefix again, so export → import round-trips.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from storefront_builder.catalog._rows import neutralise
from storefront_builder.catalog.csv_format import COLUMNS, WINDOW_COLUMNS
from storefront_builder.catalog.models import Money, Product, RowError, currency_exponent


def format_major(money: Money) -> str:
    """Minor units → major-unit decimal text (``1299`` USD → ``12.99``, ``15000`` KRW → ``15000``)."""
    return f"{Decimal(money.amount).scaleb(-currency_exponent(money.currency)):f}"


def _row(p: Product, with_window: bool) -> list[str]:
    dims = p.dimensions
    text = {
        "sku": p.sku, "name_ko": p.name_ko or "", "name_en": p.name_en or "", "description": p.description,
        "category": " > ".join(p.category), "brand": p.brand or "", "currency": p.price.currency,
        "images": "|".join(p.images), "model": p.model or "", "variant_group": p.variant_group or "",
        "options": "|".join(f"{k}={v}" for k, v in p.options.items()), "gtin": p.gtin or "",
        "tags": "|".join(p.tags), "status": p.status, "availability": p.availability or "",
        "barcode": p.barcode or "",
    }
    numbers = {
        "price": format_major(p.price),
        "sale_price": format_major(p.sale_price) if p.sale_price else "",
        "stock": str(p.stock), "rank": str(p.rank),
        "width": repr(dims.width) if dims else "", "height": repr(dims.height) if dims else "",
        "depth": repr(dims.depth) if dims else "",
    }
    cells = [numbers[c] if c in numbers else neutralise(text[c]) for c in COLUMNS]
    if with_window:
        cells += [p.sale_starts_at.isoformat() if p.sale_starts_at else "",
                  p.sale_ends_at.isoformat() if p.sale_ends_at else ""]
    return cells


def export_csv(products: Iterable[Product]) -> str:
    """Products → native CSV text; the sale-window columns are added only when a product has one."""
    items = list(products)
    with_window = any(p.sale_starts_at or p.sale_ends_at for p in items)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*COLUMNS, *WINDOW_COLUMNS] if with_window else COLUMNS)
    writer.writerows(_row(p, with_window) for p in items)
    return buffer.getvalue()


def export_report_csv(errors: Iterable[RowError]) -> str:
    """Rejected rows → ``row,column,message`` CSV for the merchant to fix, formula-neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "column", "message"])
    writer.writerows([str(e.row), neutralise(e.column or ""), neutralise(e.message)] for e in errors)
    return buffer.getvalue()
