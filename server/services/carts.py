"""Group carts: create, share, join, and change lines; every change bumps the version and says so.

Rules that live here: only members see or change a cart (others get 404); a checked-out cart is frozen
(409); a line is 1..99 units of an active product of an approved store, at most 100 lines, one festival
and one currency per cart (422 otherwise), and never more units than the current stock (409; nothing is
reserved, the checkout takes stock atomically). ``If-Match: <version>`` makes a change conditional.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import carts as cs
from server.contracts import fulfilment as fs
from server.domain.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.domain.events import CartChanged, Event
from server.domain.principal import Principal
from server.persistence.database import Database
from server.persistence.tables import Cart, CartLine, CartMember, Product, ShopperSession, Store, on_shelf, utcnow
from server.services.cart_view import CartHead, cart_out, cart_quote, load_head, product_name

# No 0/O, 1/I/L: a code read aloud in a noisy virtual mall, or typed on a headset keyboard, must survive.
SHARE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SHARE_CODE_LENGTH = 6
MAX_LINES = 100
MAX_QUANTITY = 99


@dataclass
class Changed:
    """A change's result: the cart as it is now, and the events to publish once committed."""

    cart: cs.CartOut
    events: list[Event] = field(default_factory=list)


def shopper_session(principal: Principal) -> int:
    if principal.role != "shopper" or principal.session_id is None:
        raise Forbidden("carts belong to shopper sessions")
    return principal.session_id


def new_share_code() -> str:
    return "".join(secrets.choice(SHARE_ALPHABET) for _ in range(SHARE_CODE_LENGTH))


def normalize_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch not in " -")


async def _unique_code(db: AsyncSession, cart_id: int | None = None, owner: int | None = None) -> str:
    """Write a fresh share code (a new cart when ``cart_id`` is None); retries the rare collision."""
    for _ in range(8):
        code = new_share_code()
        try:
            async with db.begin_nested():  # a collision rolls back only this attempt
                if cart_id is None:
                    now = utcnow()
                    await db.execute(insert(Cart).values(share_code=code, owner_session_id=owner, status="open",
                                                         version=1, created_at=now, updated_at=now))
                else:
                    await db.execute(update(Cart).where(Cart.id == cart_id).values(share_code=code))
            return code
        except IntegrityError:
            continue
    raise Conflict("could not allocate a share code, try again")  # 31^6 codes: practically unreachable


async def create_cart(database: Database, principal: Principal) -> cs.CartCreated:
    """A new empty cart owned (and joined) by the calling shopper."""
    session_id = shopper_session(principal)
    async with database.write() as db:
        code = await _unique_code(db, owner=session_id)
        cart_id = (await db.execute(select(Cart.id).where(Cart.share_code == code))).scalar_one()
        await db.execute(insert(CartMember).values(cart_id=cart_id, session_id=session_id, joined_at=utcnow()))
    return cs.CartCreated(id=cart_id, share_code=code, version=1)


async def get_cart(database: Database, principal: Principal, cart_id: int) -> cs.CartOut:
    session_id = shopper_session(principal)
    async with database.read() as db:
        head = await load_head(db, cart_id, session_id)
        return await cart_out(db, head)


async def get_quote(database: Database, principal: Principal, cart_id: int, query: fs.QuoteQuery) -> fs.CartQuote:
    """What a checkout of the cart would charge now for a fulfilment (members only)."""
    session_id = shopper_session(principal)
    async with database.read() as db:
        return await cart_quote(db, await load_head(db, cart_id, session_id), query)


async def _bump(db: AsyncSession, cart_id: int, session_id: int, if_match: int | None) -> CartHead:
    """Check membership and freshness, then take the next version (on PostgreSQL this locks the row,
    so changes to one cart are applied one at a time and versions are consecutive)."""
    head = await load_head(db, cart_id, session_id)
    if head.status != "open":
        raise Conflict(f"cart {cart_id} is checked out",
                       extra={"current_version": head.version, "reason": "cart_checked_out"})
    row = (await db.execute(
        update(Cart).where(Cart.id == cart_id, Cart.status == "open")
        .values(version=Cart.version + 1, updated_at=utcnow())
        .returning(Cart.version, Cart.currency, Cart.festival_id)
    )).one_or_none()
    if row is None:  # checked out between our read and the lock
        raise Conflict(f"cart {cart_id} is checked out",
                       extra={"current_version": head.version + 1, "reason": "cart_checked_out"})
    version, currency, festival_id = row
    if if_match is not None and version - 1 != if_match:
        raise Conflict(f"cart {cart_id} changed: it is at version {version - 1}, not {if_match}",
                       extra={"current_version": version - 1, "reason": "stale_version"})
    return CartHead(head.id, head.share_code, head.status, version, currency, festival_id, head.owner_session_id)


async def _finish(db: AsyncSession, head: CartHead, session_id: int, change: dict[str, Any]) -> Changed:
    out = await cart_out(db, head)
    members = {m.session: m.name for m in out.members}
    event = CartChanged(cart=head.id, version=out.version, change=change,
                        session_ids=tuple(m.session for m in out.members), by_session=session_id,
                        by_name=members.get(session_id, ""))
    return Changed(out, [event])


async def join_cart(database: Database, principal: Principal, code: str) -> Changed:
    """Join by share code; joining again is a no-op (no new version, no event)."""
    session_id = shopper_session(principal)
    async with database.write() as db:
        row = (await db.execute(select(Cart.id, Cart.status).where(Cart.share_code == normalize_code(code)))
               ).one_or_none()
        if row is None:
            raise NotFound("no cart with that share code")
        cart_id, status = row
        member = (await db.execute(select(CartMember.session_id).where(
            CartMember.cart_id == cart_id, CartMember.session_id == session_id))).first()
        if member is not None:
            return Changed(await cart_out(db, await load_head(db, cart_id, session_id)))
        if status != "open":
            raise Conflict("that cart is already checked out", extra={"reason": "cart_checked_out"})
        await db.execute(insert(CartMember).values(cart_id=cart_id, session_id=session_id, joined_at=utcnow()))
        head = await _bump(db, cart_id, session_id, None)
        name = (await db.execute(select(ShopperSession.display_name).where(ShopperSession.id == session_id))
                ).scalar_one()
        return await _finish(db, head, session_id, {"type": "member_joined", "session": session_id, "name": name})


async def rotate_share_code(database: Database, principal: Principal, cart_id: int) -> Changed:
    """A new share code (owner only); the old one stops working, members stay."""
    session_id = shopper_session(principal)
    async with database.write() as db:
        head = await load_head(db, cart_id, session_id)
        if head.owner_session_id != session_id:
            raise Forbidden("only the cart's owner may rotate its share code")
        head = await _bump(db, cart_id, session_id, None)
        code = await _unique_code(db, cart_id=cart_id)
        head = CartHead(head.id, code, head.status, head.version, head.currency, head.festival_id,
                        head.owner_session_id)
        return await _finish(db, head, session_id, {"type": "share_code_rotated"})


async def add_line(database: Database, principal: Principal, cart_id: int, body: cs.LineAdd,
                   if_match: int | None) -> Changed:
    """Add units of a product; the same store+sku again adds to the existing line."""
    session_id = shopper_session(principal)
    async with database.write() as db:
        head = await _bump(db, cart_id, session_id, if_match)
        product = (await db.execute(
            select(Product.id, Product.currency, Product.stock, on_shelf(Product).label("active"), Product.name_ko,
                   Product.name_en, Store.status, Store.festival_id)
            .join(Store, Store.id == Product.store_id).where(Store.slug == body.store, Product.sku == body.sku)
        )).one_or_none()
        if product is None or not product.active or product.status != "approved":
            raise NotFound(f"no product {body.sku!r} in store {body.store!r}")
        if head.currency is not None and (product.currency != head.currency or product.festival_id != head.festival_id):
            raise Unprocessable(
                f"this cart is in {head.currency}; {body.sku!r} is priced in {product.currency}"
                if product.currency != head.currency else "a cart holds products of one festival only",
                errors=[{"loc": ["body", "sku"], "msg": "currency or festival differs from the cart's"}])
        existing = (await db.execute(select(CartLine.id, CartLine.quantity).where(
            CartLine.cart_id == cart_id, CartLine.product_id == product.id))).one_or_none()
        quantity = body.quantity + (existing.quantity if existing else 0)
        _check_quantity(quantity, product.stock, body.store, body.sku)
        if existing is None:
            count = (await db.execute(select(func.count()).where(CartLine.cart_id == cart_id))).scalar_one()
            if count >= MAX_LINES:
                raise Unprocessable(f"a cart holds at most {MAX_LINES} lines",
                                    errors=[{"loc": ["body"], "msg": "too many lines"}])
            line_id = (await db.execute(insert(CartLine).values(
                cart_id=cart_id, product_id=product.id, quantity=quantity, added_by=session_id, created_at=utcnow(),
            ).returning(CartLine.id))).scalar_one()
        else:
            line_id = existing.id
            await db.execute(update(CartLine).where(CartLine.id == line_id).values(quantity=quantity))
        if head.currency is None:
            await db.execute(update(Cart).where(Cart.id == cart_id).values(currency=product.currency,
                                                                            festival_id=product.festival_id))
            head = CartHead(head.id, head.share_code, head.status, head.version, product.currency,
                            product.festival_id, head.owner_session_id)
        change = {"type": "line_added" if existing is None else "line_updated", "line": line_id,
                  "store": body.store, "sku": body.sku, "quantity": quantity,
                  "name": product_name(product.name_ko, product.name_en, body.sku)}
        return await _finish(db, head, session_id, change)


def _check_quantity(quantity: int, stock: int, store: str, sku: str) -> None:
    if quantity > MAX_QUANTITY:
        raise Unprocessable(f"at most {MAX_QUANTITY} units per line",
                            errors=[{"loc": ["body", "quantity"], "msg": f"line would hold {quantity} units"}])
    if quantity > stock:
        raise Conflict(f"only {stock} of {sku!r} in stock", extra={
            "short": [{"store": store, "sku": sku, "requested": quantity, "available": stock}]})


async def _line(db: AsyncSession, cart_id: int, line_id: int) -> tuple[int, str, str]:
    row = (await db.execute(
        select(Product.stock, Product.sku, Store.slug).join(CartLine, CartLine.product_id == Product.id)
        .join(Store, Store.id == Product.store_id).where(CartLine.id == line_id, CartLine.cart_id == cart_id)
    )).one_or_none()
    if row is None:
        raise NotFound(f"no line {line_id} in cart {cart_id}")
    return row[0], row[1], row[2]


async def set_quantity(database: Database, principal: Principal, cart_id: int, line_id: int,
                       quantity: int, if_match: int | None) -> Changed:
    session_id = shopper_session(principal)
    async with database.write() as db:
        head = await _bump(db, cart_id, session_id, if_match)
        stock, sku, store = await _line(db, cart_id, line_id)
        _check_quantity(quantity, stock, store, sku)
        await db.execute(update(CartLine).where(CartLine.id == line_id).values(quantity=quantity))
        change = {"type": "line_updated", "line": line_id, "store": store, "sku": sku, "quantity": quantity}
        return await _finish(db, head, session_id, change)


async def remove_line(database: Database, principal: Principal, cart_id: int, line_id: int,
                      if_match: int | None) -> Changed:
    session_id = shopper_session(principal)
    async with database.write() as db:
        head = await _bump(db, cart_id, session_id, if_match)
        _, sku, store = await _line(db, cart_id, line_id)
        await db.execute(delete(CartLine).where(CartLine.id == line_id))
        if (await db.execute(select(CartLine.id).where(CartLine.cart_id == cart_id).limit(1))).first() is None:
            # An empty cart may start again in another festival or currency.
            await db.execute(update(Cart).where(Cart.id == cart_id).values(currency=None, festival_id=None))
            head = CartHead(head.id, head.share_code, head.status, head.version, None, None, head.owner_session_id)
        change = {"type": "line_removed", "line": line_id, "store": store, "sku": sku}
        return await _finish(db, head, session_id, change)
