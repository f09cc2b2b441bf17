"""A store's catalog: atomic replacement from an import, live product edits, the shopper's view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import merchant as ms
from server.contracts.foundation import Names
from server.domain.errors import NotFound, Unprocessable
from server.persistence.tables import Product as ProductRow
from server.persistence.tables import Store
from server.services.pricing import CATEGORY_SEPARATOR, FestivalPricing, load_pricing, quote
from storefront_builder.catalog.models import ImportResult
from storefront_builder.catalog.models import Product as CatalogProduct


async def replace_catalog(db: AsyncSession, store: Store, result: ImportResult) -> ms.ImportReport:
    """Make ``result`` the store's catalog in one transaction; products no longer listed become inactive.

    Inactive rows stay (orders reference them) and come back to life if a later catalog lists them again.
    """
    errors = [ms.RowProblem(row=e.row, column=e.column, message=e.message) for e in result.errors]
    accepted: list[CatalogProduct] = []
    for index, product in enumerate(result.products):
        if product.price.currency != store.currency:
            errors.append(ms.RowProblem(row=index + 2, column="currency",
                                        message=f"{product.price.currency} but the store sells in {store.currency}"))
        else:
            accepted.append(product)
    if not accepted:
        raise Unprocessable("no valid product in the catalog", errors=[
            {"loc": ["body", f"row {e.row}"] + ([e.column] if e.column else []), "msg": e.message} for e in errors
        ] or [{"loc": ["body"], "msg": "the catalog is empty"}])
    query = select(ProductRow.sku, ProductRow.id).where(ProductRow.store_id == store.id)
    existing = dict((await db.execute(query)).all())
    was_active = (await db.execute(
        select(ProductRow.sku).where(ProductRow.store_id == store.id, ProductRow.active.is_(True))
    )).scalars().all()
    await db.execute(update(ProductRow).where(ProductRow.store_id == store.id).values(active=False))
    now = datetime.now(UTC)
    inserts, updates = [], []
    for product in accepted:
        values = _row_values(product) | {"active": True, "updated_at": now}
        if product.sku in existing:
            updates.append({"id": existing[product.sku], **values})
        else:
            inserts.append({"store_id": store.id, "sku": product.sku, **values})
    if updates:
        await db.execute(update(ProductRow), updates)
    if inserts:
        await db.execute(insert(ProductRow), inserts)
    listed = {p.sku for p in accepted}
    return ms.ImportReport(
        format=result.format, encoding=result.encoding, rows_read=result.rows_read, imported=len(accepted),
        rejected=len(errors), deactivated=sum(1 for sku in was_active if sku not in listed), errors=errors,
    )


def _row_values(product: CatalogProduct) -> dict[str, object]:
    return {
        "name_ko": product.name_ko, "name_en": product.name_en,
        "category": CATEGORY_SEPARATOR.join(product.category), "price": product.price.amount,
        "sale_price": product.sale_price.amount if product.sale_price else None,
        "currency": product.price.currency, "stock": product.stock,
        "data_json": product.model_dump_json(exclude_defaults=True),
    }


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


class ProductFields(Protocol):
    """The product columns a resource is made of (the ORM row, or a plain tuple row of them)."""

    @property
    def sku(self) -> str: ...
    @property
    def name_ko(self) -> str | None: ...
    @property
    def name_en(self) -> str | None: ...
    @property
    def category(self) -> str: ...
    @property
    def price(self) -> int: ...
    @property
    def sale_price(self) -> int | None: ...
    @property
    def currency(self) -> str: ...
    @property
    def stock(self) -> int: ...
    @property
    def active(self) -> bool: ...
    @property
    def model_sha256(self) -> str | None: ...
    @property
    def image_sha256(self) -> str | None: ...
    @property
    def data_json(self) -> str: ...


def product_out(store: StoreKey, row: ProductFields, pricing: FestivalPricing, now: datetime) -> ms.ProductOut:
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
