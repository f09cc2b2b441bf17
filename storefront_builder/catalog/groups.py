"""Products and their variants: grouping in file order, what goes on a shelf, and an import's counts.

A catalog row is a variant; rows sharing a group (Shopify Handle, Google item_group_id, the native ``group``
column) are one product. A shelf shows one slot per product, represented by its first visible variant in file
order; hidden variants (status other than active) never reach a shelf.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from storefront_builder.catalog.models import HiddenRow, Product, RowError


def group_products(products: Iterable[Product]) -> dict[str, list[Product]]:
    """Variants by product group, groups and variants in the order given (file order)."""
    groups: dict[str, list[Product]] = {}
    for product in products:
        groups.setdefault(product.group, []).append(product)
    return groups


def shelf_groups(products: Iterable[Product]) -> list[list[Product]]:
    """The visible variants of each product that has any, representative (the first) first."""
    return [variants for variants in group_products(p for p in products if p.status == "active").values()]


def shelf_products(products: Iterable[Product]) -> list[Product]:
    """One product per shelf slot: the first visible variant of every product (what auto-layout sizes for)."""
    return [variants[0] for variants in shelf_groups(products)]


@dataclass(frozen=True)
class CatalogSummary:
    """What an import holds: products (groups), variants (rows), hidden products by reason, image references."""

    products: int
    variants: int
    hidden: dict[str, int] = field(default_factory=dict)
    images: int = 0
    notices: list[RowError] = field(default_factory=list)


def summarise(products: Sequence[Product], hidden: Sequence[HiddenRow]) -> CatalogSummary:
    """Counts of the accepted ``products`` and one notice per hidden product and reason.

    A hidden product is reported once per reason at its first hidden row, with the number of its variants
    hidden for that reason (a native file may hide one size of an otherwise visible product).
    """
    by_reason: dict[tuple[str, str], list[HiddenRow]] = {}
    for entry in sorted(hidden, key=lambda h: h.row):
        by_reason.setdefault((entry.group, entry.code), []).append(entry)
    notices = [RowError.coded(rows[0].row, rows[0].column, code, {"group": group, "variants": len(rows)})
               for (group, code), rows in by_reason.items()]
    counts: dict[str, int] = {}
    for _, code in by_reason:
        counts[code] = counts.get(code, 0) + 1
    groups = {p.group for p in products} | {h.group for h in hidden}
    images = {(p.group, ref) for p in products for ref in p.images}
    return CatalogSummary(products=len(groups), variants=len(products), hidden=counts, images=len(images),
                          notices=sorted(notices, key=lambda n: n.row))
