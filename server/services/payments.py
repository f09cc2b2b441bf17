"""Payments: providers behind one interface, and the ledger that makes authorise → capture-after-commit safe.

Every provider *authorises* before the order commits and *captures* after it (docs/API.md, "Payments"):

- an ``immediate`` provider (the built-in ``test`` provider) decides without I/O, so it authorises inside the
  checkout's unit of work: the ledger row is written in the same transaction as the orders, and a crash leaves
  either both or neither;
- a remote provider (Toss Payments, ``server/payment_gateways.py``) is asked over the network, never inside a
  transaction: the ledger row is written first (``authorising``, in its own short transaction), then the provider
  is asked, then the order commits and the row becomes ``authorised`` with its order group, in one transaction.
  A crash anywhere in between leaves a row without an order group: ``sweep`` (at start-up and every little while)
  voids it at the provider. No charge without an order.

After the commit the payment is captured (``captured``). A refusal after the authorisation (stock gone meanwhile)
voids it. A cancelled order is refunded (its status then moves ``cancelled → refunded``).

The ``test`` provider: ``tok_decline`` is declined (``card_declined``, or the method's own code); every other token
is approved. Its approval page is the client's (a fake redirect with approve / decline). It keeps no state of its
own: our ledger is the whole truth, so a capture, void or refund is only a status change.

Toss webhooks are verified by their signature (``verify_signature``: HMAC-SHA256 of ``{body}:{transmission time}``
with the webhook secret, any ``v1:`` value matching, the time recent) and their amounts re-checked against the
ledger (``apply_webhook``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import carts as cs
from server.contracts import fulfilment as fs
from server.domain.errors import DomainError, Unauthorized, Unprocessable
from server.domain.events import Event, OrderChanged
from server.persistence.database import Database
from server.persistence.tables import Order, OrderGroup, Payment, Store, utcnow

log = logging.getLogger("vrstore.payments")

DECLINE_TOKEN = "tok_decline"
# What the test provider says when it declines, per method (what a shopper of that method would be told).
TEST_DECLINES = {"card": "card_declined", "kakaopay": "kakaopay_rejected", "naverpay": "naverpay_rejected",
                 "tosspay": "tosspay_rejected", "transfer": "insufficient_balance"}
WEBHOOK_MAX_AGE = timedelta(minutes=5)
OPEN = ("authorising", "authorised")  # a row in one of these without an order group is voided by the sweep


@dataclass(frozen=True)
class AuthRequest:
    reference: str  # ours, unique per attempt: the provider's idempotency key
    amount: int
    currency: str
    method: str
    token: str
    order_id: str | None = None


@dataclass(frozen=True)
class Authorisation:
    approved: bool
    provider_key: str  # the provider's name for the payment (a charge id, Toss's paymentKey)
    decline_code: str | None = None


@dataclass(frozen=True)
class Held:
    """A ledger row, as a provider needs it to capture, void or refund."""

    id: int
    reference: str
    provider: str
    method: str
    amount: int
    currency: str
    status: str
    provider_key: str | None
    provider_order_id: str | None
    refunded: int
    group_id: int | None


class PaymentProvider(Protocol):
    name: str
    immediate: bool  # decides without I/O: authorised inside the checkout's unit of work
    methods: tuple[str, ...]

    def authorise_now(self, request: AuthRequest) -> Authorisation:
        """An immediate provider's decision (no I/O, no waiting)."""
        ...

    async def authorise(self, request: AuthRequest) -> Authorisation:
        """Ask the provider; ``Unavailable`` when the answer is unknown (the sweep voids what may have happened)."""
        ...

    async def capture(self, held: Held) -> None: ...

    async def void(self, held: Held) -> None:
        """Undo an authorisation; doing it twice, or for one that never happened, is no error."""
        ...

    async def refund(self, held: Held, amount: int, key: str) -> None:
        """Give ``amount`` back; ``key`` makes a retry refund once."""
        ...

    def choice(self) -> fs.PaymentChoice: ...


class TestProvider:
    """Approves everything except ``tok_decline``; the payment key is derived from the reference."""

    name = "test"
    immediate = True
    methods = cs.PAYMENT_METHODS
    __test__ = False  # not a pytest test class, whatever its name says

    def authorise_now(self, request: AuthRequest) -> Authorisation:
        key = "ch_test_" + hashlib.sha256(request.reference.encode()).hexdigest()[:24]
        if request.token == DECLINE_TOKEN:
            return Authorisation(False, key, TEST_DECLINES.get(request.method, "card_declined"))
        return Authorisation(True, key)

    async def authorise(self, request: AuthRequest) -> Authorisation:
        return self.authorise_now(request)

    async def capture(self, held: Held) -> None:
        return None

    async def void(self, held: Held) -> None:
        return None

    async def refund(self, held: Held, amount: int, key: str) -> None:
        return None

    def choice(self) -> fs.PaymentChoice:
        return fs.PaymentChoice(provider=self.name, methods=list(self.methods))


@dataclass
class Payments:
    """The providers this server offers (``server/payment_gateways.py`` builds them from the settings)."""

    providers: dict[str, PaymentProvider] = field(default_factory=dict)

    def provider(self, name: str, method: str = "card") -> PaymentProvider:
        found = self.providers.get(name)
        if found is None:
            raise Unprocessable(f"the payment provider {name!r} is not offered here",
                                errors=[{"loc": ["body", "payment", "provider"], "msg": "not offered"}])
        if method not in found.methods:
            raise Unprocessable(f"{name} does not take {method}",
                                errors=[{"loc": ["body", "payment", "method"], "msg": "not offered by the provider"}])
        return found

    def choices(self) -> fs.PaymentChoices:
        return fs.PaymentChoices(providers=[p.choice() for p in self.providers.values()])


def reference_for(session_id: int, key: str, lock_token: str) -> str:
    """Unique per claim of an Idempotency-Key: a retry of the same attempt reuses it, a later attempt does not."""
    return "vrs_" + hashlib.sha256(f"{session_id}\x00{key}\x00{lock_token}".encode()).hexdigest()[:28]


# --- the ledger ------------------------------------------------------------------------------------------------


def insert_sync(conn: Connection, *, reference: str, provider: str, method: str, amount: int, currency: str,
                status: str, session_id: int, cart_id: int, group_id: int | None = None,
                provider_key: str | None = None, order_id: str | None = None) -> int:
    now = utcnow()
    row = conn.execute(insert(Payment).values(
        reference=reference, provider=provider, method=method, amount=amount, currency=currency, status=status,
        session_id=session_id, cart_id=cart_id, group_id=group_id, provider_key=provider_key,
        provider_order_id=order_id, refunded=0, created_at=now, updated_at=now).returning(Payment.id)).first()
    assert row is not None
    return int(row[0])


def move_sync(conn: Connection, payment_id: int, from_status: tuple[str, ...], to_status: str,
              **values: Any) -> bool:
    """Compare-and-set: of two writers only the first moves the row (a sweep and a slow checkout, say)."""
    moved = conn.execute(update(Payment).where(Payment.id == payment_id, Payment.status.in_(from_status))
                         .values(status=to_status, updated_at=utcnow(), **values))
    return bool(moved.rowcount == 1)


async def _move(database: Database, payment_id: int, from_status: tuple[str, ...], to_status: str,
                **values: Any) -> bool:
    return bool(await database.unit(move_sync, payment_id, from_status, to_status, **values))


def _held(row: Any) -> Held:
    return Held(row.id, row.reference, row.provider, row.method, row.amount, row.currency, row.status,
                row.provider_key, row.provider_order_id, row.refunded, row.group_id)


_COLUMNS = (Payment.id, Payment.reference, Payment.provider, Payment.method, Payment.amount, Payment.currency,
            Payment.status, Payment.provider_key, Payment.provider_order_id, Payment.refunded, Payment.group_id)


async def held(database: Database, payment_id: int) -> Held | None:
    async with database.read() as db:
        row = (await db.execute(select(*_COLUMNS).where(Payment.id == payment_id))).one_or_none()
        return _held(row) if row is not None else None


async def capture(database: Database, payments: Payments, payment_id: int) -> None:
    """After the order committed: capture, then mark it. A failure leaves it ``authorised`` for the sweep."""
    found = await held(database, payment_id)
    if found is None or found.status != "authorised" or found.group_id is None:
        return
    try:
        await payments.provider(found.provider, found.method).capture(found)
    except DomainError:
        log.warning("capture of payment %s failed; the sweep retries it", payment_id, exc_info=True)
        return
    await _move(database, payment_id, ("authorised",), "captured")


async def void(database: Database, payments: Payments, payment_id: int) -> bool:
    """No order came of it: void at the provider. True once it is voided (now or before)."""
    found = await held(database, payment_id)
    if found is None or found.group_id is not None:  # an order came of it after all
        return False
    if found.status == "voided":
        return True
    if found.status in OPEN and not await _move(database, payment_id, OPEN, "voiding"):
        return False  # it moved meanwhile: its checkout finished after all
    try:
        await payments.provider(found.provider, found.method).void(found)
    except DomainError:
        log.warning("void of payment %s failed; the sweep retries it", payment_id, exc_info=True)
        return False
    return await _move(database, payment_id, ("voiding",), "voided")


@dataclass
class SweepReport:
    voided: int = 0
    captured: int = 0
    refunded: int = 0
    events: list[Event] = field(default_factory=list)


async def sweep(database: Database, payments: Payments, *, older_than: timedelta) -> SweepReport:
    """Finish what a crash (or a failed call) left: void authorisations that never got an order, capture those
    whose order committed, refund cancelled orders. Rows younger than ``older_than`` may still belong to a
    checkout in progress (on this or another worker) and are left alone."""
    cutoff = utcnow() - older_than
    report = SweepReport()
    async with database.read() as db:
        orphans = (await db.execute(select(Payment.id).where(
            or_(Payment.status.in_(OPEN) & Payment.group_id.is_(None), Payment.status == "voiding"),
            Payment.updated_at < cutoff).order_by(Payment.id))).scalars().all()
        uncaptured = (await db.execute(select(Payment.id).where(
            Payment.status == "authorised", Payment.group_id.is_not(None), Payment.updated_at < cutoff)
            .order_by(Payment.id))).scalars().all()
        cancelled = (await db.execute(select(Order.id).where(Order.status == "cancelled", Order.updated_at < cutoff)
                                      .order_by(Order.id))).scalars().all()
    for payment_id in orphans:
        if await void(database, payments, payment_id):
            report.voided += 1
            log.warning("voided payment %s: its order never committed", payment_id)
    for payment_id in uncaptured:
        await capture(database, payments, payment_id)
        report.captured += 1
    for order_id in cancelled:
        events = await refund_order(database, payments, order_id)
        report.refunded += bool(events)
        report.events += events
    return report


async def refund_order(database: Database, payments: Payments, order_id: int) -> list[Event]:
    """A cancelled order's money goes back: the provider refunds its total, then ``cancelled → refunded``."""
    async with database.read() as db:
        order = (await db.execute(select(Order.status, Order.total, Order.group_id, OrderGroup.payment_provider)
                                  .join(OrderGroup, OrderGroup.id == Order.group_id)
                                  .where(Order.id == order_id))).one_or_none()
        if order is None or order.status != "cancelled":
            return []
        row = await group_payment(db, order.group_id)
    if row is not None and row.status in ("captured", "authorised"):
        found = _held(row)
        try:
            await payments.provider(found.provider, found.method).refund(found, order.total, f"refund-{order_id}")
        except DomainError:
            log.warning("refund of order %s failed; the sweep retries it", order_id, exc_info=True)
            return []
    elif row is None and not getattr(payments.providers.get(order.payment_provider), "immediate", False):
        return []  # paid before the ledger existed, at a remote provider: refund it there by hand
    return await database.unit(_refunded_unit, order_id, row.id if row is not None else None, order.total)


def _refunded_unit(conn: Connection, order_id: int, payment_id: int | None, amount: int) -> list[Event]:
    moved = conn.execute(update(Order).where(Order.id == order_id, Order.status == "cancelled")
                         .values(status="refunded", updated_at=utcnow())).rowcount
    if moved != 1:
        return []
    if payment_id is not None:
        conn.execute(update(Payment).where(Payment.id == payment_id)
                     .values(refunded=Payment.refunded + amount, updated_at=utcnow()))
    row = conn.execute(select(Order.group_id, Order.store_id, Order.total, Order.currency, Store.slug)
                       .join(Store, Store.id == Order.store_id).where(Order.id == order_id)).one()
    return [OrderChanged(order=order_id, group=row.group_id, store=row.slug, store_id=row.store_id,
                         status="refunded", total=row.total, currency=row.currency)]


async def payment_of_group(db: AsyncSession, group_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Per order group: (method, status) of the payment that paid it."""
    if not group_ids:
        return {}
    rows = (await db.execute(select(Payment.group_id, Payment.method, Payment.status)
                             .where(Payment.group_id.in_(group_ids)))).all()
    return {gid: (method, status) for gid, method, status in rows if gid is not None}


# --- webhooks ---------------------------------------------------------------------------------------------------


def signature(secret: str, body: bytes, transmission_time: str) -> str:
    """Toss's webhook signature value: base64 of HMAC-SHA256(secret, ``{body}:{transmission time}``)."""
    digest = hmac.new(secret.encode(), body + b":" + transmission_time.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature(secret: str, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    """401 unless the ``tosspayments-webhook-signature`` header holds a ``v1:`` value matching the body and the
    ``tosspayments-webhook-transmission-time`` header, and that time is within ``WEBHOOK_MAX_AGE`` of now (a
    replayed old webhook is refused)."""
    sent = headers.get("tosspayments-webhook-signature", "")
    when = headers.get("tosspayments-webhook-transmission-time", "")
    if not sent or not when:
        raise Unauthorized("a webhook must carry its signature and transmission time")
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        raise Unauthorized("the webhook's transmission time is not an ISO 8601 time") from None
    if moment.tzinfo is None or abs(now - moment) > WEBHOOK_MAX_AGE:
        raise Unauthorized("the webhook is too old (or from the future): refused as a possible replay")
    expected = signature(secret, body, when)
    values = [part.strip().removeprefix("v1:") for part in sent.split(",") if part.strip().startswith("v1:")]
    if not any(hmac.compare_digest(value, expected) for value in values):
        raise Unauthorized("the webhook's signature does not match")


def _webhook_payment(body: bytes) -> tuple[str, str, int | None]:
    try:
        doc = json.loads(body)
        data = doc["data"]
        order_id, status = str(data["orderId"]), str(data["status"])
        amount = data.get("totalAmount")
    except (ValueError, KeyError, TypeError):
        raise Unprocessable("a payment webhook carries data.orderId and data.status",
                            errors=[{"loc": ["body", "data"], "msg": "orderId and status are required"}]) from None
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise Unprocessable("data.totalAmount must be a whole number",
                            errors=[{"loc": ["body", "data", "totalAmount"], "msg": "not a whole number"}])
    return order_id, status, amount


async def apply_webhook(database: Database, body: bytes) -> fs.WebhookAck:
    """A verified webhook about one of our payments: its amount must be the one we asked for (else 422 and the
    payment is flagged), and a cancellation done at the provider is recorded. Unknown payments are acknowledged
    and ignored (the provider retries until it gets a 2xx)."""
    order_id, status, amount = _webhook_payment(body)
    async with database.write() as db:
        row = (await db.execute(select(Payment.id, Payment.amount, Payment.status, Payment.refunded)
                                .where(Payment.provider_order_id == order_id))).first()
        if row is None:
            return fs.WebhookAck(received=True)
        mismatch = amount is not None and amount != row.amount
        if mismatch:  # flagged for a person to look at; the 422 is raised once this is committed
            await db.execute(update(Payment).where(Payment.id == row.id)
                             .values(decline_code="amount_mismatch", updated_at=utcnow()))
        elif status == "CANCELED" and row.status in ("captured", "authorised"):
            await db.execute(update(Payment).where(Payment.id == row.id)
                             .values(refunded=row.amount, updated_at=utcnow()))
    if mismatch:
        log.error("webhook for payment %s names amount %s, we asked for %s", row.id, amount, row.amount)
        raise Unprocessable("the webhook's amount is not the payment's", extra={"payment": str(row.id)},
                            errors=[{"loc": ["body", "data", "totalAmount"], "msg": "amount mismatch"}])
    return fs.WebhookAck(received=True, payment=str(row.id), status=status)


async def group_payment(db: AsyncSession, group_id: int) -> Any:
    """The paying row of an order group (for its provider and method), or None."""
    return (await db.execute(select(*_COLUMNS).where(Payment.group_id == group_id))).one_or_none()

