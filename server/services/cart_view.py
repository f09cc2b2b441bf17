"""Reading a cart: its members, its lines priced now by the one pricing rule, subtotals per store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import carts as cs
from server.domain.errors import NotFound
from server.persistence import statements as sql
from server.services.pricing import FestivalPricing, load_pricing, quote


@dataclass(frozen=True)
class LineRow:
    """A cart line with what pricing and stock need, straight from one joined query."""

    id: int
    product_id: int
    quantity: int
    added_by: int
    added_by_name: str
    sku: str
    name: str
    price: int
    sale_price: int | None
    currency: str
    category: str
    stock: int
    active: bool
    store_id: int
    store_slug: str
    store_status: str
    merchant_id: int


@dataclass(frozen=True)
class CartHead:
    id: int
    share_code: str
    status: str
    version: int
    currency: str | None
    festival_id: int | None
    owner_session_id: int


def product_name(name_ko: str | None, name_en: str | None, sku: str) -> str:
    # Festival data is Korean first (DESIGN: ko default); fall back so a line always has a label.
    return name_ko or name_en or sku


async def load_head(db: AsyncSession, cart_id: int, session_id: int | None) -> CartHead:
    """The cart if ``session_id`` is a member (anyone else gets 404: a cart's existence does not leak)."""
    return await db.run_sync(lambda s: load_head_sync(s.connection(), cart_id, session_id))


def load_head_sync(conn: Connection, cart_id: int, session_id: int | None) -> CartHead:
    """``load_head`` for synchronous transactions (see sync_tx)."""
    if session_id is None:
        row = sql.CART_HEAD.first(conn, {"p_cart": cart_id})
    else:
        row = sql.CART_HEAD_FOR_MEMBER.first(conn, {"p_cart": cart_id, "p_session": session_id})
    if row is None:
        raise NotFound(f"no cart {cart_id}")
    return CartHead(*row)


async def load_members(db: AsyncSession, cart_id: int) -> list[tuple[int, str]]:
    return await db.run_sync(lambda s: load_members_sync(s.connection(), cart_id))


def load_members_sync(conn: Connection, cart_id: int) -> list[tuple[int, str]]:
    """Members (session id, display name) in joining order."""
    return [(sid, name) for sid, name in sql.MEMBERS.rows(conn, {"p_cart": cart_id})]


async def load_lines(db: AsyncSession, cart_id: int, *, by_product: bool = False) -> list[LineRow]:
    """Every line in one query; ``by_product`` orders them by product id (the checkout's lock order)."""
    return await db.run_sync(lambda s: load_lines_sync(s.connection(), cart_id, by_product=by_product))


def load_lines_sync(conn: Connection, cart_id: int, *, by_product: bool = False) -> list[LineRow]:
    """``load_lines`` for synchronous transactions (see sync_tx)."""
    query = sql.LINES_BY_PRODUCT if by_product else sql.LINES_BY_ID
    rows = []
    for (line_id, product_id, qty, added_by, adder, sku, name_ko, name_en, price, sale_price, currency, category,
         stock, active, store_id, slug, status, merchant_id) in query.rows(conn, {"p_cart": cart_id}):
        rows.append(LineRow(line_id, product_id, qty, added_by, adder, sku, product_name(name_ko, name_en, sku),
                            price, sale_price, currency, category, stock, bool(active), store_id, slug, status,
                            merchant_id))
    return rows


def unit_price(line: LineRow, pricing: FestivalPricing, now: datetime) -> int:
    """The line's unit price now: always the pricing module's ``quote``, never a local rule."""
    return quote(price=line.price, sale_price=line.sale_price, currency=line.currency, store_id=line.store_id,
                 category=line.category, festival=pricing, now=now).unit_price


async def pricing_for(db: AsyncSession, festival_id: int | None) -> FestivalPricing:
    return await load_pricing(db, festival_id) if festival_id is not None else FestivalPricing(None, None)


async def cart_out(db: AsyncSession, head: CartHead) -> cs.CartOut:
    """The cart as members see it, with prices computed now."""
    members = await load_members(db, head.id)
    lines = await load_lines(db, head.id)
    pricing = await pricing_for(db, head.festival_id)
    now = datetime.now(UTC)
    out_lines: list[cs.CartLineOut] = []
    stores: dict[str, cs.StoreSubtotal] = {}
    for line in lines:
        unit = unit_price(line, pricing, now)
        out_lines.append(cs.CartLineOut(
            id=line.id, store=line.store_slug, sku=line.sku, name=line.name, quantity=line.quantity,
            unit_price=unit, regular_price=line.price, line_total=unit * line.quantity, available=line.stock,
            added_by=cs.Person(session=line.added_by, name=line.added_by_name),
        ))
        sub = stores.setdefault(line.store_slug, cs.StoreSubtotal(store=line.store_slug, merchant_id=line.merchant_id,
                                                                  lines=0, subtotal=0))
        sub.lines += 1
        sub.subtotal += unit * line.quantity
    return cs.CartOut(
        id=head.id, share_code=head.share_code, status=head.status,  # the column only ever holds open|checked_out
        version=head.version, currency=head.currency,
        members=[cs.Member(session=sid, name=name, owner=sid == head.owner_session_id) for sid, name in members],
        lines=out_lines, stores=list(stores.values()), total=sum(line.line_total for line in out_lines),
    )
