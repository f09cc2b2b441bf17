"""Festival analytics in the database: one batched write of a worker's ended minutes, the retention prune, and
the grouped reads every answer starts from (server/services/analytics_reports.py). The counters themselves
and the privacy rule live in server/domain/analytics.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.analytics import Row, merge
from server.persistence.tables import AnalyticsMinute, Cart, Festival, Store


async def write(db: AsyncSession, rows: Sequence[Row]) -> int:
    """Insert this worker's rows (festivals looked up where the source did not know them); returns how many."""
    stores = {r.store for r in rows if not r.festival and r.cart is None and r.store}
    carts = {r.cart for r in rows if not r.festival and r.cart is not None}
    by_store: dict[str, str] = {}
    by_cart: dict[int, str] = {}
    if stores:
        by_store = {s: f for s, f in (await db.execute(
            select(Store.slug, Festival.slug).join(Festival, Festival.id == Store.festival_id)
            .where(Store.slug.in_(stores)))).all()}
    if carts:
        by_cart = {c: f for c, f in (await db.execute(
            select(Cart.id, Festival.slug).join(Festival, Festival.id == Cart.festival_id)
            .where(Cart.id.in_(carts)))).all()}
    merged = merge(rows, by_store, by_cart)
    if merged:
        await db.execute(insert(AnalyticsMinute), [
            {"minute": datetime.fromtimestamp(r.minute, UTC), "festival": r.festival, "store": r.store[:80],
             "kind": r.kind, "key": r.key[:128], "n": r.n, "shoppers": r.shoppers, "value": r.value}
            for r in merged])
    return len(merged)


async def prune(db: AsyncSession, now: datetime, retention_days: int) -> int:
    """Delete the minutes older than the retention; returns how many rows went."""
    result = await db.execute(delete(AnalyticsMinute).where(
        AnalyticsMinute.minute < now - timedelta(days=retention_days)))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class Stored:
    """Rows of one minute (or of the whole range when ``minute`` is 0) with the same store, kind and key, added
    over workers: ``n`` and ``value`` summed, ``shoppers`` summed (the display), ``most`` the largest single
    row's distinct count (the lower bound the privacy rule reads)."""

    minute: int
    store: str
    kind: str
    key: str
    n: int
    value: float
    shoppers: int
    most: int


async def read(db: AsyncSession, festival: str, since: datetime, until: datetime, *, kinds: Sequence[str],
               store: str | None = None, per_minute: bool = True) -> list[Stored]:
    """The festival's (or one store's) rows of ``kinds`` in [since, until), per minute or over the range."""
    t = AnalyticsMinute
    cols = [t.store, t.kind, t.key]
    group = [t.minute, *cols] if per_minute else cols
    query = (select(*group, func.sum(t.n), func.sum(t.value), func.sum(t.shoppers), func.max(t.shoppers))
             .where(t.minute >= since, t.minute < until, t.festival == festival, t.kind.in_(kinds))
             .group_by(*group))
    if store is not None:
        query = query.where(t.store == store)
    out = []
    for row in (await db.execute(query)).all():
        minute = int(row[0].timestamp()) if per_minute else 0
        s, kind, key, n, value, shoppers, most = tuple(row)[1:] if per_minute else tuple(row)
        out.append(Stored(minute, s, kind, key, int(n), float(value), int(shoppers), int(most)))
    return out
