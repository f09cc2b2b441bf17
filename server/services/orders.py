"""Orders after checkout: reading them (an order, an order group, a session's history, a store's list and its CSV),
the merchant's state machine, the buyer's cancellation, and sales totals.

State machine (anything else is 409)::

    paid ──► ready_for_pickup ──► completed                  (pickup orders)
    paid ──► shipped ──► delivered ──► completed             (delivery orders; shipped ──► completed too)
    paid | ready_for_pickup | shipped ──► cancelled          (gives the stock back, in the same transaction)
    cancelled ──► refunded                                   (the payment sweep or the handler, once the provider
                                                               refunded it: services/payments.py)

The buyer may cancel an order of theirs while it is ``paid`` (before the store started fulfilling it). Only the
shopper who placed an order reads it; an order group is read by the members of the cart it came from (they see
"paid by 민지"); only the store's merchant lists and moves its orders (everyone else gets 404).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import carts as cs
from server.contracts.foundation import Names
from server.domain.errors import Conflict, Forbidden, NotFound
from server.domain.events import Event, OrderChanged
from server.domain.principal import Principal
from server.persistence.database import Database
from server.persistence.tables import (
    Cart,
    CartMember,
    Festival,
    Order,
    OrderGroup,
    OrderLine,
    Product,
    ShopperSession,
    Store,
    utcnow,
)
from server.services import access
from server.services.checkout import fulfilment_from_json
from server.services.payments import payment_of_group
from server.services.shipping import zone_of

TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    # status → fulfilment type → allowed next statuses
    "paid": {"pickup": frozenset({"ready_for_pickup", "cancelled"}), "delivery": frozenset({"shipped", "cancelled"})},
    "ready_for_pickup": {"pickup": frozenset({"completed", "cancelled"})},
    "shipped": {"delivery": frozenset({"delivered", "completed", "cancelled"})},
    "delivered": {"delivery": frozenset({"completed"})},
}
BUYER_CANCELS_FROM = frozenset({"paid"})  # before the store started on it
COUNTED = ("paid", "ready_for_pickup", "shipped", "delivered", "completed")  # cancelled/refunded are not sales


async def _orders_out(db: AsyncSession, orders: list[Any]) -> list[cs.OrderOut]:
    """Orders with their lines: two queries however many orders (no N+1)."""
    if not orders:
        return []
    ids = [o.id for o in orders]
    lines: dict[int, list[cs.OrderLineOut]] = {i: [] for i in ids}
    for order_id, sku, name, qty, unit, total in (await db.execute(
        select(OrderLine.order_id, OrderLine.sku, OrderLine.name, OrderLine.quantity, OrderLine.unit_price,
               OrderLine.line_total).where(OrderLine.order_id.in_(ids)).order_by(OrderLine.id)
    )).all():
        lines[order_id].append(cs.OrderLineOut(sku=sku, name=name, quantity=qty, unit_price=unit, line_total=total))
    return [cs.OrderOut(id=o.id, group=o.group_id, store=o.slug, status=o.status,
                        fulfilment=fulfilment_from_json(o.fulfilment_json), lines=lines[o.id], total=o.total,
                        currency=o.currency, created_at=o.created_at, shipping_fee=o.shipping_fee,
                        store_name=Names(ko=o.name_ko, en=o.name_en), buyer=o.buyer, updated_at=o.updated_at)
            for o in orders]


def _order_query() -> Any:
    return select(Order.id, Order.group_id, Order.status, Order.fulfilment_json, Order.total, Order.currency,
                  Order.created_at, Order.updated_at, Order.session_id, Order.store_id, Order.shipping_fee,
                  Store.slug, Store.merchant_id, Store.name_ko, Store.name_en,
                  ShopperSession.display_name.label("buyer")
                  ).join(Store, Store.id == Order.store_id).join(ShopperSession, ShopperSession.id == Order.session_id)


async def get_order(database: Database, principal: Principal, order_id: int) -> cs.OrderOut:
    """An order, for the shopper session that placed it."""
    async with database.read() as db:
        row = (await db.execute(_order_query().where(Order.id == order_id))).one_or_none()
        if row is None or principal.role != "shopper" or row.session_id != principal.session_id:
            raise NotFound(f"no order {order_id}")
        return (await _orders_out(db, [row]))[0]


# --- order groups: the confirmation page and the session's history ----------------------------------------------


def _group_query() -> Any:
    return select(OrderGroup.id, OrderGroup.cart_id, OrderGroup.session_id, OrderGroup.total, OrderGroup.currency,
                  OrderGroup.payment_provider, OrderGroup.payment_reference, OrderGroup.payment_method,
                  OrderGroup.fulfilment_json, OrderGroup.created_at, OrderGroup.shipping_total,
                  ShopperSession.display_name, Cart.successor_id, Festival.timezone
                  ).join(ShopperSession, ShopperSession.id == OrderGroup.session_id
                         ).join(Cart, Cart.id == OrderGroup.cart_id
                                ).outerjoin(Festival, Festival.id == Cart.festival_id)


def _member_of(session_id: int) -> Any:
    """Order groups whose cart the session was a member of (the buyer always is)."""
    return or_(OrderGroup.session_id == session_id, OrderGroup.cart_id.in_(
        select(CartMember.cart_id).where(CartMember.session_id == session_id)))


async def _groups_out(db: AsyncSession, rows: list[Any]) -> list[cs.OrderGroupOut]:
    """Groups with their orders (current statuses), payments and the carts that followed: a fixed number of queries."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    orders = await _orders_out(db, list((await db.execute(
        _order_query().where(Order.group_id.in_(ids)).order_by(Order.id))).all()))
    paid = await payment_of_group(db, ids)
    successors = {r.successor_id for r in rows if r.successor_id is not None}
    codes = dict((await db.execute(select(Cart.id, Cart.share_code).where(Cart.id.in_(successors)))).all()
                 ) if successors else {}
    out = []
    for r in rows:
        method, status = paid.get(r.id, (r.payment_method, "captured"))
        out.append(cs.OrderGroupOut(
            id=r.id, cart=r.cart_id, status="paid", orders=[o for o in orders if o.group == r.id], total=r.total,
            currency=r.currency, fulfilment=fulfilment_from_json(r.fulfilment_json), created_at=r.created_at,
            payment=cs.PaymentOut(provider=r.payment_provider, reference=r.payment_reference, method=method,
                                  status=status),
            shipping_total=r.shipping_total, buyer=cs.Person(session=r.session_id, name=r.display_name),
            next_cart=cs.NextCart(id=r.successor_id, share_code=codes[r.successor_id])
            if r.successor_id in codes else None, time_zone=r.timezone))
    return out


async def get_group(database: Database, principal: Principal, group_id: int) -> cs.OrderGroupOut:
    """An order group as it is now, for any member of the cart it came from (others 404)."""
    if principal.role != "shopper" or principal.session_id is None:
        raise NotFound(f"no order group {group_id}")
    async with database.read() as db:
        row = (await db.execute(_group_query().where(OrderGroup.id == group_id, _member_of(principal.session_id))
                                )).one_or_none()
        if row is None:
            raise NotFound(f"no order group {group_id}")
        return (await _groups_out(db, [row]))[0]


async def group_updated(database: Database, group_id: int) -> datetime | None:
    """When any order of the group last changed (what a live page compares to notice another worker's change)."""
    async with database.read() as db:
        value = (await db.execute(select(func.max(Order.updated_at)).where(Order.group_id == group_id))).scalar()
        return value if isinstance(value, datetime) else None


async def history(database: Database, principal: Principal, query: cs.OrderListQuery) -> cs.OrderGroupList:
    """The session's order groups (paid by it or by a member of its carts), newest first; ``before`` pages."""
    if principal.role != "shopper" or principal.session_id is None:
        raise Forbidden("order history belongs to shopper sessions")
    async with database.read() as db:
        q = _group_query().where(_member_of(principal.session_id))
        if query.before is not None:
            q = q.where(OrderGroup.id < query.before)
        rows = list((await db.execute(q.order_by(OrderGroup.id.desc()).limit(query.limit + 1))).all())
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        return cs.OrderGroupList(groups=await _groups_out(db, rows), next_before=rows[-1].id if more else None)


# --- the merchant's side --------------------------------------------------------------------------------------


async def store_orders(database: Database, principal: Principal, store_slug: str,
                       query: cs.OrderListQuery) -> cs.OrderList:
    """The store's orders, newest first, for its merchant; ``before`` pages by order id."""
    async with database.read() as db:
        store = await access.merchant_store(db, principal, store_slug)
        q = _order_query().where(Order.store_id == store.id)
        if query.before is not None:
            q = q.where(Order.id < query.before)
        rows = list((await db.execute(q.order_by(Order.id.desc()).limit(query.limit + 1))).all())
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        return cs.OrderList(orders=await _orders_out(db, rows), next_before=rows[-1].id if more else None)


CSV_COLUMNS = ("order", "placed_at", "status", "buyer", "recipient", "phone", "fulfilment", "address_or_slot",
               "postal_code", "items", "shipping_fee", "total", "currency", "payment_method")


def _csv_row(o: cs.OrderOut, method: str, zone: ZoneInfo) -> list[str]:
    f = o.fulfilment
    if isinstance(f, cs.Delivery):
        a = f.address
        who, phone = a.name, a.phone
        where, postal = " ".join(p for p in (a.line1, a.line2 or "", a.city) if p), a.postal_code
    else:
        who, phone = (f.contact.name, f.contact.phone) if f.contact else (o.buyer, "")
        where, postal = f.slot.astimezone(zone).isoformat(timespec="minutes") + (f" @ {f.store}" if f.store else ""), ""
    items = "; ".join(f"{ln.name} ({ln.sku}) x{ln.quantity}" for ln in o.lines)
    return [str(o.id), o.created_at.astimezone(zone).isoformat(timespec="seconds"), o.status, o.buyer, who, phone,
            f.type, where, postal, items, str(o.shipping_fee), str(o.total), o.currency, method]


def _cell(value: str) -> str:
    # A cell that starts like a formula would run as one in a spreadsheet (CSV injection): make it text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def store_orders_csv(database: Database, principal: Principal, store_slug: str) -> bytes:
    """Every order of the store as CSV (UTF-8 with a BOM, so spreadsheet programs read the Korean), times in the
    festival's zone: what the merchant needs to fulfil them."""
    async with database.read() as db:
        store = await access.merchant_store(db, principal, store_slug)
        zone = zone_of((await db.execute(select(Festival.timezone).where(Festival.id == store.festival_id))
                        ).scalar_one_or_none())
        rows = list((await db.execute(_order_query().where(Order.store_id == store.id).order_by(Order.id))).all())
        orders = await _orders_out(db, rows)
        methods = await payment_of_group(db, sorted({o.group for o in orders}))
        fallback = dict((await db.execute(select(OrderGroup.id, OrderGroup.payment_method).where(
            OrderGroup.id.in_(sorted({o.group for o in orders}))))).all()) if orders else {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for o in orders:
        method = methods.get(o.group, (fallback.get(o.group, ""), ""))[0]
        writer.writerow([_cell(v) for v in _csv_row(o, method, zone)])
    return "\ufeff".encode() + buffer.getvalue().encode()


# --- moving an order --------------------------------------------------------------------------------------------


async def _move(db: AsyncSession, row: Any, new_status: str) -> cs.OrderOut:
    """Compare-and-set the status; a cancellation gives the stock back in the same transaction."""
    conn = await db.connection()
    moved = (await conn.execute(update(Order).where(Order.id == row.id, Order.status == row.status)
                                .values(status=new_status, updated_at=utcnow()))).rowcount
    if moved != 1:  # of two concurrent cancels only one matches, so stock comes back once
        raise Conflict("the order changed meanwhile; read it again", extra={"reason": "order_changed"})
    if new_status == "cancelled":
        lines = (await db.execute(select(OrderLine.product_id, func.sum(OrderLine.quantity))
                                  .where(OrderLine.order_id == row.id).group_by(OrderLine.product_id)
                                  .order_by(OrderLine.product_id))).all()
        for product_id, quantity in lines:  # product-id order, like the checkout: no deadlock
            await conn.execute(update(Product).where(Product.id == product_id).values(stock=Product.stock + quantity))
    updated = (await db.execute(_order_query().where(Order.id == row.id))).one()
    return (await _orders_out(db, [updated]))[0]


def _event(out: cs.OrderOut, store_id: int) -> OrderChanged:
    return OrderChanged(order=out.id, group=out.group, store=out.store, store_id=store_id, status=out.status,
                        total=out.total, currency=out.currency)


async def set_status(database: Database, principal: Principal, order_id: int,
                     new_status: str) -> tuple[cs.OrderOut, list[Event]]:
    """Move an order along the state machine (its store's merchant only); cancelling restocks."""
    if principal.role != "merchant":
        raise Forbidden("only the store's merchant changes an order's status")
    async with database.write() as db:
        row = (await db.execute(_order_query().where(Order.id == order_id))).one_or_none()
        if row is None or row.merchant_id != principal.merchant_id:
            raise NotFound(f"no order {order_id}")
        kind = fulfilment_from_json(row.fulfilment_json).type
        if new_status not in TRANSITIONS.get(row.status, {}).get(kind, frozenset()):
            raise Conflict(f"a {kind} order cannot go from {row.status} to {new_status}",
                           extra={"current_status": row.status, "reason": "order_state"})
        out = await _move(db, row, new_status)
    return out, [_event(out, row.store_id)]


async def cancel_by_buyer(database: Database, principal: Principal, order_id: int
                          ) -> tuple[cs.OrderOut, list[Event]]:
    """The buyer cancels an order the store has not started on: the stock comes back in the same transaction (the
    refund follows once the provider made it)."""
    async with database.write() as db:
        row = (await db.execute(_order_query().where(Order.id == order_id))).one_or_none()
        if row is None or principal.role != "shopper" or row.session_id != principal.session_id:
            raise NotFound(f"no order {order_id}")
        if row.status not in BUYER_CANCELS_FROM:
            raise Conflict(f"the store has already started on this order ({row.status}): ask the store to cancel it",
                           extra={"current_status": row.status, "reason": "order_started"})
        out = await _move(db, row, "cancelled")
    return out, [_event(out, row.store_id)]


async def sales_totals(db: AsyncSession, festival_id: int) -> dict[int, dict[str, int]]:
    """Per store of the festival: ``{store_id: {"orders": n, "revenue": minor units}}`` (cancelled excluded)."""
    rows = (await db.execute(
        select(Order.store_id, func.count(Order.id), func.coalesce(func.sum(Order.total), 0))
        .join(Store, Store.id == Order.store_id)
        .where(Store.festival_id == festival_id, Order.status.in_(COUNTED))
        .group_by(Order.store_id)
    )).all()
    return {store_id: {"orders": int(n), "revenue": int(revenue)} for store_id, n, revenue in rows}
