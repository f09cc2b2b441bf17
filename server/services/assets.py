"""Product models and images: which stored file a product shows (the files themselves live in Storage)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from server.persistence.tables import Asset, Store
from server.persistence.tables import Product as ProductRow
from server.services.catalog import product_by_sku

AssetKind = Literal["model", "image"]


async def attach(db: AsyncSession, store: Store, sku: str, kind: AssetKind, *, sha256: str, media_type: str,
                 size: int) -> ProductRow:
    """Record the validated file (once per content hash) and make it the product's model or image."""
    row = await product_by_sku(db, store, sku)
    if await db.get(Asset, sha256) is None:
        db.add(Asset(sha256=sha256, kind=kind, media_type=media_type, size=size))
    if kind == "model":
        row.model_sha256 = sha256
    else:
        row.image_sha256 = sha256
    return row


async def product_image(db: AsyncSession, store: Store, sku: str) -> Asset | None:
    """The product's image record, if it has one."""
    row = await product_by_sku(db, store, sku)
    return await db.get(Asset, row.image_sha256) if row.image_sha256 else None
