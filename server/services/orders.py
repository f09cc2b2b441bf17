"""Orders after checkout: reading them, the merchant's state machine, and sales totals.

State machine (anything else is 409)::

    paid ──► ready_for_pickup ──► completed        (pickup orders)
    paid ──► shipped ─────────► completed          (delivery orders)
    paid | ready_for_pickup | shipped ──► cancelled (gives the stock back)

Only the shopper who placed an order reads it; only the store's merchant lists and moves its orders
(everyone else gets 404).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import carts as cs
from server.domain.errors import Conflict, Forbidden, NotFound
from server.domain.events import Event, OrderChanged
from server.domain.principal import Principal
from server.persistence.database import Database
from server.persistence.tables import Order, OrderLine, Product, Store, utcnow
from server.services import access
from server.services.checkout import fulfilment_from_json

TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    # status → fulfilment type → allowed next statuses
    "paid": {"pickup": frozenset({"ready_for_pickup", "cancelled"}), "delivery": frozenset({"shipped", "cancelled"})},
    "ready_for_pickup": {"pickup": frozenset({"completed", "cancelled"})},
    "shipped": {"delivery": frozenset({"completed", "cancelled"})},
}
COUNTED = ("paid", "ready_for_pickup", "shipped", "completed")  # cancelled orders are not sales


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
                        currency=o.currency, created_at=o.created_at) for o in orders]


def _order_query() -> Any:
    return select(Order.id, Order.group_id, Order.status, Order.fulfilment_json, Order.total, Order.currency,
                  Order.created_at, Order.session_id, Order.store_id, Store.slug, Store.merchant_id
                  ).join(Store, Store.id == Order.store_id)


async def get_order(database: Database, principal: Principal, order_id: int) -> cs.OrderOut:
    """An order, for the shopper session that placed it."""
    async with database.read() as db:
        row = (await db.execute(_order_query().where(Order.id == order_id))).one_or_none()
        if row is None or principal.role != "shopper" or row.session_id != principal.session_id:
            raise NotFound(f"no order {order_id}")
        return (await _orders_out(db, [row]))[0]


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
                           extra={"current_status": row.status})
        # Compare-and-set: of two concurrent cancels only one matches, so stock comes back once.
        conn = await db.connection()
        moved = (await conn.execute(update(Order).where(Order.id == order_id, Order.status == row.status)
                                    .values(status=new_status, updated_at=utcnow()))).rowcount
        if moved != 1:
            raise Conflict("the order changed meanwhile; read it again")
        if new_status == "cancelled":
            lines = (await db.execute(select(OrderLine.product_id, func.sum(OrderLine.quantity))
                                      .where(OrderLine.order_id == order_id).group_by(OrderLine.product_id)
                                      .order_by(OrderLine.product_id))).all()
            for product_id, quantity in lines:  # product-id order, like the checkout: no deadlock
                await conn.execute(update(Product).where(Product.id == product_id)
                                   .values(stock=Product.stock + quantity))
        updated = (await db.execute(_order_query().where(Order.id == order_id))).one()
        out = (await _orders_out(db, [updated]))[0]
    event = OrderChanged(order=out.id, group=out.group, store=out.store, store_id=row.store_id,
                         status=out.status, total=out.total, currency=out.currency)
    return out, [event]


async def sales_totals(db: AsyncSession, festival_id: int) -> dict[int, dict[str, int]]:
    """Per store of the festival: ``{store_id: {"orders": n, "revenue": minor units}}`` (cancelled excluded)."""
    rows = (await db.execute(
        select(Order.store_id, func.count(Order.id), func.coalesce(func.sum(Order.total), 0))
        .join(Store, Store.id == Order.store_id)
        .where(Store.festival_id == festival_id, Order.status.in_(COUNTED))
        .group_by(Order.store_id)
    )).all()
    return {store_id: {"orders": int(n), "revenue": int(revenue)} for store_id, n, revenue in rows}
