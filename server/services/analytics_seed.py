"""Believable analytics history for the demo festival (``vrstore demo``): two days of counters shaped like a
sale day (quiet nights, an evening peak), so the dashboards have trends, a previous day to compare with and
heat maps from the first minute. The last two hours are per minute (the dashboard's minute charts); before
that one row stands for ten minutes, which keeps the seeding to a few ten thousand rows (about a second).
Seeded once per festival: a second run finds rows and adds none."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.analytics import CELL_CM, K_MIN, Row, minute_of
from server.persistence.tables import AnalyticsMinute
from server.services.analytics import write

DAYS = 2
FINE_MINUTES = 120


@dataclass(frozen=True)
class SeedStore:
    slug: str
    products: Sequence[tuple[str, int, float, float]]  # sku, price, x m, z m (where shoppers stand to look)
    popularity: float = 1.0


def _traffic(t: float) -> float:
    """Shoppers per minute at Seoul time of ``t``: a night trough and an evening peak (0.05 … 1)."""
    hour = ((t / 3600.0) + 9) % 24
    return 0.05 + 0.95 * math.exp(-((hour - 20.5) ** 2) / 18) + 0.4 * math.exp(-((hour - 13) ** 2) / 6)


def history(festival: str, stores: Sequence[SeedStore], now: float, *, seed: int = 7) -> list[Row]:
    rng = random.Random(seed)
    end = minute_of(now)
    steps = [(m, 10) for m in range(end - DAYS * 86400, end - FINE_MINUTES * 60, 600)]
    steps += [(m, 1) for m in range(end - FINE_MINUTES * 60, end, 60)]
    rows: list[Row] = []
    for minute, width in steps:
        paid = 0
        for store in stores:
            rate = 200 * store.popularity * _traffic(minute) * rng.uniform(0.8, 1.2)
            entries = round(rate * width)
            present = max(0, round(rate * 2.5))  # a visit lasts about 2.5 minutes
            shoppers = max(present, entries // width)
            if entries == 0:
                continue
            rows += [Row(minute, festival, store.slug, "enter", "", entries, shoppers),
                     Row(minute, festival, store.slug, "visit", "", present * 60 * width, present),
                     Row(minute, festival, store.slug, "dwell", "", entries, shoppers, entries * rng.uniform(120, 180))]
            orders = 0
            for i, (sku, price, x, z) in enumerate(store.products[:10]):
                appeal = 1.0 / (1 + i * 0.35)
                views = round(entries * 0.9 * appeal * rng.uniform(0.7, 1.3))
                adds = round(views * min(0.3, 0.08 * math.sqrt(20_000 / max(price, 1))) * rng.uniform(0.6, 1.2))
                # Each look or add of a row is a different shopper's, as in a real minute of a busy store.
                if views:
                    rows.append(Row(minute, festival, store.slug, "view", sku, views, views))
                if adds:
                    rows.append(Row(minute, festival, store.slug, "add", sku, adds, adds))
                    orders += round(adds * 0.5)
                if i < 6 and (width > 1 or rng.random() < 0.2):  # the floor: where shoppers stand to look
                    _cells(rows, minute, festival, store.slug, x, z, views * 40, max(K_MIN, present), rng)
            if width > 1 and minute % 1800 == 0:  # every half hour, the aisles: a thin spread over the shelves' area
                xs, zs = [p[2] for p in store.products], [p[3] for p in store.products]
                for _ in range(8):
                    _cells(rows, minute, festival, store.slug, rng.uniform(min(xs), max(xs)),
                           rng.uniform(min(zs), max(zs)), present * 90, max(K_MIN, present), rng)
            paid += orders
            if orders:
                revenue = sum(p[1] for p in store.products[:3]) / 3 * orders
                rows.append(Row(minute, festival, store.slug, "order", "KRW", orders, orders, round(revenue)))
        if paid:
            declined = paid // 12
            rows.append(Row(minute, festival, "", "checkout", "paid", paid, paid))
            if declined:
                rows.append(Row(minute, festival, "", "checkout", "declined", declined, declined))
    return rows


def _cells(rows: list[Row], minute: int, festival: str, store: str, x: float, z: float, seconds: int,
           shoppers: int, rng: random.Random) -> None:
    cx, cz = int(x * 100 // CELL_CM), int(z * 100 // CELL_CM)
    for dx, dz in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)):
        n = round(seconds * (0.5 if dx == dz == 0 else 0.125) * rng.uniform(0.7, 1.3))
        if n:
            rows.append(Row(minute, festival, store, "cell", f"{cx + dx},{cz + dz}", n, shoppers))


async def seed_history(db: AsyncSession, festival: str, stores: Sequence[SeedStore], now: float) -> int:
    """Write the history unless the festival already has analytics; returns the rows written."""
    if (await db.execute(select(func.count()).select_from(AnalyticsMinute)
                         .where(AnalyticsMinute.festival == festival))).scalar_one():
        return 0
    return await write(db, history(festival, stores, now))


def products_of(manifest: Mapping[str, object] | None,
                prices: Mapping[str, int]) -> list[tuple[str, int, float, float]]:
    """(sku, price, x, z) of the products placed in a store's scene manifest, in catalog order."""
    placed = manifest.get("products") if isinstance(manifest, Mapping) else None
    out = []
    if isinstance(placed, Mapping):
        for sku, price in prices.items():
            spot = placed.get(sku)
            if isinstance(spot, Mapping) and isinstance(spot.get("position"), list):
                pos = spot["position"]
                out.append((sku, price, float(pos[0]), float(pos[2])))
    return out
