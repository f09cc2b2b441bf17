"""Festival analytics answers: overview, store funnel, products, heat map and zones, CSV export.

Every number broken down by time, store, product, cell or zone passes :func:`server.domain.analytics.shown`
(the k-anonymity rule) before it leaves here. Role scoping: festival answers are the organizer's; store answers
the store's merchant's or its festival's organizer's (``access.can_manage_store``), 404 for anyone else.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import analytics as an
from server.domain.analytics import BUCKET_LIMIT_S, CELL_CM, KINDS, bucket_start, bucket_starts, shown
from server.domain.errors import NotFound, Unprocessable
from server.domain.principal import Principal
from server.persistence.tables import Festival, Order, OrderLine, Store
from server.services import access
from server.services.analytics import Stored, read
from server.services.orders import COUNTED

TOP = 10
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


class Span:
    """A checked time range of a festival, cut into buckets of its time zone."""

    def __init__(self, festival: Festival, q: an.RangeQuery, now: datetime, shift: timedelta = timedelta()) -> None:
        for name, moment in (("since", q.since), ("until", q.until)):
            if moment is not None and not EARLIEST <= moment <= LATEST:
                raise Unprocessable(f"{name} must lie between 2000 and 2100",
                                    errors=[{"loc": ["query", name], "msg": "out of range"}])
        until = (q.until or now) - shift
        since = (q.since - shift) if q.since else until - timedelta(days=1)
        if since >= until:
            raise Unprocessable("since must be before until",
                                errors=[{"loc": ["query", "since"], "msg": "must be before until"}])
        if (until - since).total_seconds() > BUCKET_LIMIT_S[q.bucket]:
            days = BUCKET_LIMIT_S[q.bucket] // 86400
            raise Unprocessable(f"a range of {q.bucket} buckets may span at most {days} days",
                                errors=[{"loc": ["query", "bucket"], "msg": "range too long for this bucket"}])
        self.since, self.until, self.bucket = since.astimezone(UTC), until.astimezone(UTC), q.bucket
        self.tz = _zone(festival.timezone)
        self.starts = bucket_starts(int(self.since.timestamp()), int(self.until.timestamp()), q.bucket, self.tz)
        self.index = {b: i for i, b in enumerate(self.starts)}

    def slot(self, minute: int) -> int | None:
        return self.index.get(bucket_start(minute, self.bucket, self.tz))

    def moment(self, start: int) -> datetime:
        return datetime.fromtimestamp(start, self.tz)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


class _Sum:
    """Counts of one kind over some rows: n and value added, the privacy bound the largest row's."""

    __slots__ = ("most", "n", "value")

    def __init__(self) -> None:
        self.n, self.value, self.most = 0, 0.0, 0

    def add(self, r: Stored) -> None:
        self.n += r.n
        self.value += r.value
        self.most = max(self.most, r.most)

    def count(self) -> int | None:
        v = shown(self.n, self.most)
        return None if v is None else int(v)

    def total(self) -> int | None:
        v = shown(self.value, self.most)
        return None if v is None else round(v)


# ------------------------------------------------------------ scoping

async def festival_for(db: AsyncSession, principal: Principal, slug: str) -> Festival:
    return await access.organizer_festival(db, principal, slug)


async def store_for(db: AsyncSession, principal: Principal, slug: str) -> tuple[Store, Festival]:
    store = await access.store_by_slug(db, slug)
    if not access.can_manage_store(principal, store):
        raise NotFound(f"no store {slug!r}")
    festival = (await db.execute(select(Festival).where(Festival.id == store.festival_id))).scalar_one()
    return store, festival


# ------------------------------------------------------------ overview

_OVERVIEW_KINDS = ("enter", "visit", "dwell", "view", "add", "order", "checkout")


async def overview(db: AsyncSession, principal: Principal, slug: str, q: an.RangeQuery, *, now: datetime,
                   visitors: Mapping[str, int], queue: int) -> an.Overview:
    festival = await festival_for(db, principal, slug)
    span = Span(festival, q, now)
    rows = await read(db, festival.slug, span.since, span.until, kinds=_OVERVIEW_KINDS)
    slugs = set((await db.execute(select(Store.slug).where(Store.festival_id == festival.id))).scalars())
    width = len(span.starts)
    series: dict[str, list[_Sum]] = {k: [_Sum() for _ in range(width)] for k in ("enter", "view", "add", "order")}
    present: list[dict[int, int]] = [defaultdict(int) for _ in range(width)]  # per bucket: minute → shoppers
    present_most = [0] * width
    totals: dict[str, _Sum] = defaultdict(_Sum)
    checkouts: dict[str, _Sum] = defaultdict(_Sum)
    per_store: dict[str, dict[str, _Sum]] = defaultdict(lambda: defaultdict(_Sum))
    trend: dict[str, list[_Sum]] = defaultdict(lambda: [_Sum() for _ in range(width)])
    currency = "KRW"
    for r in rows:
        i = span.slot(r.minute)
        if i is None:
            continue
        if r.kind == "checkout":
            checkouts[r.key].add(r)
            continue
        if r.kind == "visit":
            present[i][r.minute] += r.shoppers
            present_most[i] = max(present_most[i], r.most)
            continue
        if r.kind in series:
            series[r.kind][i].add(r)
        totals[r.kind].add(r)
        per_store[r.store][r.kind].add(r)
        if r.kind == "enter":
            trend[r.store][i].add(r)
        if r.kind == "order":
            currency = r.key
    points = []
    for i, start in enumerate(span.starts):
        busiest = max(present[i].values(), default=0)
        points.append(an.Point(
            t=span.moment(start), visitors=None if shown(busiest, present_most[i]) is None else busiest,
            entries=series["enter"][i].count(), views=series["view"][i].count(), adds=series["add"][i].count(),
            orders=series["order"][i].count(), revenue=series["order"][i].total()))
    entries, orders = totals["enter"].count(), totals["order"].count()
    stores = _store_ranks(per_store, trend)
    products = await _products(db, festival.slug, None, span)
    return an.Overview(
        festival=festival.slug, timezone=festival.timezone, bucket=span.bucket, since=span.since, until=span.until,
        currency=currency,
        visitors_now=sum(v for s, v in visitors.items() if s in slugs or s == f"plaza:{festival.slug}"),
        queue=queue, entries=entries, orders=orders, revenue=totals["order"].total(),
        conversion=round(orders / entries, 4) if entries and orders is not None else None,
        checkouts={k: c for k, s in sorted(checkouts.items()) if (c := s.count()) is not None},
        series=points, top_stores=stores, top_products=sorted(products, key=lambda p: -p.views)[:TOP])


def _store_ranks(per_store: Mapping[str, Mapping[str, _Sum]], trend: Mapping[str, list[_Sum]]) -> list[an.StoreRank]:
    out = []
    for store, kinds in per_store.items():
        entries = kinds["enter"].count() if "enter" in kinds else None
        if not store or entries is None:  # a store fewer than K_MIN shoppers entered is not listed at all
            continue
        out.append(an.StoreRank(
            store=store, entries=entries, views=_or0(kinds, "view"), adds=_or0(kinds, "add"),
            orders=_or0(kinds, "order"), revenue=(kinds["order"].total() or 0) if "order" in kinds else 0,
            dwell_s=round(kinds["dwell"].value, 1) if "dwell" in kinds and kinds["dwell"].count() is not None else 0,
            trend=[s.count() for s in trend[store]]))
    return sorted(out, key=lambda s: (-s.entries, s.store))


def _or0(kinds: Mapping[str, _Sum], kind: str) -> int:
    return (kinds[kind].count() or 0) if kind in kinds else 0


# ------------------------------------------------------------ products

async def _products(db: AsyncSession, festival: str, store: str | None, span: Span) -> list[an.ProductRank]:
    rows = await read(db, festival, span.since, span.until, kinds=("view", "panel", "option", "add", "remove"),
                      store=store, per_minute=False)
    sums: dict[tuple[str, str], dict[str, _Sum]] = defaultdict(lambda: defaultdict(_Sum))
    for r in rows:
        sums[(r.store, r.key)][r.kind].add(Stored(0, r.store, r.kind, r.key, r.n, r.value, r.shoppers, r.most))
    sold = await _sold(db, store, span, [s for s, _ in sums])
    out = []
    for (s, sku), kinds in sums.items():
        views = kinds["view"].count() if "view" in kinds else None
        if views is None:  # looked at by fewer than K_MIN shoppers (or never): not shown
            continue
        adds, removes = _or0(kinds, "add"), _or0(kinds, "remove")
        out.append(an.ProductRank(store=s, sku=sku, views=views, panels=_or0(kinds, "panel"),
                                  options=_or0(kinds, "option"), adds=adds, removes=removes,
                                  sold=sold.get((s, sku), 0), conversion=round(adds / views, 4) if views else None))
    return out


async def _sold(db: AsyncSession, store: str | None, span: Span, stores: Iterable[str]) -> dict[tuple[str, str], int]:
    """Units in orders placed in the range (cancelled ones excluded), by store and sku."""
    wanted = {store} if store is not None else set(stores)
    if not wanted:
        return {}
    query = (select(Store.slug, OrderLine.sku, func.sum(OrderLine.quantity))
             .join(Order, Order.id == OrderLine.order_id).join(Store, Store.id == Order.store_id)
             .where(Store.slug.in_(wanted), Order.created_at >= span.since, Order.created_at < span.until,
                    Order.status.in_(COUNTED))
             .group_by(Store.slug, OrderLine.sku))
    return {(s, sku): int(n) for s, sku, n in (await db.execute(query)).all()}


async def products(db: AsyncSession, principal: Principal, slug: str, q: an.RangeQuery,
                   *, now: datetime) -> an.Products:
    store, festival = await store_for(db, principal, slug)
    span = Span(festival, q, now)
    ranked = await _products(db, festival.slug, store.slug, span)
    return an.Products(
        store=store.slug,
        by_views=sorted(ranked, key=lambda p: (-p.views, p.sku))[:TOP],
        by_conversion=sorted(ranked, key=lambda p: (-(p.conversion or 0.0), -p.views, p.sku))[:TOP],
        looked_not_bought=sorted((p for p in ranked if p.sold == 0), key=lambda p: (-p.views, p.sku))[:TOP])


# ------------------------------------------------------------ funnel

StageName = Literal["visits", "views", "adds", "orders"]
_STAGES: tuple[tuple[StageName, str], ...] = (("visits", "enter"), ("views", "view"), ("adds", "add"),
                                              ("orders", "order"))


async def _stages(db: AsyncSession, festival: str, store: str, span: Span) -> list[an.Stage]:
    rows = await read(db, festival, span.since, span.until, kinds=[k for _, k in _STAGES], store=store,
                      per_minute=False)
    sums: dict[str, _Sum] = defaultdict(_Sum)
    for r in rows:
        sums[r.kind].add(Stored(0, r.store, r.kind, r.key, r.n, r.value, r.shoppers, r.most))
    out: list[an.Stage] = []
    before: int | None = None
    for name, kind in _STAGES:
        count = sums[kind].count() if kind in sums else None
        rate = round(count / before, 4) if count is not None and before else None
        out.append(an.Stage(stage=name, count=count, rate=rate))
        before = count
    return out


async def funnel(db: AsyncSession, principal: Principal, slug: str, q: an.StoreRangeQuery,
                 *, now: datetime) -> an.Funnel:
    store, festival = await store_for(db, principal, slug)
    span = Span(festival, q, now)
    previous = await _stages(db, festival.slug, store.slug, Span(festival, q, now, timedelta(days=1))) \
        if q.compare else None
    return an.Funnel(store=store.slug, since=span.since, until=span.until,
                     stages=await _stages(db, festival.slug, store.slug, span), previous=previous)


# ------------------------------------------------------------ heat map and zones

async def heatmap(db: AsyncSession, principal: Principal, slug: str, q: an.RangeQuery, *, now: datetime,
                  manifest: Mapping[str, Any] | None) -> an.HeatMap:
    store, festival = await store_for(db, principal, slug)
    span = Span(festival, q, now)
    rows = await read(db, festival.slug, span.since, span.until, kinds=("cell",), store=store.slug,
                      per_minute=False)
    cells, hidden = [], 0
    for r in rows:
        x, _, z = r.key.partition(",")
        if shown(r.n, r.most) is None:
            hidden += 1
            continue
        cells.append(an.Cell(x=int(x), z=int(z), seconds=r.n))
    cells.sort(key=lambda c: (c.z, c.x))
    return an.HeatMap(store=store.slug, since=span.since, until=span.until, cell_m=CELL_CM / 100,
                      bounds=floor_bounds(manifest), cells=cells, zones=zone_dwell(cells, manifest),
                      suppressed=hidden)


def floor_bounds(manifest: Mapping[str, Any] | None) -> list[float] | None:
    try:
        lo, hi = manifest["bounds"]["min"], manifest["bounds"]["max"]  # type: ignore[index]
        return [float(lo[0]), float(lo[2]), float(hi[0]), float(hi[2])]
    except (TypeError, KeyError, IndexError, ValueError):
        return None


def zone_dwell(cells: list[an.Cell], manifest: Mapping[str, Any] | None) -> list[an.Zone]:
    """Seconds spent in each zone of the store's layout: the shown cells whose centre lies in the zone. Cells
    the privacy rule hid are left out of the sums, so a zone's seconds are never finer than its cells."""
    zones = manifest.get("zones") if isinstance(manifest, Mapping) else None
    if not isinstance(zones, list):
        return []
    cell = CELL_CM / 100
    total = sum(c.seconds for c in cells) or 0
    out = []
    for zone in zones:
        try:
            name = str(zone["name"])
            x0, z0, x1, z1 = (float(v) for v in zone["bounds"])
        except (TypeError, KeyError, ValueError):
            continue
        seconds = sum(c.seconds for c in cells
                      if x0 <= (c.x + 0.5) * cell < x1 and z0 <= (c.z + 0.5) * cell < z1)
        out.append(an.Zone(name=name, seconds=seconds if seconds else None,
                           share=round(seconds / total, 4) if total and seconds else None))
    return out


# ------------------------------------------------------------ CSV

async def export_csv(db: AsyncSession, principal: Principal, q: an.RangeQuery, *, now: datetime,
                     festival_slug: str | None = None, store_slug: str | None = None) -> str:
    """Rows per bucket, store, kind and key, the hidden ones left out (the festival's or one store's)."""
    if store_slug is not None:
        found, festival = await store_for(db, principal, store_slug)
        only: str | None = found.slug
    else:
        festival, only = await festival_for(db, principal, festival_slug or ""), None
    span = Span(festival, q, now)
    rows = await read(db, festival.slug, span.since, span.until, kinds=KINDS, store=only)
    sums: dict[tuple[int, str, str, str], _Sum] = defaultdict(_Sum)
    for r in rows:
        if (i := span.slot(r.minute)) is not None:
            sums[(i, r.store, r.kind, r.key)].add(r)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["bucket_start", "store", "kind", "key", "count", "value"])
    for (i, store, kind, key), s in sorted(sums.items()):
        if (n := s.count()) is not None:
            shown_key = key if kind == "cell" else _safe_cell(key)
            w.writerow([span.moment(span.starts[i]).isoformat(), store, kind, shown_key, n, round(s.value, 2)])
    return out.getvalue()


def _safe_cell(text: str) -> str:
    """A sku that starts like a formula must not run in a spreadsheet (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
