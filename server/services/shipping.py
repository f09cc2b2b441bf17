"""A store's fulfilment terms: its shipping fees and its opening hours, as its merchant sets them.

The fee rule itself lives in ``pricing.shipping`` (the one place for prices); the slots the hours give live in
``domain.pickup``. This module stores the terms, checks them when the merchant sends them, and reads them for the
cart, the quote and the checkout. A store without a row ships free and offers no pickup.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import fulfilment as fs
from server.domain.errors import Unprocessable
from server.domain.pickup import WEEKDAYS, OpeningHours, parse_hours
from server.domain.principal import Principal
from server.persistence.database import Database
from server.persistence.tables import Festival, Store, StoreFulfilment, utcnow
from server.services import access
from server.services.pricing import RemoteArea, ShippingRule

DEFAULT_ZONE = "Asia/Seoul"


@dataclass(frozen=True)
class StoreTerms:
    rule: ShippingRule = field(default_factory=ShippingRule)
    hours: OpeningHours = field(default_factory=OpeningHours)


NO_TERMS = StoreTerms()


def _terms(flat_fee: int, free_over: int | None, remote_json: str, hours_json: str) -> StoreTerms:
    remote = tuple(RemoteArea(int(a["first"]), int(a["last"]), int(a["surcharge"])) for a in json.loads(remote_json))
    return StoreTerms(ShippingRule(flat_fee, free_over, remote), parse_hours(json.loads(hours_json)))


def _query(store_ids: Iterable[int]) -> Any:
    return select(StoreFulfilment.store_id, StoreFulfilment.shipping_flat_fee, StoreFulfilment.shipping_free_over,
                  StoreFulfilment.remote_areas_json, StoreFulfilment.opening_hours_json
                  ).where(StoreFulfilment.store_id.in_(sorted(set(store_ids))))


def load_terms_sync(conn: Connection, store_ids: Iterable[int]) -> dict[int, StoreTerms]:
    """Every listed store's terms (NO_TERMS for a store that set none), in the caller's transaction."""
    ids = set(store_ids)
    found = {sid: _terms(*rest) for sid, *rest in conn.execute(_query(ids)).all()}
    return {sid: found.get(sid, NO_TERMS) for sid in ids}


async def load_terms(db: AsyncSession, store_ids: Iterable[int]) -> dict[int, StoreTerms]:
    ids = list(store_ids)
    return await db.run_sync(lambda s: load_terms_sync(s.connection(), ids))


def zone_of(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or DEFAULT_ZONE)


def _out(slug: str, terms: StoreTerms, zone: str) -> fs.StoreFulfilmentOut:
    rule, hours = terms.rule, terms.hours.as_json()
    return fs.StoreFulfilmentOut(
        store=slug, time_zone=zone, pickup=terms.hours.any_open,
        shipping=fs.Shipping(flat_fee=rule.flat_fee, free_over=rule.free_over, remote_areas=[
            fs.RemoteArea(first=f"{a.first:05d}", last=f"{a.last:05d}", surcharge=a.surcharge) for a in rule.remote]),
        opening_hours=fs.OpeningHours(**{day: [fs.Interval(opens=a, closes=b) for a, b in hours.get(day, [])]
                                         for day in WEEKDAYS}))


async def _zone_name(db: AsyncSession, festival_id: int) -> str:
    return (await db.execute(select(Festival.timezone).where(Festival.id == festival_id))).scalar_one() or DEFAULT_ZONE


async def get_store_fulfilment(database: Database, principal: Principal | None, slug: str) -> fs.StoreFulfilmentOut:
    """Public for an approved store (shoppers see the fees and hours), else for its managers."""
    async with database.read() as db:
        store = await access.visible_store(db, principal, slug)
        terms = (await load_terms(db, [store.id]))[store.id]
        return _out(store.slug, terms, await _zone_name(db, store.festival_id))


def _checked(body: fs.StoreFulfilmentIn) -> tuple[list[dict[str, Any]], dict[str, list[list[str]]]]:
    """The areas and hours as stored, or 422 naming the field: what a schema cannot say about them."""
    areas = []
    for n, area in enumerate(body.shipping.remote_areas):
        if area.first > area.last:
            raise Unprocessable("a remote area's range ends before it starts", errors=[
                {"loc": ["body", "shipping", "remote_areas", n, "last"], "msg": f"{area.last} is below {area.first}"}])
        areas.append({"first": int(area.first), "last": int(area.last), "surcharge": area.surcharge})
    hours = {day: [[i.opens, i.closes] for i in getattr(body.opening_hours, day)] for day in WEEKDAYS}
    for day in WEEKDAYS:
        try:
            parse_hours({day: hours[day]})
        except ValueError as exc:
            raise Unprocessable(f"opening hours: {exc}", errors=[
                {"loc": ["body", "opening_hours", day], "msg": str(exc)}]) from None
    return areas, {day: intervals for day, intervals in hours.items() if intervals}


async def put_store_fulfilment(database: Database, principal: Principal, slug: str,
                               body: fs.StoreFulfilmentIn) -> fs.StoreFulfilmentOut:
    """Replace the store's terms (its merchant only). Orders already placed keep the fees they were charged."""
    areas, hours = _checked(body)
    async with database.write() as db:
        store = await access.merchant_store(db, principal, slug)
        row = await db.get(StoreFulfilment, store.id)
        values = {"shipping_flat_fee": body.shipping.flat_fee, "shipping_free_over": body.shipping.free_over,
                  "remote_areas_json": json.dumps(areas), "opening_hours_json": json.dumps(hours),
                  "updated_at": utcnow()}
        if row is None:
            db.add(StoreFulfilment(store_id=store.id, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
        await db.flush()
        terms = _terms(body.shipping.flat_fee, body.shipping.free_over, json.dumps(areas), json.dumps(hours))
        return _out(store.slug, terms, await _zone_name(db, store.festival_id))


async def festival_zone(db: AsyncSession, store_ids: Iterable[int]) -> str:
    """The time zone the stores' hours are read in: their festival's (a cart holds one festival's stores)."""
    ids = sorted(set(store_ids))
    if not ids:
        return DEFAULT_ZONE
    name = (await db.execute(select(Festival.timezone).join(Store, Store.festival_id == Festival.id)
                             .where(Store.id == ids[0]))).scalar_one_or_none()
    return name or DEFAULT_ZONE
