"""Reading a cart: its members, its lines priced now by the one pricing rule, subtotals and shipping per store,
what a checked-out cart became, and the quote of a checkout (goods plus shipping for a chosen fulfilment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import carts as cs
from server.contracts import fulfilment as fs
from server.domain.errors import NotFound
from server.persistence import statements as sql
from server.persistence.tables import Cart, OrderGroup, ShopperSession
from server.services.pricing import FestivalPricing, ShippingQuote, load_pricing, quote, shipping
from server.services.shipping import StoreTerms, load_terms


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


def store_shipping(lines: list[LineRow], units: dict[int, int], terms: dict[int, StoreTerms], *, delivery: bool,
                   postal_code: str | None) -> dict[int, ShippingQuote]:
    """Each store's shipping for these lines priced at ``units``: ``pricing.shipping`` over the store's subtotal."""
    subtotals: dict[int, int] = {}
    for line in lines:
        subtotals[line.store_id] = subtotals.get(line.store_id, 0) + units[line.id] * line.quantity
    return {sid: shipping(terms[sid].rule, subtotal=sub, postal_code=postal_code, delivery=delivery)
            for sid, sub in subtotals.items()}


async def _checked_out(db: AsyncSession, cart_id: int) -> dict[str, object]:
    """What a checked-out cart became: its order group, who paid, and the cart its members carry on with."""
    found: dict[str, object] = {}
    group = (await db.execute(select(OrderGroup.id, OrderGroup.session_id, ShopperSession.display_name)
                              .join(ShopperSession, ShopperSession.id == OrderGroup.session_id)
                              .where(OrderGroup.cart_id == cart_id))).one_or_none()
    if group is not None:
        found["order_group"] = group.id
        found["paid_by"] = cs.Person(session=group.session_id, name=group.display_name)
    successor = (await db.execute(select(Cart.id, Cart.share_code).where(
        Cart.id == select(Cart.successor_id).where(Cart.id == cart_id).scalar_subquery()))).one_or_none()
    if successor is not None:
        found["next_cart"] = cs.NextCart(id=successor.id, share_code=successor.share_code)
    return found


async def cart_out(db: AsyncSession, head: CartHead) -> cs.CartOut:
    """The cart as members see it, with prices computed now."""
    members = await load_members(db, head.id)
    lines = await load_lines(db, head.id)
    pricing = await pricing_for(db, head.festival_id)
    terms = await load_terms(db, {line.store_id for line in lines})
    now = datetime.now(UTC)
    out_lines: list[cs.CartLineOut] = []
    stores: dict[str, cs.StoreSubtotal] = {}
    units: dict[int, int] = {}
    for line in lines:
        unit = units[line.id] = unit_price(line, pricing, now)
        out_lines.append(cs.CartLineOut(
            id=line.id, store=line.store_slug, sku=line.sku, name=line.name, quantity=line.quantity,
            unit_price=unit, regular_price=line.price, line_total=unit * line.quantity, available=line.stock,
            added_by=cs.Person(session=line.added_by, name=line.added_by_name),
        ))
        sub = stores.setdefault(line.store_slug, cs.StoreSubtotal(store=line.store_slug, merchant_id=line.merchant_id,
                                                                  lines=0, subtotal=0))
        sub.lines += 1
        sub.subtotal += unit * line.quantity
    fees = store_shipping(lines, units, terms, delivery=True, postal_code=None)
    slugs = {line.store_id: line.store_slug for line in lines}
    for sid, fee in fees.items():
        stores[slugs[sid]].shipping_fee = fee.base
        stores[slugs[sid]].free_shipping_over = terms[sid].rule.free_over
    total = sum(line.line_total for line in out_lines)
    shipping_total = sum(fee.base for fee in fees.values())
    after = await _checked_out(db, head.id) if head.status == "checked_out" else {}
    return cs.CartOut.model_validate({
        "id": head.id, "share_code": head.share_code, "status": head.status,  # the column holds open|checked_out
        "version": head.version, "currency": head.currency,
        "members": [cs.Member(session=sid, name=name, owner=sid == head.owner_session_id) for sid, name in members],
        "lines": out_lines, "stores": list(stores.values()), "total": total, "shipping_total": shipping_total,
        "grand_total": total + shipping_total, **after})


async def cart_quote(db: AsyncSession, head: CartHead, query: fs.QuoteQuery) -> fs.CartQuote:
    """What a checkout of the cart would charge now for this fulfilment: the goods and each store's shipping."""
    lines = await load_lines(db, head.id)
    pricing = await pricing_for(db, head.festival_id)
    terms = await load_terms(db, {line.store_id for line in lines})
    now = datetime.now(UTC)
    units = {line.id: unit_price(line, pricing, now) for line in lines}
    fees = store_shipping(lines, units, terms, delivery=query.type == "delivery", postal_code=query.postal_code)
    subtotals: dict[int, int] = {}
    slugs: dict[int, str] = {}
    for line in lines:
        subtotals[line.store_id] = subtotals.get(line.store_id, 0) + units[line.id] * line.quantity
        slugs[line.store_id] = line.store_slug
    stores = [fs.StoreQuote(store=slugs[sid], subtotal=sub, shipping_fee=fees[sid].fee,
                            remote_surcharge=fees[sid].surcharge, shipping_waived=fees[sid].waived,
                            total=sub + fees[sid].fee) for sid, sub in subtotals.items()]
    items = sum(subtotals.values())
    shipping_total = sum(f.fee for f in fees.values())
    return fs.CartQuote(cart=head.id, version=head.version, currency=head.currency, stores=stores, items_total=items,
                        shipping_total=shipping_total, total=items + shipping_total)
