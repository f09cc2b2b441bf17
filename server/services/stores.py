"""Stores: creation by merchants, approval by organizers, public reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import foundation as schemas
from server.domain.errors import Conflict, Forbidden, NotFound
from server.domain.principal import Principal
from server.persistence.tables import Merchant, Store
from server.services import access


def scene_ref(scene_hash: str | None) -> schemas.SceneRef | None:
    if not scene_hash:
        return None
    return schemas.SceneRef(
        hash=scene_hash, glb=f"/scenes/{scene_hash}.glb", manifest=f"/scenes/{scene_hash}.json"
    )


def store_summary(store: Store) -> schemas.StoreSummary:
    return schemas.StoreSummary(
        slug=store.slug,
        name=schemas.Names(ko=store.name_ko, en=store.name_en),
        kind=store.kind,  # only ever written from the StoreKind literal, validated on the way out
        status=store.status,
        scene=scene_ref(store.scene_hash),
    )


async def store_out(db: AsyncSession, store: Store) -> schemas.StoreOut:
    from server.persistence.tables import Festival

    festival = await db.get(Festival, store.festival_id)
    assert festival is not None  # foreign key
    return schemas.StoreOut(
        **store_summary(store).model_dump(),
        festival=festival.slug,
        merchant_id=store.merchant_id,
        currency=store.currency,
    )


async def create_store(db: AsyncSession, principal: Principal, body: schemas.StoreCreate) -> Store:
    if principal.role != "merchant" or principal.merchant_id is None:
        raise Forbidden("only merchants open stores")
    merchant = await db.get(Merchant, principal.merchant_id)
    assert merchant is not None  # the token's foreign key
    store = Store(
        slug=body.slug, festival_id=merchant.festival_id, merchant_id=merchant.id, name_ko=body.name_ko,
        name_en=body.name_en, kind=body.kind, status="pending", currency=body.currency,
    )
    db.add(store)
    try:
        await db.flush()
    except IntegrityError:
        raise Conflict(f"store slug {body.slug!r} is taken", extra={"reason": "slug_taken"}) from None
    return store


async def update_store(db: AsyncSession, principal: Principal, slug: str, patch: schemas.StorePatch) -> Store:
    store = await access.merchant_store(db, principal, slug)
    for field, value in patch.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(store, field, value)
    await db.flush()
    return store


async def set_layout(db: AsyncSession, principal: Principal, slug: str, layout_json: str) -> Store:
    """Store the merchant's layout choice (``server.domain.layout_choice`` writes and reads its form)."""
    store = await access.merchant_store(db, principal, slug, for_update=True)
    store.layout_json = layout_json
    return store


async def set_status(db: AsyncSession, principal: Principal, slug: str, status: str) -> tuple[Store, str]:
    """Approve, suspend or reset a store; returns the store and its previous status."""
    if principal.role != "organizer":
        raise Forbidden("only the festival's organizer approves or suspends stores")
    store = await access.store_by_slug(db, slug)
    if store.festival_id != principal.festival_id:
        raise NotFound(f"no store {slug!r}")
    previous, store.status = store.status, status
    await db.flush()
    return store, previous


async def list_festival_stores(db: AsyncSession, principal: Principal, festival_slug: str) -> list[Store]:
    festival = await access.organizer_festival(db, principal, festival_slug)
    return list((await db.execute(select(Store).where(Store.festival_id == festival.id).order_by(Store.id))).scalars())


async def list_merchant_stores(db: AsyncSession, principal: Principal) -> list[Store]:
    if principal.role != "merchant":
        raise Forbidden("only merchants have stores of their own")
    query = select(Store).where(Store.merchant_id == principal.merchant_id).order_by(Store.id)
    return list((await db.execute(query)).scalars())
