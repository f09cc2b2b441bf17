"""Checkout: one cart, many stores, one payment, one order per store; no oversell, idempotent, no charge without
an order.

With an immediate payment provider (the built-in ``test`` provider) everything happens in ONE all-or-nothing
unit of work (``Database.unit``): on SQLite a savepoint inside the writer thread's group commit (``BEGIN
IMMEDIATE``; see sqlite_writer), on PostgreSQL its own transaction, running the same code:

0. claim the Idempotency-Key (replay, 422 or 409 as idempotency says);
1. freeze the cart (``open → checked_out``; on PostgreSQL this row lock also waits out concurrent edits);
   a pickup slot is checked first (``domain.pickup``: ahead of now, within 90 days), then against the opening
   hours of the stores that hand the order over;
2. read the lines (ordered by product id); a line of a closed store or of a product no longer sold →
   ``store-unavailable`` / ``product-unavailable`` listing every such line; price the lines now with
   ``pricing.quote`` and each store's shipping with ``pricing.shipping``; if the caller sent ``expected_total`` /
   ``expected_prices`` and any differs → ``price-changed`` (nothing charged);
3. take stock with ``UPDATE … SET stock = stock - q WHERE id = … AND stock >= q``, in product-id order so
   two checkouts never deadlock; any short line → ``out-of-stock`` listing every short SKU;
4. authorise the payment (the provider decides without I/O); a decline → the rollback gives the stock back and
   leaves the cart open;
5. write the order group, one order per store with its lines and shipping fee, the payment's ledger row
   (``authorised``), the fresh cart the members carry on with, and the idempotency key's response.

Steps 1–5 run in a savepoint: a refusal rolls back to it and stores the refusal (a domain error record,
rendered by the HTTP edge) under the key instead. The unit answers only after its COMMIT; the payment is
captured after that (services/payments.py). Its statements are prepared (see statements).

With a remote provider (Toss) the network call must not sit inside a transaction, so the same steps run in three:
(a) claim the key, run steps 1–3 in a savepoint that is always rolled back (early refusals are stored as above;
otherwise they give the amount), and write the ledger row ``authorising``; (b) ask the provider, outside any
transaction; (c) steps 1–5 again, checking the total is still the authorised amount, the row becoming
``authorised`` with the order group. A crash between (b) and (c) leaves a row without an order: the payment
sweep voids it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

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
from server.domain.pickup import pickup_slot_problem, slot_problem
from server.domain.principal import Principal
from server.persistence import statements as sql
from server.persistence.database import Database
from server.persistence.prepared import savepoint
from server.persistence.tables import Cart, Festival, utcnow
from server.services import idempotency
from server.services import payments as pay_ledger
from server.services.cart_view import (
    LineRow,
    load_head_sync,
    load_lines_sync,
    load_members_sync,
    store_shipping,
    unit_price,
)
from server.services.carts import new_share_code, shopper_session
from server.services.payments import Authorisation, AuthRequest, PaymentProvider, Payments
from server.services.pricing import FestivalPricing, ShippingQuote, load_pricing_sync
from server.services.shipping import StoreTerms, load_terms_sync, zone_of

_OUTCOMES: dict[ErrorCode, str] = {ErrorCode.OUT_OF_STOCK: "out_of_stock", ErrorCode.PAYMENT_DECLINED: "declined",
                                   ErrorCode.PRICE_CHANGED: "price_changed", ErrorCode.STORE_UNAVAILABLE: "unavailable",
                                   ErrorCode.PRODUCT_UNAVAILABLE: "unavailable"}
PAID = 201  # the status stored with a paid checkout's response; a refusal stores its code's status


@dataclass
class CheckoutResult:
    """What happened: the paid order group (exactly the bytes first answered) or the refusal, the metric
    outcome, whether it is a replay, the events to publish, and the payment to capture or void after the commit."""

    outcome: str
    order_group: bytes | None = None
    refusal: DomainError | None = None
    replayed: bool = False
    events: list[Event] = field(default_factory=list)
    capture: int | None = None
    void: int | None = None


async def checkout(database: Database, payments: Payments, principal: Principal, cart_id: int, key: str | None,
                   body: cs.CheckoutIn) -> CheckoutResult:
    """Run (or replay) a checkout under an idempotency key; any member of the cart may check out."""
    session_id = shopper_session(principal)
    key = idempotency.check_key(key)
    fingerprint = idempotency.request_hash("checkout", str(cart_id), body.model_dump_json())
    pay = payments.provider(body.payment.provider, body.payment.method)
    if pay.immediate:
        result = await database.unit(_checkout_unit, pay, session_id, cart_id, key, fingerprint, body)
    else:
        result = await _remote_checkout(database, payments, pay, session_id, cart_id, key, fingerprint, body)
    if result.capture is not None:
        await pay_ledger.capture(database, payments, result.capture)
    if result.void is not None:
        await pay_ledger.void(database, payments, result.void)
    return result


def _request(staged: _Staged, reference: str, body: cs.CheckoutIn) -> AuthRequest:
    return AuthRequest(reference=reference, amount=staged.total, currency=staged.currency,
                       method=body.payment.method, token=body.payment.token, order_id=body.payment.order_id)


def _declined(auth: Authorisation) -> PaymentDeclined:
    return PaymentDeclined(f"the payment was declined ({auth.decline_code}); nothing was charged",
                           extra={"decline_code": auth.decline_code})


def _checkout_unit(conn: Connection, pay: PaymentProvider, session_id: int, cart_id: int, key: str,
                   fingerprint: str, body: cs.CheckoutIn) -> CheckoutResult:
    """Claim the key, then stage, authorise and record, or store the refusal under the key: all in the
    caller's transaction, which commits all of it or nothing. So no other writer ever sees the key in
    flight (a retry after a crash finds nothing and simply runs), and an unexpected error releases the key
    by rolling it back."""
    held = idempotency.claim(conn, session_id, key, fingerprint)
    if isinstance(held, idempotency.Stored):
        return _replay(held)
    try:
        with savepoint(conn, "vrs_stage"):  # a refusal rolls back to here, and is then stored under the key
            staged = _stage(conn, cart_id, session_id, body)
            request = _request(staged, pay_ledger.reference_for(session_id, key, held.lock_token), body)
            auth = pay.authorise_now(request)
            if not auth.approved:
                raise _declined(auth)
            recorded = _record(conn, staged, held, cart_id, session_id, body, pay.name, auth.provider_key)
            payment = pay_ledger.insert_sync(
                conn, reference=request.reference, provider=pay.name, method=request.method, amount=staged.total,
                currency=staged.currency, status="authorised", session_id=session_id, cart_id=cart_id,
                group_id=recorded.group.id, provider_key=auth.provider_key, order_id=request.order_id)
        return CheckoutResult("paid", order_group=recorded.body, capture=payment,
                              events=_events(recorded, staged, cart_id, session_id))
    except DomainError as exc:
        return _refused(conn, held, exc)


def _refused(conn: Connection, held: idempotency.Claim, exc: DomainError, *, void: int | None = None
             ) -> CheckoutResult:
    if not exc.is_refusal:
        raise exc
    idempotency.complete(conn, held, exc.code.http_status, exc.to_record().encode())
    return CheckoutResult(_OUTCOMES.get(exc.code, "rejected"), refusal=exc, void=void)


# --- the two-phase path (remote providers) ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Opened:
    held: idempotency.Claim
    payment: int
    request: AuthRequest


class _DryRun(Exception):
    """Not an error: carries the staged result out of a savepoint that must roll back."""

    def __init__(self, staged: _Staged) -> None:
        super().__init__("dry run")
        self.staged = staged


async def _remote_checkout(database: Database, payments: Payments, pay: PaymentProvider, session_id: int,
                           cart_id: int, key: str, fingerprint: str, body: cs.CheckoutIn) -> CheckoutResult:
    opened = await database.unit(_open_unit, pay, session_id, cart_id, key, fingerprint, body)
    if isinstance(opened, CheckoutResult):
        return opened
    try:
        auth = await pay.authorise(opened.request)
    except DomainError:
        # The answer is unknown: give the key up (a retry runs afresh) and void whatever may have happened; if the
        # provider cannot be reached for that either, the sweep voids it later.
        await database.unit(idempotency.release, opened.held)
        await pay_ledger.void(database, payments, opened.payment)
        raise
    if not auth.approved:
        return await database.unit(_declined_unit, opened, auth)
    return await database.unit(_finish_unit, pay, opened, auth, session_id, cart_id, body)


def _open_unit(conn: Connection, pay: PaymentProvider, session_id: int, cart_id: int, key: str, fingerprint: str,
               body: cs.CheckoutIn) -> _Opened | CheckoutResult:
    """Claim the key; find the amount by staging in a savepoint that is always rolled back (the cart stays open and
    no stock is held while the provider is asked); write the ledger row before anyone is asked."""
    held = idempotency.claim(conn, session_id, key, fingerprint)
    if isinstance(held, idempotency.Stored):
        return _replay(held)
    try:
        try:
            with savepoint(conn, "vrs_quote"):
                raise _DryRun(_stage(conn, cart_id, session_id, body))
        except _DryRun as done:
            staged = done.staged
    except DomainError as exc:
        return _refused(conn, held, exc)
    request = _request(staged, pay_ledger.reference_for(session_id, key, held.lock_token), body)
    payment = pay_ledger.insert_sync(
        conn, reference=request.reference, provider=pay.name, method=request.method, amount=request.amount,
        currency=request.currency, status="authorising", session_id=session_id, cart_id=cart_id,
        provider_key=request.token, order_id=request.order_id)
    return _Opened(held, payment, request)


def _declined_unit(conn: Connection, opened: _Opened, auth: Authorisation) -> CheckoutResult:
    pay_ledger.move_sync(conn, opened.payment, ("authorising",), "declined", decline_code=auth.decline_code)
    return _refused(conn, opened.held, _declined(auth))


def _finish_unit(conn: Connection, pay: PaymentProvider, opened: _Opened, auth: Authorisation, session_id: int,
                 cart_id: int, body: cs.CheckoutIn) -> CheckoutResult:
    """Stage again for real, with the authorisation in hand; the ledger row joins the order group."""
    try:
        with savepoint(conn, "vrs_stage"):
            staged = _stage(conn, cart_id, session_id, body)
            if staged.total != opened.request.amount:
                raise PriceChanged("the total changed while the payment was authorised; nothing was charged",
                                   extra={"lines": [], "expected_total": opened.request.amount,
                                          "total": staged.total})
            recorded = _record(conn, staged, opened.held, cart_id, session_id, body, pay.name, auth.provider_key)
            if not pay_ledger.move_sync(conn, opened.payment, ("authorising",), "authorised",
                                        group_id=recorded.group.id, provider_key=auth.provider_key):
                raise Conflict("the payment expired before the order could be written; nothing was charged",
                               extra={"reason": "payment_expired"})
        return CheckoutResult("paid", order_group=recorded.body, capture=opened.payment,
                              events=_events(recorded, staged, cart_id, session_id))
    except DomainError as exc:
        pay_ledger.move_sync(conn, opened.payment, ("authorising",), "voiding")
        return _refused(conn, opened.held, exc, void=opened.payment)


# --- the steps --------------------------------------------------------------------------------------------------


def _replay(stored: idempotency.Stored) -> CheckoutResult:
    if stored.status == PAID:
        return CheckoutResult("replayed", order_group=stored.body, replayed=True)
    return CheckoutResult("replayed", refusal=DomainError.from_record(stored.body.decode()), replayed=True)


def _events(recorded: _Recorded, staged: _Staged, cart_id: int, session_id: int) -> list[Event]:
    """``cart`` (checked out) to every member and ``order`` per store, published after the commit."""
    group, members = recorded.group, recorded.members
    names = dict(members)
    change: dict[str, Any] = {"type": "checked_out", "order_group": group.id}
    if group.next_cart is not None:
        change["next_cart"] = group.next_cart.id
    events: list[Event] = [CartChanged(
        cart=cart_id, version=staged.version, change=change,
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
        raise Conflict(f"cart {cart_id} is already checked out",
                       extra={"current_version": head.version, "reason": "cart_checked_out"})
    return row[0], row[1], row[2]


def _check_prices(lines: list[LineRow], units: dict[int, int], total: int, body: cs.CheckoutIn) -> None:
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


def _slot_refused(problem: str) -> Unprocessable:
    return Unprocessable(f"the pickup slot {problem}", extra={"reason": "pickup_slot"},
                         errors=[{"loc": ["body", "fulfilment", "slot"], "msg": problem}])


def _check_pickup_slot(body: cs.CheckoutIn, now: datetime) -> None:
    if not isinstance(body.fulfilment, cs.Pickup):
        return
    problem = pickup_slot_problem(body.fulfilment.slot, now)
    if problem is not None:
        raise _slot_refused(problem)


def _check_pickup_hours(conn: Connection, body: cs.CheckoutIn, lines: list[LineRow], terms: dict[int, StoreTerms],
                        festival_id: int | None, now: datetime) -> None:
    """The slot must be one the handing-over stores offer: the chosen pickup store, else every store of the cart."""
    if not isinstance(body.fulfilment, cs.Pickup):
        return
    wanted = body.fulfilment.store
    hours = {line.store_slug: terms[line.store_id].hours for line in lines if wanted in (None, line.store_slug)}
    zone = conn.execute(select(Festival.timezone).where(Festival.id == festival_id)).scalar_one_or_none()
    problem = slot_problem(hours, zone_of(zone), body.fulfilment.slot, now)
    if problem is not None:
        raise _slot_refused(problem)


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
    fees: dict[int, ShippingQuote]
    total: int
    now: datetime


def _stage(conn: Connection, cart_id: int, session_id: int, body: cs.CheckoutIn) -> _Staged:
    """Phase 1, synchronous: freeze the cart, check every line can still be sold and the pickup slot is offered,
    price every line and each store's shipping now, check shown prices, take the stock."""
    now = datetime.now(UTC)
    _check_pickup_slot(body, now)
    version, festival_id, currency = _freeze(conn, cart_id, session_id)
    lines = load_lines_sync(conn, cart_id, by_product=True)
    if not lines or currency is None:
        raise Unprocessable("the cart is empty", errors=[{"loc": ["body"], "msg": "nothing to check out"}],
                            extra={"reason": "cart_empty"})
    stores = {line.store_slug for line in lines}
    if isinstance(body.fulfilment, cs.Pickup) and body.fulfilment.store and body.fulfilment.store not in stores:
        raise Unprocessable("the pickup store is not one of the cart's stores",
                            errors=[{"loc": ["body", "fulfilment", "store"], "msg": "not in the cart"}])
    _check_still_sold(lines)
    terms = load_terms_sync(conn, {line.store_id for line in lines})
    _check_pickup_hours(conn, body, lines, terms, festival_id, now)
    pricing = load_pricing_sync(conn, festival_id) if festival_id is not None else FestivalPricing(None, None)
    units = {line.id: unit_price(line, pricing, now) for line in lines}
    delivery = isinstance(body.fulfilment, cs.Delivery)
    postal = body.fulfilment.address.postal_code if isinstance(body.fulfilment, cs.Delivery) else None
    fees = store_shipping(lines, units, terms, delivery=delivery, postal_code=postal)
    total = sum(units[line.id] * line.quantity for line in lines) + sum(f.fee for f in fees.values())
    _check_prices(lines, units, total, body)
    _take_stock(conn, lines, now)
    return _Staged(version, currency, lines, units, fees, total, now)


@dataclass
class _Recorded:
    """What the second phase wrote: the stored response, and what the events need (no re-parsing)."""

    body: bytes
    group: cs.OrderGroupOut
    members: list[tuple[int, str]]


def _record(conn: Connection, staged: _Staged, held: idempotency.Claim, cart_id: int, session_id: int,
            body: cs.CheckoutIn, provider_name: str, charge_id: str) -> _Recorded:
    """Phase 2, synchronous: the order group, its orders, the cart that follows, and the key's stored response."""
    members = load_members_sync(conn, cart_id)
    group = _write_orders(conn, cart_id, session_id, staged, body, provider_name, charge_id, dict(members))
    group.next_cart = _successor(conn, cart_id, members)
    body_bytes = group.model_dump_json().encode()
    idempotency.complete(conn, held, PAID, body_bytes)
    return _Recorded(body_bytes, group, members)


def _successor(conn: Connection, cart_id: int, members: list[tuple[int, str]]) -> cs.NextCart:
    """The fresh empty cart the group carries on with: same owner and members, a new share code."""
    owner = load_head_sync(conn, cart_id, None).owner_session_id
    make = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    for _ in range(8):  # 31^6 codes: a collision is rare, and retried
        code = new_share_code()
        row = conn.execute(make(sql.carts).values(share_code=code, owner_session_id=owner, status="open",
                                                       version=1, created_at=now, updated_at=now)
                           .on_conflict_do_nothing(index_elements=["share_code"]).returning(sql.carts.c.id)).first()
        if row is not None:
            break
    else:
        raise Conflict("could not allocate a share code, try again")
    next_id = int(row[0])
    conn.execute(insert(sql.cart_members), [{"cart_id": next_id, "session_id": sid, "joined_at": now}
                                      for sid, _ in members])
    conn.execute(update(Cart).where(Cart.id == cart_id).values(successor_id=next_id))
    return cs.NextCart(id=next_id, share_code=code)


def _write_orders(conn: Connection, cart_id: int, session_id: int, staged: _Staged, body: cs.CheckoutIn,
                  provider_name: str, charge_id: str, names: dict[int, str]) -> cs.OrderGroupOut:
    lines, units, currency, now = staged.lines, staged.units, staged.currency, staged.now
    fulfilment = body.fulfilment.model_dump_json()
    shipping_total = sum(f.fee for f in staged.fees.values())
    group_id = _one(sql.INSERT_GROUP.first(conn, {
        "p_cart_id": cart_id, "p_session_id": session_id, "p_total": staged.total, "p_currency": currency,
        "p_payment_provider": provider_name, "p_payment_reference": charge_id, "p_fulfilment_json": fulfilment,
        "p_created_at": now, "p_payment_method": body.payment.method, "p_shipping_total": shipping_total,
    }))
    by_store: dict[int, list[LineRow]] = {}
    for line in lines:
        by_store.setdefault(line.store_id, []).append(line)
    fees = {sid: staged.fees[sid].fee for sid in by_store}
    totals = {sid: sum(units[ln.id] * ln.quantity for ln in group) + fees[sid] for sid, group in by_store.items()}
    # One single-row INSERT per store (a store or two per cart): a multi-row VALUES would be compiled
    # anew for every row count, and the ids come back in store order with no RETURNING-order caveats.
    order_ids = {sid: _one(sql.INSERT_ORDER.first(conn, {
        "p_group_id": group_id, "p_store_id": sid, "p_session_id": session_id, "p_status": "paid",
        "p_total": totals[sid], "p_currency": currency, "p_fulfilment_json": fulfilment, "p_created_at": now,
        "p_updated_at": now, "p_shipping_fee": fees[sid],
    })) for sid in sorted(by_store)}
    sql.INSERT_ORDER_LINES.many(conn, [
        {"p_order_id": order_ids[line.store_id], "p_product_id": line.product_id, "p_sku": line.sku,
         "p_name": line.name, "p_quantity": line.quantity, "p_unit_price": units[line.id],
         "p_line_total": units[line.id] * line.quantity}
        for line in lines
    ])
    buyer = names.get(session_id, "")
    orders = [
        cs.OrderOut(
            id=order_ids[sid], group=group_id, store=group[0].store_slug, status="paid", fulfilment=body.fulfilment,
            lines=[cs.OrderLineOut(sku=ln.sku, name=ln.name, quantity=ln.quantity, unit_price=units[ln.id],
                                   line_total=units[ln.id] * ln.quantity) for ln in group],
            total=totals[sid], currency=currency, created_at=now, shipping_fee=fees[sid], buyer=buyer, updated_at=now,
        )
        for sid, group in sorted(by_store.items(), key=lambda item: order_ids[item[0]])
    ]
    return cs.OrderGroupOut(id=group_id, cart=cart_id, status="paid", orders=orders, total=staged.total,
                            currency=currency, fulfilment=body.fulfilment, created_at=now,
                            payment=cs.PaymentOut(provider=provider_name, reference=charge_id,
                                                  method=body.payment.method, status="authorised"),
                            shipping_total=shipping_total, buyer=cs.Person(session=session_id, name=buyer))


def _one(row: tuple[Any, ...] | None) -> Any:
    assert row is not None  # INSERT … RETURNING always returns its row
    return row[0]


def fulfilment_from_json(raw: str) -> cs.Delivery | cs.Pickup:
    data = json.loads(raw)
    model = cs.Pickup if data.get("type") == "pickup" else cs.Delivery
    return model.model_validate(data, context=STORED)
