"""Organizer rules: festival discount rules and the live festival dashboard."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import merchant as ms
from server.contracts.foundation import STORED, Names
from server.domain.errors import Unprocessable
from server.domain.principal import Principal
from server.persistence.tables import Build, DiscountRule, Store
from server.services import access
from server.services.orders import sales_totals

VisitorCounts = Callable[[], Mapping[str, int]]


async def get_discounts(db: AsyncSession, principal: Principal, slug: str) -> ms.DiscountRules:
    festival = await access.organizer_festival(db, principal, slug)
    query = select(DiscountRule, Store.slug).outerjoin(Store, Store.id == DiscountRule.store_id)
    rows = (await db.execute(query.where(DiscountRule.festival_id == festival.id).order_by(DiscountRule.id))).all()
    return ms.DiscountRules(rules=[
        ms.DiscountRuleIn.model_validate({"percent": r.percent, "store": s, "category": r.category}, context=STORED)
        for r, s in rows])


async def set_discounts(
    db: AsyncSession, principal: Principal, slug: str, body: ms.DiscountRulesIn
) -> ms.DiscountRules:
    """Replace the festival's rules in one transaction."""
    festival = await access.organizer_festival(db, principal, slug)
    slugs = {rule.store for rule in body.rules if rule.store}
    ids = dict((await db.execute(select(Store.slug, Store.id).where(
        Store.festival_id == festival.id, Store.slug.in_(slugs or {""})))).all())
    missing = [i for i, rule in enumerate(body.rules) if rule.store and rule.store not in ids]
    if missing:
        raise Unprocessable("unknown store in discount rules",
                            errors=[{"loc": ["body", "rules", i, "store"], "msg": "no such store"} for i in missing])
    await db.execute(delete(DiscountRule).where(DiscountRule.festival_id == festival.id))
    for rule in body.rules:
        db.add(DiscountRule(festival_id=festival.id, percent=rule.percent,
                            store_id=ids.get(rule.store) if rule.store else None, category=rule.category or None))
    return ms.DiscountRules(rules=body.rules)


async def festival_stats(
    db: AsyncSession, principal: Principal, slug: str, visitors: Mapping[str, int]
) -> ms.FestivalStats:
    """Stores with live visitors, their latest build and their sales (orders, revenue; cancelled excluded)."""
    festival = await access.organizer_festival(db, principal, slug)
    sales = await sales_totals(db, festival.id)
    query = select(Store).where(Store.festival_id == festival.id).order_by(Store.id)
    stores = (await db.execute(query)).scalars().all()
    latest = (
        select(Build.store_id, func.max(Build.created_at).label("at")).group_by(Build.store_id).subquery()
    )
    builds = dict((await db.execute(
        select(Build.store_id, Build.status).join(latest, (Build.store_id == latest.c.store_id)
                                                  & (Build.created_at == latest.c.at)))).all())
    rows = []
    for store in stores:
        totals = sales.get(store.id, {})
        orders, revenue = totals.get("orders", 0), totals.get("revenue", 0)
        rows.append(ms.StoreStats(
            slug=store.slug, name=Names(ko=store.name_ko, en=store.name_en), kind=store.kind, status=store.status,
            visitors=visitors.get(store.slug, 0), build=builds.get(store.id), scene_hash=store.scene_hash,
            orders=orders, revenue=revenue))
    return ms.FestivalStats(festival=festival.slug, visitors=sum(r.visitors for r in rows),
                            orders=sum(r.orders for r in rows), revenue=sum(r.revenue for r in rows), stores=rows)
