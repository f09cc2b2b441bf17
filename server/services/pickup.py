"""Pickup slots to offer: from each store's opening hours (services/shipping.py stores them), in the festival's time
zone, by the one slot rule of ``domain.pickup``. The checkout accepts only a slot these would list."""

from __future__ import annotations

from datetime import UTC, datetime

from server.contracts import fulfilment as fs
from server.domain.errors import NotFound
from server.domain.pickup import SLOT_MINUTES, OpeningHours, pickup_slots
from server.domain.principal import Principal
from server.persistence.database import Database
from server.services import access
from server.services.cart_view import load_head, load_lines
from server.services.carts import shopper_session
from server.services.shipping import festival_zone, load_terms, zone_of


def _slots(stores: list[str], hours: list[OpeningHours], zone: str, days: int) -> fs.PickupSlots:
    found = pickup_slots(hours, zone_of(zone), datetime.now(UTC), days)
    return fs.PickupSlots(stores=stores, time_zone=zone, slot_minutes=SLOT_MINUTES, slots=found)


async def store_slots(database: Database, principal: Principal | None, slug: str, days: int) -> fs.PickupSlots:
    """A store's pickup slots for the next ``days`` days (public for an approved store)."""
    async with database.read() as db:
        store = await access.visible_store(db, principal, slug)
        terms = await load_terms(db, [store.id])
        zone = await festival_zone(db, [store.id])
    return _slots([store.slug], [terms[store.id].hours], zone, days)


async def cart_slots(database: Database, principal: Principal, cart_id: int, days: int,
                     store: str | None = None) -> fs.PickupSlots:
    """The slots every store of the cart offers (or ``store`` alone, a pickup point among them), for its members."""
    session_id = shopper_session(principal)
    async with database.read() as db:
        head = await load_head(db, cart_id, session_id)
        lines = await load_lines(db, head.id)
        by_store = {line.store_slug: line.store_id for line in lines if store in (None, line.store_slug)}
        if store is not None and not by_store:
            raise NotFound(f"no store {store!r} in cart {cart_id}")
        terms = await load_terms(db, by_store.values())
        zone = await festival_zone(db, by_store.values())
    slugs = sorted(by_store)
    return _slots(slugs, [terms[by_store[s]].hours for s in slugs], zone, days)
