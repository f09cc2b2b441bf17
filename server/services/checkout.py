"""Checkout: one cart, many stores, one payment, one order per store; no oversell, idempotent.

Everything happens in ONE all-or-nothing unit of work (``Database.unit``): on SQLite a savepoint inside the
writer thread's group commit (``BEGIN IMMEDIATE``; see sqlite_writer), on PostgreSQL its own transaction,
running the same code:

0. claim the Idempotency-Key (replay, 422 or 409 as idempotency says);
1. freeze the cart (``open → checked_out``; on PostgreSQL this row lock also waits out concurrent edits);
   a pickup slot is checked first (``domain.pickup``: ahead of now, within 90 days);
2. read the lines (ordered by product id); a line of a closed store or of a product no longer sold →
   ``store-unavailable`` / ``product-unavailable`` listing every such line; price the lines now with
   ``pricing.quote``; if the caller sent ``expected_total`` / ``expected_prices`` and any differs →
   ``price-changed`` (nothing charged);
3. take stock with ``UPDATE … SET stock = stock - q WHERE id = … AND stock >= q``, in product-id order so
   two checkouts never deadlock; any short line → ``out-of-stock`` listing every short SKU;
4. charge through the payment provider (it decides without I/O; see payments); a decline → the rollback
   gives the stock back and leaves the cart open;
5. write the order group, one order per store with its lines, and the idempotency key's response.

Steps 1–5 run in a savepoint: a refusal rolls back to it and stores the refusal (a domain error record,
rendered by the HTTP edge) under the key instead. The unit answers only after its COMMIT. Its statements
are prepared (see statements).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from server.contracts import carts as cs
from server.contracts.foundation import STORED
from server.domain.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    OutOfStock,
    PaymentDeclined,
    PriceChanged,
    ProductUnavailable,
    StoreUnavailable,
    Unprocessable,
)
from server.domain.events import CartChanged, Event, OrderChanged
from server.domain.pickup import pickup_slot_problem
from server.domain.principal import Principal
from server.persistence import statements as sql
from server.persistence.database import Database
from server.persistence.prepared import savepoint
from server.persistence.tables import utcnow
from server.services import idempotency
from server.services.cart_view import LineRow, load_head_sync, load_lines_sync, load_members_sync, unit_price
from server.services.carts import shopper_session
from server.services.payments import PaymentProvider, provider
from server.services.pricing import FestivalPricing, load_pricing_sync

_OUTCOMES: dict[ErrorCode, str] = {ErrorCode.OUT_OF_STOCK: "out_of_stock", ErrorCode.PAYMENT_DECLINED: "declined",
                                   ErrorCode.PRICE_CHANGED: "price_changed", ErrorCode.STORE_UNAVAILABLE: "unavailable",
                                   ErrorCode.PRODUCT_UNAVAILABLE: "unavailable"}
PAID = 201  # the status stored with a paid checkout's response; a refusal stores its code's status


@dataclass
class CheckoutResult:
    """What happened: the paid order group (exactly the bytes first answered) or the refusal, the metric
    outcome, whether it is a replay, and the events to publish."""

    outcome: str
    order_group: bytes | None = None
    refusal: DomainError | None = None
    replayed: bool = False
    events: list[Event] = field(default_factory=list)


async def checkout(database: Database, principal: Principal, cart_id: int, key: str | None,
                   body: cs.CheckoutIn) -> CheckoutResult:
    """Run (or replay) a checkout under an idempotency key; any member of the cart may check out."""
    session_id = shopper_session(principal)
    key = idempotency.check_key(key)
    fingerprint = idempotency.request_hash("checkout", str(cart_id), body.model_dump_json())
    pay = provider(body.payment.provider)
    return await database.unit(_checkout_unit, pay, session_id, cart_id, key, fingerprint, body)


def _checkout_unit(conn: Connection, pay: PaymentProvider, session_id: int, cart_id: int, key: str,
                   fingerprint: str, body: cs.CheckoutIn) -> CheckoutResult:
    """Claim the key, then stage, charge and record, or store the refusal under the key: all in the
    caller's transaction, which commits all of it or nothing. So no other writer ever sees the key in
    flight (a retry after a crash finds nothing and simply runs), and an unexpected error releases the key
    by rolling it back."""
    held = idempotency.claim(conn, session_id, key, fingerprint)
    if isinstance(held, idempotency.Stored):
        return _replay(held)
    try:
        with savepoint(conn, "vrs_stage"):  # a refusal rolls back to here, and is then stored under the key
            staged = _stage(conn, cart_id, session_id, body)
            reference = "vrs_" + idempotency.request_hash(str(session_id), key)[:28]
            result = pay.charge(staged.total, staged.currency, body.payment.token, reference)
            if not result.approved:
                raise PaymentDeclined(f"the payment was declined ({result.decline_code}); nothing was charged",
                                      extra={"decline_code": result.decline_code})
            recorded = _record(conn, staged, held, cart_id, session_id, body, pay.name, result.charge_id)
        return CheckoutResult("paid", order_group=recorded.body,
                              events=_events(recorded, staged, cart_id, session_id))
    except DomainError as exc:
        if not exc.is_refusal:
            raise
        idempotency.complete(conn, held, exc.code.http_status, exc.to_record().encode())
        return CheckoutResult(_OUTCOMES.get(exc.code, "rejected"), refusal=exc)


def _replay(stored: idempotency.Stored) -> CheckoutResult:
    if stored.status == PAID:
        return CheckoutResult("replayed", order_group=stored.body, replayed=True)
    return CheckoutResult("replayed", refusal=DomainError.from_record(stored.body.decode()), replayed=True)


def _events(recorded: _Recorded, staged: _Staged, cart_id: int, session_id: int) -> list[Event]:
    """``cart`` (checked out) to every member and ``order`` per store, published after the commit."""
    group, members = recorded.group, recorded.members
    names = dict(members)
    events: list[Event] = [CartChanged(
        cart=cart_id, version=staged.version, change={"type": "checked_out", "order_group": group.id},
        session_ids=tuple(sid for sid, _ in members), by_session=session_id, by_name=names.get(session_id, ""))]
    store_ids = {line.store_slug: line.store_id for line in staged.lines}
    events += [OrderChanged(order=o.id, group=group.id, store=o.store, store_id=store_ids[o.store],
                            status=o.status, total=o.total, currency=o.currency)
               for o in group.orders]
    return events


def _freeze(conn: Connection, cart_id: int, session_id: int) -> tuple[int, int | None, str | None]:
    """open → checked_out for a member, in one statement; also the row lock that orders us after edits."""
    row = sql.FREEZE_CART.first(conn, {"p_cart": cart_id, "p_session": session_id, "p_now": utcnow()})
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


def _check_pickup_slot(body: cs.CheckoutIn, now: datetime) -> None:
    if not isinstance(body.fulfilment, cs.Pickup):
        return
    problem = pickup_slot_problem(body.fulfilment.slot, now)
    if problem is not None:
        raise Unprocessable(f"the pickup slot {problem}",
                            errors=[{"loc": ["body", "fulfilment", "slot"], "msg": problem}])


def _check_still_sold(lines: list[LineRow]) -> None:
    """Every line's store is open and its product still listed; else say which and why, before prices or stock
    (an unavailable line is not "out of stock": waiting for a restock would not help)."""
    closed_lines = [line for line in lines if line.store_status != "approved"]
    removed_lines = [line for line in lines if line.store_status == "approved" and not line.active]
    if not (closed_lines or removed_lines):
        return
    gone: list[dict[str, Any]] = [
        {"line": line.id, "store": line.store_slug, "sku": line.sku, "reason": reason}
        for reason, some in (("store_closed", closed_lines), ("product_removed", removed_lines)) for line in some]
    closed = sorted({line.store_slug for line in closed_lines})
    removed = [f"{line.sku} ({line.store_slug})" for line in removed_lines]
    said = [f"store {', '.join(closed)} {'is' if len(closed) == 1 else 'are'} closed for now"] if closed else []
    said += [f"product {', '.join(removed)} {'is' if len(removed) == 1 else 'are'} no longer sold"] if removed else []
    detail = "; ".join(said) + "; remove those lines to check out the rest. Nothing was charged"
    # A closed store is the bigger news (all of its lines go at once), so it names the problem when both happen.
    error = StoreUnavailable if closed else ProductUnavailable
    raise error(detail, extra={"unavailable": gone})


def _take_stock(conn: Connection, lines: list[LineRow], now: datetime) -> None:
    """All lines or none: every short line is reported, and raising rolls back the ones already taken."""
    short: list[dict[str, Any]] = []
    for line in lines:  # ordered by product id: a fixed lock order, so concurrent checkouts cannot deadlock
        taken = sql.TAKE_STOCK.rowcount(conn, {"p_product": line.product_id, "p_qty": line.quantity, "p_now": now})
        if taken != 1:
            found = sql.STOCK_OF.first(conn, {"p_product": line.product_id})
            available = found[0] if found is not None else 0
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
    """Phase 1, synchronous: freeze the cart, check every line can still be sold, price every line now, check
    shown prices, take the stock."""
    now = datetime.now(UTC)
    _check_pickup_slot(body, now)
    version, festival_id, currency = _freeze(conn, cart_id, session_id)
    lines = load_lines_sync(conn, cart_id, by_product=True)
    if not lines or currency is None:
        raise Unprocessable("the cart is empty", errors=[{"loc": ["body"], "msg": "nothing to check out"}])
    stores = {line.store_slug for line in lines}
    if isinstance(body.fulfilment, cs.Pickup) and body.fulfilment.store and body.fulfilment.store not in stores:
        raise Unprocessable("the pickup store is not one of the cart's stores",
                            errors=[{"loc": ["body", "fulfilment", "store"], "msg": "not in the cart"}])
    _check_still_sold(lines)
    pricing = load_pricing_sync(conn, festival_id) if festival_id is not None else FestivalPricing(None, None)
    units = {line.id: unit_price(line, pricing, now) for line in lines}
    _check_prices(lines, units, body)
    _take_stock(conn, lines, now)
    total = sum(units[line.id] * line.quantity for line in lines)
    return _Staged(version, currency, lines, units, total, now)


@dataclass
class _Recorded:
    """What the second phase wrote: the stored response, and what the events need (no re-parsing)."""

    body: bytes
    group: cs.OrderGroupOut
    members: list[tuple[int, str]]


def _record(conn: Connection, staged: _Staged, held: idempotency.Claim, cart_id: int, session_id: int,
            body: cs.CheckoutIn, provider_name: str, charge_id: str) -> _Recorded:
    """Phase 2, synchronous: the order group, its orders and the key's stored response, then the members."""
    group = _write_orders(conn, cart_id, session_id, staged.lines, staged.units, staged.currency, staged.total,
                          body, provider_name, charge_id, staged.now)
    body_bytes = group.model_dump_json().encode()
    idempotency.complete(conn, held, PAID, body_bytes)
    return _Recorded(body_bytes, group, load_members_sync(conn, cart_id))


def _write_orders(conn: Connection, cart_id: int, session_id: int, lines: list[LineRow], units: dict[int, int],
                        currency: str, total: int, body: cs.CheckoutIn, provider_name: str, charge_id: str,
                        now: datetime) -> cs.OrderGroupOut:
    fulfilment = body.fulfilment.model_dump_json()
    group_id = _one(sql.INSERT_GROUP.first(conn, {
        "p_cart_id": cart_id, "p_session_id": session_id, "p_total": total, "p_currency": currency,
        "p_payment_provider": provider_name, "p_payment_reference": charge_id, "p_fulfilment_json": fulfilment,
        "p_created_at": now,
    }))
    by_store: dict[int, list[LineRow]] = {}
    for line in lines:
        by_store.setdefault(line.store_id, []).append(line)
    subtotals = {sid: sum(units[ln.id] * ln.quantity for ln in group) for sid, group in by_store.items()}
    # One single-row INSERT per store (a store or two per cart): a multi-row VALUES would be compiled
    # anew for every row count, and the ids come back in store order with no RETURNING-order caveats.
    order_ids = {sid: _one(sql.INSERT_ORDER.first(conn, {
        "p_group_id": group_id, "p_store_id": sid, "p_session_id": session_id, "p_status": "paid",
        "p_total": subtotals[sid], "p_currency": currency, "p_fulfilment_json": fulfilment, "p_created_at": now,
        "p_updated_at": now,
    })) for sid in sorted(by_store)}
    sql.INSERT_ORDER_LINES.many(conn, [
        {"p_order_id": order_ids[line.store_id], "p_product_id": line.product_id, "p_sku": line.sku,
         "p_name": line.name, "p_quantity": line.quantity, "p_unit_price": units[line.id],
         "p_line_total": units[line.id] * line.quantity}
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


def _one(row: tuple[Any, ...] | None) -> Any:
    assert row is not None  # INSERT … RETURNING always returns its row
    return row[0]


def fulfilment_from_json(raw: str) -> cs.Delivery | cs.Pickup:
    data = json.loads(raw)
    model = cs.Pickup if data.get("type") == "pickup" else cs.Delivery
    return model.model_validate(data, context=STORED)

