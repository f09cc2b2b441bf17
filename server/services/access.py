"""Tenant rules: who may see and touch which festival and store.

Another tenant's resource is reported as 404, never 403, so its existence does not leak.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.errors import Forbidden, NotFound
from server.domain.principal import Principal
from server.persistence.tables import Festival, Store


async def festival_by_slug(db: AsyncSession, slug: str) -> Festival:
    festival = (await db.execute(select(Festival).where(Festival.slug == slug))).scalar_one_or_none()
    if festival is None:
        raise NotFound(f"no festival {slug!r}")
    return festival


async def organizer_festival(db: AsyncSession, principal: Principal, slug: str) -> Festival:
    """The festival, if the caller is its organizer."""
    festival = await festival_by_slug(db, slug)
    if principal.role != "organizer":
        raise Forbidden("only the festival's organizer may do this")
    if principal.festival_id != festival.id:
        raise NotFound(f"no festival {slug!r}")
    return festival


async def store_by_slug(db: AsyncSession, slug: str, *, for_update: bool = False) -> Store:
    query = select(Store).where(Store.slug == slug)
    if for_update:
        query = query.with_for_update()
    store = (await db.execute(query)).scalar_one_or_none()
    if store is None:
        raise NotFound(f"no store {slug!r}")
    return store


def can_manage_store(principal: Principal | None, store: Store) -> bool:
    """The owning merchant or the festival's organizer."""
    if principal is None:
        return False
    if principal.role == "merchant":
        return principal.merchant_id == store.merchant_id
    if principal.role == "organizer":
        return principal.festival_id == store.festival_id
    return False


async def visible_store(db: AsyncSession, principal: Principal | None, slug: str) -> Store:
    """A store the caller may read: approved ones publicly, others only by their managers."""
    store = await store_by_slug(db, slug)
    if store.status != "approved" and not can_manage_store(principal, store):
        raise NotFound(f"no store {slug!r}")
    return store


async def merchant_store(
    db: AsyncSession, principal: Principal, slug: str, *, for_update: bool = False
) -> Store:
    """A store the calling merchant owns (404 for anyone else's)."""
    if principal.role != "merchant":
        raise Forbidden("only the store's merchant may do this")
    store = await store_by_slug(db, slug, for_update=for_update)
    if store.merchant_id != principal.merchant_id:
        raise NotFound(f"no store {slug!r}")
    return store
