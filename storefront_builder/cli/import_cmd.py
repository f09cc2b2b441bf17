"""``vrstore import FILE``: import a catalog file and show what was imported and what was rejected."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from storefront_builder.catalog.groups import summarise
from storefront_builder.catalog.importer import import_catalog
from storefront_builder.catalog.models import ImportResult, Money, currency_exponent
from storefront_builder.errors import CatalogError

# A CLI can be pointed at anything; refuse to slurp files far beyond any catalog's size.
MAX_FILE_BYTES = 200 * 1024 * 1024


def format_money(money: Money | None) -> str:
    """``Money(15000, KRW)`` → ``15,000 KRW``; ``Money(1299, USD)`` → ``12.99 USD``."""
    if money is None:
        return ""
    exponent = currency_exponent(money.currency)
    value = Decimal(money.amount).scaleb(-exponent)
    return f"{value:,.{exponent}f} {money.currency}"


def render_result(result: ImportResult, console: Console, limit: int = 50) -> None:
    """Print the imported products (first ``limit``) and every rejected row."""
    shown = result.products[: max(limit, 0)]
    summary = summarise(result.products, result.hidden)
    products = Table(title=f"Imported {summary.variants} variant(s) of {summary.products} product(s) — "
                           f"{result.format}, {result.encoding}")
    # Group, options and status only when the file has variants or hidden products: a plain list stays narrow.
    grouped = summary.variants > summary.products or any(p.options for p in shown)
    hidden = any(p.status != "active" for p in shown)
    columns = ["SKU", *(["Group"] if grouped else []), "Name", *(["Options"] if grouped else []), "Category",
               "Price", "Sale price", "Stock", *(["Status"] if hidden else [])]
    for column in columns:
        products.add_column(column, justify="right" if column in ("Price", "Sale price", "Stock") else "left")
    # merchant text is data, not rich markup: a name like "[/]" must print as-is, not crash the table
    for p in shown:
        options = ", ".join(f"{k}={v}" for k, v in p.options.items())
        products.add_row(escape(p.sku), *([escape(p.group)] if grouped else []), escape(p.display_name),
                         *([escape(options)] if grouped else []), escape(" > ".join(p.category)),
                         format_money(p.price), format_money(p.sale_price), str(p.stock),
                         *([p.status] if hidden else []))
    console.print(products)
    if len(result.products) > len(shown):
        console.print(f"… and {len(result.products) - len(shown)} more")
    if summary.notices:
        kept_off = Table(title=f"Imported hidden (not on sale): {sum(summary.hidden.values())} product(s)")
        for column in ("Row", "Product", "Reason"):
            kept_off.add_column(column, justify="right" if column == "Row" else "left")
        for notice in summary.notices:
            kept_off.add_row(str(notice.row), escape(str(notice.params.get("group", ""))), escape(notice.message))
        console.print(kept_off)
    if result.errors:
        rejected = Table(title=f"Rejected rows: {len(result.errors)} problem(s)")
        rejected.add_column("Row", justify="right")
        rejected.add_column("Column")
        rejected.add_column("Reason")
        for e in result.errors:
            rejected.add_row(str(e.row), escape(e.column or ""), escape(e.message))
        console.print(rejected)


def import_command(
    file: Annotated[Path, typer.Argument(help="Catalog: JSON, CSV, Shopify, Merchant Center, Korean CSV")],
    format: Annotated[str | None, typer.Option("--format", help="json|csv|shopify|google|korean")] = None,
    currency: Annotated[str, typer.Option("--currency", help="Currency when the file names none")] = "KRW",
    limit: Annotated[int, typer.Option("--limit", help="How many imported products to list")] = 50,
) -> None:
    """Import a catalog file, print imported products and rejected rows; exit 1 if nothing imported."""
    console = Console()
    errors = Console(stderr=True)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            errors.print(f"[red]error:[/] {escape(str(file))} is larger than {MAX_FILE_BYTES // 2**20} MiB")
            raise typer.Exit(code=1)
        data = file.read_bytes()
    except OSError as exc:
        errors.print(f"[red]error:[/] cannot read {escape(str(file))}: {escape(str(exc.strerror or exc))}")
        raise typer.Exit(code=1) from None
    try:
        result = import_catalog(data, format=format, default_currency=currency.upper())
    except CatalogError as exc:
        errors.print(f"[red]error:[/] {escape(str(file))}: {escape(str(exc))}")
        raise typer.Exit(code=1) from None
    render_result(result, console, limit)
    if not result.products:
        errors.print(f"[red]error:[/] no product imported from {escape(str(file))}")
        raise typer.Exit(code=1)
