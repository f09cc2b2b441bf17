"""Festivals and their merchants."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import foundation as schemas
from server.domain.errors import Conflict, NotFound, Unprocessable
from server.domain.principal import Principal, new_token
from server.domain.sale_window import within_sale_window
from server.persistence.tables import ApiToken, Festival, Merchant, Store, utcnow
from server.services import access
from server.services.stores import scene_ref, store_summary


def sale_open(festival: Festival, now: datetime | None = None) -> bool:
    """Inside the sale window (a missing bound is open-ended)."""
    return within_sale_window(festival.starts_at, festival.ends_at, now or datetime.now(UTC))


async def create_festival(
    db: AsyncSession, *, slug: str, name_ko: str, name_en: str, timezone: str = "Asia/Seoul"
) -> tuple[Festival, str]:
    """A new festival and its organizer token (returned once, stored hashed)."""
    festival = Festival(slug=slug, name_ko=name_ko, name_en=name_en, timezone=timezone, instance_capacity=100)
    db.add(festival)
    try:
        await db.flush()
    except IntegrityError:
        raise Conflict(f"festival {slug!r} already exists", extra={"reason": "slug_taken"}) from None
    token, digest = new_token("organizer")
    db.add(ApiToken(token_hash=digest, role="organizer", festival_id=festival.id))
    return festival, token


async def festival_out(db: AsyncSession, festival: Festival, *, all_stores: bool = False) -> schemas.FestivalOut:
    query = select(Store).where(Store.festival_id == festival.id).order_by(Store.id)
    if not all_stores:
        query = query.where(Store.status == "approved")
    stores = (await db.execute(query)).scalars().all()
    return schemas.FestivalOut(
        slug=festival.slug,
        name=schemas.Names(ko=festival.name_ko, en=festival.name_en),
        timezone=festival.timezone,
        starts_at=festival.starts_at,
        ends_at=festival.ends_at,
        sale_open=sale_open(festival),
        visitor_cap=festival.visitor_cap,
        instance_capacity=festival.instance_capacity,
        plaza=scene_ref(festival.plaza_hash),
        stores=[store_summary(store) for store in stores],
    )


async def update_festival(
    db: AsyncSession, principal: Principal, slug: str, patch: schemas.FestivalPatch
) -> Festival:
    festival = await access.organizer_festival(db, principal, slug)
    for field, value in patch.model_dump(exclude_unset=True).items():
        setattr(festival, field, value)
    if festival.starts_at and festival.ends_at and festival.ends_at <= festival.starts_at:
        raise Unprocessable(
            "the sale window ends before it starts",
            errors=[{"loc": ["body", "ends_at"], "msg": "must be after starts_at"}],
        )
    await db.flush()
    return festival


async def invite_merchant(
    db: AsyncSession, principal: Principal, slug: str, body: schemas.MerchantCreate
) -> schemas.MerchantCreated:
    festival = await access.organizer_festival(db, principal, slug)
    merchant = Merchant(festival_id=festival.id, name=body.name, contact_email=body.contact_email)
    db.add(merchant)
    await db.flush()
    token, digest = new_token("merchant")
    db.add(ApiToken(token_hash=digest, role="merchant", festival_id=festival.id, merchant_id=merchant.id))
    return schemas.MerchantCreated(id=merchant.id, name=merchant.name, contact_email=merchant.contact_email,
                                   token=token)


async def list_merchants(db: AsyncSession, principal: Principal, slug: str) -> schemas.MerchantList:
    festival = await access.organizer_festival(db, principal, slug)
    merchants = (
        await db.execute(select(Merchant).where(Merchant.festival_id == festival.id).order_by(Merchant.id))
    ).scalars().all()
    stores = (await db.execute(select(Store.merchant_id, Store.slug).where(Store.festival_id == festival.id))).all()
    by_merchant: dict[int, list[str]] = {}
    for merchant_id, store_slug in stores:
        by_merchant.setdefault(merchant_id, []).append(store_slug)
    return schemas.MerchantList(
        merchants=[
            schemas.MerchantOut(id=m.id, name=m.name, contact_email=m.contact_email,
                                stores=sorted(by_merchant.get(m.id, [])))
            for m in merchants
        ]
    )


async def rotate_merchant_token(
    db: AsyncSession, principal: Principal, slug: str, merchant_id: int
) -> schemas.MerchantCreated:
    """Revoke every token of the merchant and issue a new one."""
    festival = await access.organizer_festival(db, principal, slug)
    merchant = await db.get(Merchant, merchant_id)
    if merchant is None or merchant.festival_id != festival.id:
        raise NotFound(f"no merchant {merchant_id}")
    tokens = (
        await db.execute(select(ApiToken).where(ApiToken.merchant_id == merchant.id, ApiToken.revoked_at.is_(None)))
    ).scalars()
    for old in tokens:
        old.revoked_at = utcnow()
    token, digest = new_token("merchant")
    db.add(ApiToken(token_hash=digest, role="merchant", festival_id=festival.id, merchant_id=merchant.id))
    return schemas.MerchantCreated(id=merchant.id, name=merchant.name, contact_email=merchant.contact_email,
                                   token=token)


async def list_festivals(db: AsyncSession) -> schemas.FestivalList:
    rows = (await db.execute(select(Festival).order_by(Festival.id))).scalars().all()
    return schemas.FestivalList(festivals=[
        schemas.FestivalBrief(slug=f.slug, name=schemas.Names(ko=f.name_ko, en=f.name_en), timezone=f.timezone,
                              starts_at=f.starts_at, ends_at=f.ends_at, sale_open=sale_open(f))
        for f in rows
    ])
