"""The live layer's questions (``server.realtime.ports.LiveData``) answered from the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.tables import Cart, CartMember, Festival, ShopperSession, Store
from server.domain.sale_window import within_sale_window
from server.realtime.ports import PLAZA, SaleWindow, StoreScene
from server.services.db import reading
from server.services.stores import scene_ref


class DatabaseLiveData:
    def __init__(self, sessionmaker: async_sessionmaker[Any]) -> None:
        self.sessionmaker = sessionmaker

    async def join_context(self, session_id: int, store: str) -> tuple[str | None, StoreScene | None]:
        async with reading(self.sessionmaker) as db:
            shopper = await db.get(ShopperSession, session_id)
            return (shopper.display_name if shopper is not None else None), await _store_scene(db, store)

    async def is_cart_member(self, cart_id: int, session_id: int) -> bool:
        async with reading(self.sessionmaker) as db:
            row = await db.execute(select(CartMember.session_id).where(
                CartMember.cart_id == cart_id, CartMember.session_id == session_id))
            return row.first() is not None

    async def cart_versions(self, cart_ids: list[int]) -> dict[int, int]:
        if not cart_ids:
            return {}
        async with reading(self.sessionmaker) as db:
            rows = await db.execute(select(Cart.id, Cart.version).where(Cart.id.in_(cart_ids)))
            return {int(cid): int(version) for cid, version in rows.all()}

    async def sale_windows(self) -> list[SaleWindow]:
        now = datetime.now(UTC)
        async with reading(self.sessionmaker) as db:
            festivals = (await db.execute(select(Festival.slug, Festival.starts_at, Festival.ends_at))).all()
        return [SaleWindow(slug, within_sale_window(starts, ends, now)) for slug, starts, ends in festivals]


async def _store_scene(db: AsyncSession, store: str) -> StoreScene | None:
    if store == PLAZA:
        # One plaza: the first festival's (a second festival has no plaza of its own yet).
        festival = (await db.execute(select(Festival).order_by(Festival.id))).scalars().first()
        return StoreScene(_urls(festival.plaza_hash), festival.visitor_cap) if festival is not None else None
    row = (await db.execute(select(Store).where(Store.slug == store))).scalar_one_or_none()
    if row is None or row.status != "approved":
        return None
    owner = await db.get(Festival, row.festival_id)
    return StoreScene(_urls(row.scene_hash), owner.visitor_cap if owner else None)


def _urls(scene_hash: str | None) -> dict[str, str]:
    ref = scene_ref(scene_hash)
    return {"glb": ref.glb, "manifest": ref.manifest} if ref else {}
