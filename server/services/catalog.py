"""A store's catalog: atomic replacement from an import, live product edits, the shopper's view."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Connection, Table, delete, exists, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import merchant as ms
from server.contracts.foundation import Names
from server.domain.errors import NotFound, Unprocessable
from server.persistence.database import Database
from server.persistence.tables import Base, Store, UtcDateTime
from server.persistence.tables import Product as ProductRow
from server.services.pricing import CATEGORY_SEPARATOR, FestivalPricing, load_pricing, quote
from storefront_builder.catalog.models import ImportResult
from storefront_builder.catalog.models import Product as CatalogProduct

PRODUCTS: Table = Base.metadata.tables["products"]
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


def accept(result: ImportResult, store_currency: str) -> tuple[list[dict[str, Any]], list[ms.RowProblem]]:
    """The import's products as staging rows, and every row refused (the importer's and a wrong currency)."""
    errors = [ms.RowProblem(row=e.row, column=e.column, message=e.message) for e in result.errors]
    accepted: list[dict[str, Any]] = []
    for index, product in enumerate(result.products):
        if product.price.currency != store_currency:
            errors.append(ms.RowProblem(row=index + 2, column="currency",
                                        message=f"{product.price.currency} but the store sells in {store_currency}"))
        else:
            accepted.append({"sku": product.sku, **_row_values(product)})
    return accepted, errors


def stage_to_file(result: ImportResult, store_currency: str, rows_path: str) -> StagedCatalog:
    """Write the accepted rows as JSON lines for ``replace_staged`` (runs in the pool, next to the parser)."""
    accepted, errors = accept(result, store_currency)
    with open(rows_path, "w", encoding="utf-8") as out:
        for row in accepted:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return StagedCatalog(result.format, result.encoding, result.rows_read, len(accepted), errors)


def _refuse_empty(errors: list[ms.RowProblem]) -> Unprocessable:
    return Unprocessable("no valid product in the catalog", errors=[
        {"loc": ["body", f"row {e.row}"] + ([e.column] if e.column else []), "msg": e.message} for e in errors
    ] or [{"loc": ["body"], "msg": "the catalog is empty"}])


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
    return _report(staged.format, staged.encoding, staged.rows_read, staged.accepted, staged.errors, deactivated)


def _read_batch(lines: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in itertools.islice(lines, STAGE_BATCH)]


async def replace_catalog(db: AsyncSession, store: Store, result: ImportResult) -> ms.ImportReport:
    """The same replacement in the caller's transaction, for a catalog already in memory (the demo's)."""
    accepted, errors = accept(result, store.currency)
    if not accepted:
        raise _refuse_empty(errors)
    import_id = uuid.uuid4().hex

    def replace(session: Any) -> int:
        conn = session.connection()
        stage_rows(conn, import_id, accepted)
        return swap_in(conn, store.id, import_id, datetime.now(UTC))

    deactivated = await db.run_sync(replace)
    return _report(result.format, result.encoding, result.rows_read, len(accepted), errors, deactivated)


def _report(fmt: str, encoding: str, rows_read: int, imported: int, errors: list[ms.RowProblem],
            deactivated: int) -> ms.ImportReport:
    return ms.ImportReport(format=fmt, encoding=encoding, rows_read=rows_read, imported=imported,
                           rejected=len(errors), deactivated=deactivated, errors=errors)


def stage_rows(conn: Connection, import_id: str, rows: list[dict[str, Any]]) -> None:
    now = datetime.now(UTC)
    conn.execute(insert(STAGING), [{"import_id": import_id, "staged_at": now, **row} for row in rows])


def swap_in(conn: Connection, store_id: int, import_id: str, now: datetime) -> int:
    """One transaction: listed products take their new values (and come back to life), the rest of the active
    ones become inactive (orders keep them), new SKUs are inserted; returns how many were deactivated."""
    p, s = PRODUCTS, STAGING
    listed = exists().where(s.c.import_id == import_id, s.c.sku == p.c.sku)
    copied = ("name_ko", "name_en", "category", "price", "sale_price", "currency", "stock", "data_json")
    conn.execute(update(p).where(p.c.store_id == store_id, p.c.sku == s.c.sku, s.c.import_id == import_id)
                 .values({**{c: s.c[c] for c in copied}, "active": True, "updated_at": now}))
    deactivated = conn.execute(update(p).where(p.c.store_id == store_id, p.c.active.is_(True), ~listed)
                               .values(active=False, updated_at=now)).rowcount
    known = exists().where(p.c.store_id == store_id, p.c.sku == s.c.sku)
    conn.execute(insert(p).from_select(
        ["store_id", "sku", *copied, "active", "updated_at"],
        select(literal(store_id), s.c.sku, *(s.c[c] for c in copied), literal(True), literal(now, UtcDateTime))
        .where(s.c.import_id == import_id, ~known)))
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
        "data_json": product.model_dump_json(exclude_defaults=True),
    }


STALE_STAGING = timedelta(days=1)


async def product_by_sku(db: AsyncSession, store: Store, sku: str, *, active_only: bool = True) -> ProductRow:
    query = select(ProductRow).where(ProductRow.store_id == store.id, ProductRow.sku == sku)
    row = (await db.execute(query)).scalar_one_or_none()
    if row is None or (active_only and not row.active):
        raise NotFound(f"no product {sku!r} in store {store.slug!r}")
    return row


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
    return product_out(store, row, await load_pricing(db, store.festival_id), datetime.now(UTC))


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


def product_out(store: StoreKey, row: ProductRow | ProductColumns, pricing: FestivalPricing,
                now: datetime) -> ms.ProductOut:
    q = quote(price=row.price, sale_price=row.sale_price, currency=row.currency, store_id=store.id,
              category=row.category, festival=pricing, now=now)
    data = CatalogProduct.model_validate_json(row.data_json) if row.data_json not in ("", "{}") else None
    return ms.ProductOut(
        sku=row.sku, name=Names(ko=row.name_ko or row.name_en or row.sku, en=row.name_en or row.name_ko or row.sku),
        description=data.description if data else "", category=row.category, brand=data.brand if data else None,
        price=row.price, sale_price=row.sale_price, unit_price=q.unit_price, festival_percent=q.festival_percent,
        currency=row.currency, stock=row.stock, active=row.active, model=row.model_sha256 is not None,
        image=f"/api/v1/stores/{store.slug}/products/{row.sku}/image" if row.image_sha256 else None,
    )


async def active_count(db: AsyncSession, store: Store) -> int:
    query = select(func.count()).where(ProductRow.store_id == store.id, ProductRow.active.is_(True))
    return int((await db.execute(query)).scalar_one())


async def product_page(db: AsyncSession, store: Store, *, after: int, limit: int
                       ) -> tuple[list[ProductRow], int | None]:
    """Active products with ids above ``after``, at most ``limit`` of them, and the cursor of the next page."""
    query = (select(ProductRow).where(ProductRow.store_id == store.id, ProductRow.active.is_(True),
                                      ProductRow.id > after).order_by(ProductRow.id).limit(limit + 1))
    rows = list((await db.execute(query)).scalars().all())
    more = len(rows) > limit
    return rows[:limit], rows[limit - 1].id if more else None
