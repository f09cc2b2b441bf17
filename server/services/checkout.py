"""Checkout: one cart, many stores, one payment, one order per store; no oversell, idempotent.

Everything happens in ONE write transaction (``BEGIN IMMEDIATE`` on SQLite, the same code on PostgreSQL):

1. freeze the cart (``open → checked_out``; on PostgreSQL this row lock also waits out concurrent edits);
2. read the lines (ordered by product id) and price them now with ``pricing.quote``; if the caller sent
   ``expected_total`` / ``expected_prices`` and any differs → 409 ``price-changed`` (nothing charged);
3. take stock with ``UPDATE … SET stock = stock - q WHERE id = … AND stock >= q``, in product-id order so
   two checkouts never deadlock; any short line → 409 ``out-of-stock`` listing every short SKU;
4. charge through the payment provider (the test provider is instant); a decline → 402 and the rollback
   gives the stock back and leaves the cart open;
5. write the order group, one order per store with its lines, and the idempotency key's response; commit.

Trade-off of charging inside the transaction: with a remote provider the write lock would be held for a
network round trip, and a crash between charge and commit would charge without an order. A real provider
should therefore authorise here (with the idempotency reference) and capture after the commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, insert, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.api import cart_schemas as cs
from server.api.problems import problem_json, problem_response
from server.auth import Principal
from server.db.tables import Cart, CartMember, Order, OrderGroup, OrderLine, Product, utcnow
from server.errors import Conflict, ServiceError, Unprocessable
from server.events import Event
from server.services import idempotency
from server.services.cart_view import LineRow, load_head_sync, load_lines_sync, load_members_sync, unit_price
from server.services.carts import shopper_session
from server.services.payments import PaymentDeclined, provider
from server.services.pricing import FestivalPricing, load_pricing_sync
from server.services.sync_tx import run_on_connection, sync_transaction


class OutOfStock(Conflict):
    slug, title = "out-of-stock", "Out of stock"


class PriceChanged(Conflict):
    slug, title = "price-changed", "Price changed"


_OUTCOMES: dict[str, str] = {"out-of-stock": "out_of_stock", "payment-declined": "declined",
                             "price-changed": "price_changed"}


@dataclass
class CheckoutResult:
    """What to answer (exactly these bytes), which metric outcome it is, and events to publish."""

    status: int
    body: bytes
    outcome: str
    replayed: bool = False
    events: list[Event] = field(default_factory=list)


async def checkout(sessionmaker: async_sessionmaker[Any], principal: Principal, cart_id: int, key: str | None,
                   body: cs.CheckoutIn, instance: str) -> CheckoutResult:
    """Run (or replay) a checkout under an idempotency key; any member of the cart may check out."""
    session_id = shopper_session(principal)
    key = idempotency.check_key(key)
    fingerprint = idempotency.request_hash("checkout", str(cart_id), body.model_dump_json())
    pay = provider(body.payment.provider)
    if getattr(pay, "immediate", False):
        # The whole checkout in one database call: on SQLite the writer queue is held only while the work
        # runs, never across event-loop turns (see _checkout_in_one_call).
        done = await run_on_connection(sessionmaker, _checkout_in_one_call, pay, session_id, cart_id, key,
                                       fingerprint, body, instance)
        return _result(done, cart_id, session_id)
    held = await idempotency.claim(sessionmaker, session_id, key, fingerprint)
    if isinstance(held, idempotency.Stored):
        return CheckoutResult(held.status, held.body, "replayed", replayed=True)
    try:
        body_bytes, events = await _place(sessionmaker, held, session_id, cart_id, key, body)
    except ServiceError as exc:
        if exc.status >= 500:
            await idempotency.release(sessionmaker, held)
            raise
        problem = problem_response(exc.status, exc.slug, exc.title, exc.detail, instance=instance,
                                   errors=exc.errors, extra=exc.extra)
        assert isinstance(problem.body, bytes)
        await idempotency.complete_alone(sessionmaker, held, exc.status, problem.body)
        return CheckoutResult(exc.status, problem.body, _OUTCOMES.get(exc.slug, "rejected"))
    except BaseException:
        await idempotency.release(sessionmaker, held)
        raise
    return CheckoutResult(201, body_bytes, "paid", events=events)


@dataclass
class _Done:
    status: int
    body: bytes
    outcome: str
    replayed: bool = False
    staged: _Staged | None = None
    members: list[tuple[int, str]] = field(default_factory=list)


def _checkout_in_one_call(conn: Connection, pay: Any, session_id: int, cart_id: int, key: str, fingerprint: str,
                          body: cs.CheckoutIn, instance: str) -> _Done:
    """Claim the key (own transaction), then stage, charge and record (one transaction), or store the
    refusal under the key. Runs synchronously: in the SQLite writer thread, or via run_sync on PostgreSQL."""
    with conn.begin():
        held = idempotency.claim_sync(conn, session_id, key, fingerprint)
    if isinstance(held, idempotency.Stored):
        return _Done(held.status, held.body, "replayed", replayed=True)
    try:
        with conn.begin():
            staged = _stage(conn, cart_id, session_id, body)
            reference = "vrs_" + idempotency.request_hash(str(session_id), key)[:28]
            result = pay.charge_now(staged.total, staged.currency, body.payment.token, reference)
            if not result.approved:
                raise PaymentDeclined(f"the payment was declined ({result.decline_code}); nothing was charged",
                                      extra={"decline_code": result.decline_code})
            body_bytes, members = _record(conn, staged, held, cart_id, session_id, body, pay.name, result.charge_id)
        return _Done(201, body_bytes, "paid", staged=staged, members=members)
    except ServiceError as exc:
        if exc.status >= 500:
            with conn.begin():
                idempotency.release_sync(conn, held)
            raise
        problem = problem_json(exc.status, exc.slug, exc.title, exc.detail, instance=instance, errors=exc.errors,
                               extra=exc.extra)
        with conn.begin():
            idempotency.complete_sync(conn, held, exc.status, problem)
        return _Done(exc.status, problem, _OUTCOMES.get(exc.slug, "rejected"))
    except BaseException:
        with conn.begin():
            idempotency.release_sync(conn, held)
        raise


def _result(done: _Done, cart_id: int, session_id: int) -> CheckoutResult:
    if done.staged is None:
        return CheckoutResult(done.status, done.body, done.outcome, replayed=done.replayed)
    return CheckoutResult(done.status, done.body, done.outcome,
                          events=_events(done.body, done.staged, done.members, cart_id, session_id))


def _events(body_bytes: bytes, staged: _Staged, members: list[tuple[int, str]], cart_id: int,
            session_id: int) -> list[Event]:
    """``cart`` (checked out) to every member and ``order`` per store, published after the commit."""
    group = cs.OrderGroupOut.model_validate_json(body_bytes)
    names = dict(members)
    events = [Event("cart", {"cart": cart_id, "version": staged.version,
                             "change": {"type": "checked_out", "order_group": group.id},
                             "by": {"session": session_id, "name": names.get(session_id, "")}},
                    cart_id=cart_id, session_ids=tuple(sid for sid, _ in members))]
    store_ids = {line.store_slug: line.store_id for line in staged.lines}
    events += [Event("order", {"order": o.id, "group": group.id, "store": o.store, "status": o.status,
                               "total": o.total, "currency": o.currency}, store_id=store_ids[o.store])
               for o in group.orders]
    return events


def _freeze(conn: Connection, cart_id: int, session_id: int) -> tuple[int, int | None, str | None]:
    """open → checked_out for a member, in one statement; also the row lock that orders us after edits."""
    is_member = exists().where(and_(CartMember.cart_id == Cart.id, CartMember.session_id == session_id))
    row = conn.execute(
        update(Cart).where(Cart.id == cart_id, Cart.status == "open", is_member)
        .values(status="checked_out", version=Cart.version + 1, updated_at=utcnow())
        .returning(Cart.version, Cart.festival_id, Cart.currency)
    ).one_or_none()
    if row is None:
        head = load_head_sync(conn, cart_id, session_id)  # 404 for a non-member
        raise Conflict(f"cart {cart_id} is already checked out", extra={"current_version": head.version})
    return row[0], row[1], row[2]


def _check_prices(lines: list[LineRow], units: dict[int, int], body: cs.CheckoutIn) -> None:
    total = sum(units[line.id] * line.quantity for line in lines)
    shown = {p.line: p.unit_price for p in body.expected_prices}
    by_id = {line.id: line for line in lines}
    changed = [{"line": lid, "store": by_id[lid].store_slug, "sku": by_id[lid].sku, "old_unit_price": old,
                "new_unit_price": units[lid]} for lid, old in shown.items() if lid in by_id and units[lid] != old]
    unknown = sorted(set(shown) - set(by_id))
    if unknown:
        raise Unprocessable("expected_prices names lines that are not in the cart",
                            errors=[{"loc": ["body", "expected_prices"], "msg": f"unknown lines {unknown}"}])
    if changed or (body.expected_total is not None and body.expected_total != total):
        raise PriceChanged("prices changed since they were shown; nothing was charged — confirm the new prices",
                           extra={"lines": changed, "expected_total": body.expected_total, "total": total})


def _take_stock(conn: Connection, lines: list[LineRow]) -> None:
    """All lines or none: every short line is reported, and raising rolls back the ones already taken."""
    short: list[dict[str, Any]] = []
    for line in lines:  # ordered by product id: a fixed lock order, so concurrent checkouts cannot deadlock
        taken = 0
        if line.active and line.store_status == "approved":
            taken = conn.execute(
                update(Product).where(Product.id == line.product_id, Product.stock >= line.quantity)
                .values(stock=Product.stock - line.quantity)
            ).rowcount
        if taken != 1:
            available = conn.execute(select(Product.stock).where(Product.id == line.product_id)).scalar_one()
            if not (line.active and line.store_status == "approved"):
                available = 0
            short.append({"store": line.store_slug, "sku": line.sku, "requested": line.quantity,
                          "available": max(available, 0)})
    if short:
        names = ", ".join(f"{s['sku']} ({s['available']} left)" for s in short)
        raise OutOfStock(f"not enough stock: {names}; nothing was taken", extra={"short": short})


@dataclass
class _Staged:
    """What the first phase decided: the cart is frozen and the stock is taken (not yet committed)."""

    version: int
    currency: str
    lines: list[LineRow]
    units: dict[int, int]
    total: int
    now: datetime


def _stage(conn: Connection, cart_id: int, session_id: int, body: cs.CheckoutIn) -> _Staged:
    """Phase 1, synchronous: freeze the cart, price every line now, check shown prices, take the stock."""
    version, festival_id, currency = _freeze(conn, cart_id, session_id)
    lines = load_lines_sync(conn, cart_id, by_product=True)
    if not lines or currency is None:
        raise Unprocessable("the cart is empty", errors=[{"loc": ["body"], "msg": "nothing to check out"}])
    stores = {line.store_slug for line in lines}
    if isinstance(body.fulfilment, cs.Pickup) and body.fulfilment.store and body.fulfilment.store not in stores:
        raise Unprocessable("the pickup store is not one of the cart's stores",
                            errors=[{"loc": ["body", "fulfilment", "store"], "msg": "not in the cart"}])
    now = datetime.now(UTC)
    pricing = load_pricing_sync(conn, festival_id) if festival_id is not None else FestivalPricing(None, None)
    units = {line.id: unit_price(line, pricing, now) for line in lines}
    _check_prices(lines, units, body)
    _take_stock(conn, lines)
    total = sum(units[line.id] * line.quantity for line in lines)
    return _Staged(version, currency, lines, units, total, now)


def _record(conn: Connection, staged: _Staged, held: idempotency.Claim, cart_id: int, session_id: int,
            body: cs.CheckoutIn, provider_name: str, charge_id: str) -> tuple[bytes, list[tuple[int, str]]]:
    """Phase 2, synchronous: the order group, its orders and the key's stored response, then the members."""
    group = _write_orders(conn, cart_id, session_id, staged.lines, staged.units, staged.currency, staged.total,
                          body, provider_name, charge_id, staged.now)
    body_bytes = group.model_dump_json().encode()
    idempotency.complete_sync(conn, held, 201, body_bytes)
    return body_bytes, load_members_sync(conn, cart_id)


async def _place(sessionmaker: async_sessionmaker[Any], held: idempotency.Claim, session_id: int, cart_id: int,
                 key: str, body: cs.CheckoutIn) -> tuple[bytes, list[Event]]:
    pay = provider(body.payment.provider)
    # Three thread hops on SQLite (stage, record, commit) instead of one per statement: see sync_tx.
    async with sync_transaction(sessionmaker) as tx:
        staged = await tx.run(_stage, cart_id, session_id, body)
        reference = "vrs_" + idempotency.request_hash(str(session_id), key)[:28]
        result = await pay.charge(staged.total, staged.currency, body.payment.token, reference)
        if not result.approved:
            raise PaymentDeclined(f"the payment was declined ({result.decline_code}); nothing was charged",
                                  extra={"decline_code": result.decline_code})
        body_bytes, members = await tx.run(_record, staged, held, cart_id, session_id, body, pay.name,
                                           result.charge_id)
    events = _events(body_bytes, staged, members, cart_id, session_id)
    return body_bytes, events


def _write_orders(conn: Connection, cart_id: int, session_id: int, lines: list[LineRow], units: dict[int, int],
                        currency: str, total: int, body: cs.CheckoutIn, provider_name: str, charge_id: str,
                        now: datetime) -> cs.OrderGroupOut:
    fulfilment = body.fulfilment.model_dump_json()
    group_id = conn.execute(insert(OrderGroup).values(
        cart_id=cart_id, session_id=session_id, total=total, currency=currency, payment_provider=provider_name,
        payment_reference=charge_id, fulfilment_json=fulfilment, created_at=now,
    ).returning(OrderGroup.id)).scalar_one()
    by_store: dict[int, list[LineRow]] = {}
    for line in lines:
        by_store.setdefault(line.store_id, []).append(line)
    subtotals = {sid: sum(units[ln.id] * ln.quantity for ln in group) for sid, group in by_store.items()}
    rows = conn.execute(insert(Order).values([
        {"group_id": group_id, "store_id": sid, "session_id": session_id, "status": "paid", "total": subtotals[sid],
         "currency": currency, "fulfilment_json": fulfilment, "created_at": now, "updated_at": now}
        for sid in sorted(by_store)
    ]).returning(Order.id, Order.store_id)).all()
    order_ids = {store_id: order_id for order_id, store_id in rows}
    conn.execute(insert(OrderLine), [
        {"order_id": order_ids[line.store_id], "product_id": line.product_id, "sku": line.sku, "name": line.name,
         "quantity": line.quantity, "unit_price": units[line.id], "line_total": units[line.id] * line.quantity}
        for line in lines
    ])
    orders = [
        cs.OrderOut(
            id=order_ids[sid], group=group_id, store=group[0].store_slug, status="paid", fulfilment=body.fulfilment,
            lines=[cs.OrderLineOut(sku=ln.sku, name=ln.name, quantity=ln.quantity, unit_price=units[ln.id],
                                   line_total=units[ln.id] * ln.quantity) for ln in group],
            total=subtotals[sid], currency=currency, created_at=now,
        )
        for sid, group in sorted(by_store.items(), key=lambda item: order_ids[item[0]])
    ]
    return cs.OrderGroupOut(id=group_id, cart=cart_id, status="paid", orders=orders, total=total, currency=currency,
                            payment=cs.PaymentOut(provider=provider_name, reference=charge_id),
                            fulfilment=body.fulfilment, created_at=now)


def fulfilment_from_json(raw: str) -> cs.Delivery | cs.Pickup:
    data = json.loads(raw)
    return cs.Pickup.model_validate(data) if data.get("type") == "pickup" else cs.Delivery.model_validate(data)

