"""The organizer dashboard's live numbers, read once a second per open dashboard: the festival's stats (visitors,
orders, revenue, builds), orders of the last minute and the declined share of recent checkouts. Festival-wide
totals of everyone at once, which the console showed before analytics: not suppressed (docs/ANALYTICS.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.analytics import declines_spike
from server.domain.principal import Principal
from server.persistence.tables import AnalyticsMinute, Festival, Order, Store
from server.services import organizer

DECLINE_WINDOW = timedelta(minutes=10)


@dataclass
class FestivalNow:
    visitors: int
    orders: int
    revenue: int
    currency: str
    orders_last_minute: int
    failed_builds: list[str] = field(default_factory=list)
    declines_spike: bool = False


async def festival_now(db: AsyncSession, principal: Principal, slug: str, visitors: Mapping[str, int],
                       now: datetime) -> FestivalNow:
    stats = await organizer.festival_stats(db, principal, slug, visitors)  # checks the organizer too
    last_minute = (await db.execute(
        select(func.count(Order.id)).join(Store, Store.id == Order.store_id)
        .join(Festival, Festival.id == Store.festival_id)
        .where(Festival.slug == slug, Order.created_at >= now - timedelta(minutes=1)))).scalar_one()
    checkouts = dict((await db.execute(
        select(AnalyticsMinute.key, func.sum(AnalyticsMinute.n)).where(
            AnalyticsMinute.festival == slug, AnalyticsMinute.kind == "checkout",
            AnalyticsMinute.minute >= now - DECLINE_WINDOW).group_by(AnalyticsMinute.key))).all())
    attempts = int(sum(checkouts.values()))
    return FestivalNow(
        visitors=stats.visitors + visitors.get(f"plaza:{slug}", 0), orders=stats.orders, revenue=stats.revenue,
        currency=stats.currency, orders_last_minute=int(last_minute),
        failed_builds=[s.slug for s in stats.stores if s.build == "failed"],
        declines_spike=declines_spike(int(checkouts.get("declined", 0)), attempts))
