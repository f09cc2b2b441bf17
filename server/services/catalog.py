"""A store's catalog: atomic replacement from an import, live product edits, the shopper's view.

Rows are variants; a product is the rows sharing ``group_key``. Shoppers see only rows on the shelf
(``tables.on_shelf``: active and status 'active'); the merchant's view shows the hidden ones too.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Connection, Table, delete, exists, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import merchant as ms
from server.contracts.foundation import Names
from server.domain.errors import NotFound, Unprocessable
from server.persistence.database import Database
from server.persistence.tables import Base, Store, UtcDateTime, on_shelf
from server.persistence.tables import Product as ProductRow
from server.services.image_fetch import fetched_images_of
from server.services.pricing import CATEGORY_SEPARATOR, FestivalPricing, load_pricing, quote
from server.services.search_index import reindex_batches, reindex_store
from storefront_builder.catalog.groups import CatalogSummary, summarise
from storefront_builder.catalog.models import ImportResult, RowError
from storefront_builder.catalog.models import Product as CatalogProduct

PRODUCTS: Table = Base.metadata.tables["products"]
NOTHING_FETCHED: Mapping[str, str] = MappingProxyType({})
STAGING: Table = Base.metadata.tables["catalog_staging"]
STAGE_BATCH = 2_000  # rows per staging transaction: short enough that a checkout waits milliseconds, not seconds


@dataclass(frozen=True)
class StagedCatalog:
    """A parsed catalog whose accepted rows wait in a JSON-lines file (written by the pool job)."""

    format: str
    encoding: str
    rows_read: int
    accepted: int
    errors: list[ms.RowProblem]
    summary: CatalogSummary = field(default_factory=lambda: CatalogSummary(products=0, variants=0))


def problem(error: RowError) -> ms.RowProblem:
    """An importer's row error (or notice) as the report's row."""
    return ms.RowProblem(row=error.row, column=error.column, message=error.message, code=error.code,
                         message_ko=error.message_ko, params=error.params)


def accept(result: ImportResult, store_currency: str
           ) -> tuple[list[dict[str, Any]], list[ms.RowProblem], CatalogSummary]:
    """The import's products as staging rows, every row refused (the importer's and a wrong currency), and the
    counts and hidden-product notices of what was accepted."""
    errors = [problem(e) for e in result.errors]
    accepted: list[dict[str, Any]] = []
    kept: list[CatalogProduct] = []
    for index, product in enumerate(result.products):
        if product.price.currency != store_currency:
            row = result.rows[index] if index < len(result.rows) else index + 2
            errors.append(problem(RowError.coded(row, "currency", "currency_mismatch", {
                "currency": product.price.currency, "store_currency": store_currency})))
        else:
            accepted.append({"sku": product.sku, "position": len(accepted), **_row_values(product)})
            kept.append(product)
    skus = {p.sku for p in kept}
    summary = summarise(kept, [h for h in result.hidden if not h.sku or h.sku in skus])
    return accepted, errors, summary


def stage_to_file(result: ImportResult, store_currency: str, rows_path: str) -> StagedCatalog:
    """Write the accepted rows as JSON lines for ``replace_staged`` (runs in the pool, next to the parser)."""
    accepted, errors, summary = accept(result, store_currency)
    with open(rows_path, "w", encoding="utf-8") as out:
        for row in accepted:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return StagedCatalog(result.format, result.encoding, result.rows_read, len(accepted), errors, summary)


def _refuse_empty(errors: list[ms.RowProblem]) -> Unprocessable:
    return Unprocessable("no valid product in the catalog", errors=[
        {"loc": ["body", f"row {e.row}"] + ([e.column] if e.column else []), "msg": e.message, "code": e.code,
         "msg_ko": e.message_ko, "params": e.params} for e in errors
    ] or [{"loc": ["body"], "msg": "the catalog is empty", "code": "file_empty", "msg_ko": "카탈로그가 비어 있습니다"}])


async def replace_staged(database: Database, store: Store, staged: StagedCatalog, rows_path: Path) -> ms.ImportReport:
    """Make the staged rows the store's catalog: written to the staging table ``STAGE_BATCH`` rows per
    transaction (other writers interleave), then swapped in by one transaction of set-based statements."""
    if not staged.accepted:
        raise _refuse_empty(staged.errors)
    import_id = uuid.uuid4().hex
    try:
        with rows_path.open(encoding="utf-8") as lines:
            while batch := await asyncio.to_thread(_read_batch, lines):
                await database.unit(stage_rows, import_id, batch)
        deactivated = await database.unit(swap_in, store.id, import_id, datetime.now(UTC))
    finally:
        await database.unit(drop_staged, import_id)  # a no-op after a swap; the remains of a failure otherwise
    await reindex_batches(database, store.id)  # search follows the new catalog (services/search_index.py)
    return _report(staged.format, staged.encoding, staged.rows_read, staged.accepted, staged.errors, deactivated,
                   staged.summary)


def _read_batch(lines: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in itertools.islice(lines, STAGE_BATCH)]


async def replace_catalog(db: AsyncSession, store: Store, result: ImportResult) -> ms.ImportReport:
    """The same replacement in the caller's transaction, for a catalog already in memory (the demo's)."""
    accepted, errors, summary = accept(result, store.currency)
    if not accepted:
        raise _refuse_empty(errors)
    import_id = uuid.uuid4().hex

    def replace(session: Any) -> int:
        conn = session.connection()
        stage_rows(conn, import_id, accepted)
        swapped = swap_in(conn, store.id, import_id, datetime.now(UTC))
        reindex_store(conn, store.id)  # search follows the new catalog in the same transaction
        return swapped

    deactivated = await db.run_sync(replace)
    return _report(result.format, result.encoding, result.rows_read, len(accepted), errors, deactivated, summary)


def _report(fmt: str, encoding: str, rows_read: int, imported: int, errors: list[ms.RowProblem],
            deactivated: int, summary: CatalogSummary) -> ms.ImportReport:
    return ms.ImportReport(format=fmt, encoding=encoding, rows_read=rows_read, imported=imported,
                           rejected=len(errors), deactivated=deactivated, errors=errors,
                           products=summary.products, variants=summary.variants, hidden=summary.hidden,
                           images=summary.images, images_fetch="off",
                           notices=[problem(n) for n in summary.notices])


def stage_rows(conn: Connection, import_id: str, rows: list[dict[str, Any]]) -> None:
    now = datetime.now(UTC)
    conn.execute(insert(STAGING), [{"import_id": import_id, "staged_at": now, **row} for row in rows])


def swap_in(conn: Connection, store_id: int, import_id: str, now: datetime) -> int:
    """One transaction: listed products take their new values (and come back to life), the rest of the active
    ones become inactive (orders keep them), new SKUs are inserted in file order (so catalog order, the id
    order, lists a product's variants as the file did); returns how many were deactivated."""
    p, s = PRODUCTS, STAGING
    listed = exists().where(s.c.import_id == import_id, s.c.sku == p.c.sku)
    copied = ("name_ko", "name_en", "category", "price", "sale_price", "currency", "stock", "data_json", "group_key",
              "status")
    conn.execute(update(p).where(p.c.store_id == store_id, p.c.sku == s.c.sku, s.c.import_id == import_id)
                 .values({**{c: s.c[c] for c in copied}, "active": True, "updated_at": now}))
    deactivated = conn.execute(update(p).where(p.c.store_id == store_id, p.c.active.is_(True), ~listed)
                               .values(active=False, updated_at=now)).rowcount
    known = exists().where(p.c.store_id == store_id, p.c.sku == s.c.sku)
    conn.execute(insert(p).from_select(
        ["store_id", "sku", *copied, "active", "updated_at"],
        select(literal(store_id), s.c.sku, *(s.c[c] for c in copied), literal(True), literal(now, UtcDateTime))
        .where(s.c.import_id == import_id, ~known).order_by(s.c.position)))  # ids in file order
    conn.execute(delete(s).where(s.c.import_id == import_id))
    conn.execute(delete(s).where(s.c.staged_at < now - STALE_STAGING))  # imports that died midway
    return int(deactivated)


def drop_staged(conn: Connection, import_id: str) -> None:
    conn.execute(delete(STAGING).where(STAGING.c.import_id == import_id))


def _row_values(product: CatalogProduct) -> dict[str, object]:
    return {
        "name_ko": product.name_ko, "name_en": product.name_en,
        "category": CATEGORY_SEPARATOR.join(product.category), "price": product.price.amount,
        "sale_price": product.sale_price.amount if product.sale_price else None,
        "currency": product.price.currency, "stock": product.stock,
        "data_json": product.model_dump_json(exclude_defaults=True), "group_key": product.group,
        "status": product.status,
    }


STALE_STAGING = timedelta(days=1)


async def product_by_sku(db: AsyncSession, store: Store, sku: str, *, active_only: bool = True,
                         shelf_only: bool = False) -> ProductRow:
    """The product ``sku`` of ``store``; ``shelf_only``: only one a shopper may see (else 404, like a removed one)."""
    query = select(ProductRow).where(ProductRow.store_id == store.id, ProductRow.sku == sku)
    row = (await db.execute(query)).scalar_one_or_none()
    if row is None or (active_only and not row.active) or (shelf_only and not shown(row)):
        raise NotFound(f"no product {sku!r} in store {store.slug!r}")
    return row


def shown(row: ProductRow | ProductColumns) -> bool:
    """:func:`on_shelf` for a row already read: shoppers see it."""
    return bool(row.active) and row.status == "active"


async def patch_product(db: AsyncSession, store: Store, sku: str, patch: ms.ProductPatch) -> ms.ProductOut:
    row = await product_by_sku(db, store, sku)
    fields = patch.model_dump(exclude_unset=True)
    price = fields.get("price", row.price)
    sale = fields.get("sale_price", row.sale_price)
    if "price" in fields and fields["price"] is None:
        raise Unprocessable("price cannot be cleared", errors=[{"loc": ["body", "price"], "msg": "must be a number"}])
    if "stock" in fields and fields["stock"] is None:
        raise Unprocessable("stock cannot be cleared", errors=[{"loc": ["body", "stock"], "msg": "must be a number"}])
    if sale is not None and sale > price:
        raise Unprocessable("the sale price is above the price",
                            errors=[{"loc": ["body", "sale_price"], "msg": "must not exceed price"}])
    row.price, row.sale_price = price, sale
    if "stock" in fields:
        row.stock = fields["stock"]
    row.updated_at = datetime.now(UTC)
    await db.flush()
    return product_out(store, row, await load_pricing(db, store.festival_id), datetime.now(UTC), manager=True)


class StoreKey(Protocol):
    """What a product's resource needs of its store (the ORM row, or a picklable copy in a pool process)."""

    @property
    def id(self) -> int: ...
    @property
    def slug(self) -> str: ...


class ProductColumns(NamedTuple):
    """A product's columns as a plain row (the product snapshot reads them so), in the order selected."""

    sku: str
    name_ko: str | None
    name_en: str | None
    category: str
    price: int
    sale_price: int | None
    currency: str
    stock: int
    active: bool
    model_sha256: str | None
    image_sha256: str | None
    data_json: str
    group_key: str
    status: str


def product_out(store: StoreKey, row: ProductRow | ProductColumns, pricing: FestivalPricing,
                now: datetime, *, manager: bool = False, fetched: Mapping[str, str] = NOTHING_FETCHED
                ) -> ms.ProductOut:
    """A product as the API shows it; ``manager``: for the store's merchant or organizer, who also see the
    image references of the catalog file (remote URLs, which no client may load). ``fetched`` maps the
    catalog's image URLs that the server fetched (``image_fetch.fetched_images``) to where they are served:
    those join ``images`` after the uploaded one, in the catalog's order."""
    q = quote(price=row.price, sale_price=row.sale_price, currency=row.currency, store_id=store.id,
              category=row.category, festival=pricing, now=now)
    data = CatalogProduct.model_validate_json(row.data_json) if row.data_json not in ("", "{}") else None
    image = f"/api/v1/stores/{store.slug}/products/{row.sku}/image" if row.image_sha256 else None
    return ms.ProductOut(
        sku=row.sku, name=Names(ko=row.name_ko or row.name_en or row.sku, en=row.name_en or row.name_ko or row.sku),
        description=data.description if data else "", category=row.category, brand=data.brand if data else None,
        price=row.price, sale_price=row.sale_price, unit_price=q.unit_price, festival_percent=q.festival_percent,
        currency=row.currency, stock=row.stock, active=row.active, model=row.model_sha256 is not None,
        image=image, group=row.group_key or row.sku, options=dict(data.options) if data else {},
        images=_images(image, data.images if data else [], fetched),
        image_sources=list(data.images) if data and manager else [],
        barcode=(data.barcode or data.gtin) if data else None,
        availability=availability(data.availability if data else None, row.stock), status=row.status,
    )


def _sources(row: ProductRow | ProductColumns) -> list[str]:
    if row.data_json in ("", "{}"):
        return []
    images = json.loads(row.data_json).get("images")
    return [i for i in images if isinstance(i, str)] if isinstance(images, list) else []


async def products_out(db: AsyncSession, store: Store, rows: list[ProductRow], pricing: FestivalPricing,
                       now: datetime, *, manager: bool = False) -> list[ms.ProductOut]:
    """``product_out`` for a page of products, with the catalog images the server fetched for them."""
    fetched = await fetched_images_of(db, store.id, (u for row in rows for u in _sources(row)))
    return [product_out(store, row, pricing, now, manager=manager, fetched=fetched) for row in rows]


def _images(uploaded: str | None, sources: list[str], fetched: Mapping[str, str]) -> list[str]:
    images = [uploaded] if uploaded else []
    for source in sources:
        served = fetched.get(source)
        if served is not None and served not in images:
            images.append(served)
    return images


def availability(declared: str | None, stock: int) -> str:
    """Preorder and backorder as the catalog said; otherwise whether there is stock now (stock moves live)."""
    if declared in ("preorder", "backorder"):
        return declared
    return "in_stock" if stock > 0 else "out_of_stock"


async def shelf_count(db: AsyncSession, store: Store) -> int:
    """Products on the shelf, a product's variants counted once: the slots a scene needs."""
    query = select(func.count(ProductRow.group_key.distinct())).where(ProductRow.store_id == store.id,
                                                                     on_shelf(ProductRow))
    return int((await db.execute(query)).scalar_one())


async def active_count(db: AsyncSession, store: Store) -> int:
    """Products shoppers see (variants on the shelf)."""
    query = select(func.count()).where(ProductRow.store_id == store.id, on_shelf(ProductRow))
    return int((await db.execute(query)).scalar_one())


async def product_page(db: AsyncSession, store: Store, *, after: int, limit: int, include_hidden: bool = False
                       ) -> tuple[list[ProductRow], int | None]:
    """Products with ids above ``after``, at most ``limit`` of them, and the cursor of the next page: those
    shoppers see, or with ``include_hidden`` every product still in the catalog (the merchant's view)."""
    visible = ProductRow.active.is_(True) if include_hidden else on_shelf(ProductRow)
    query = (select(ProductRow).where(ProductRow.store_id == store.id, visible, ProductRow.id > after)
             .order_by(ProductRow.id).limit(limit + 1))
    rows = list((await db.execute(query)).scalars().all())
    more = len(rows) > limit
    return rows[:limit], rows[limit - 1].id if more else None
