"""The one pricing rule, used by the store API, the cart, the checkout, search (whose SQL states it as
``unit_price_sql``) and (through the API) the client.

    base       = the merchant's sale price if it has one, else the regular price
    percent    = the largest festival discount rule that matches the product, only while the festival's
                 sale window is open (a rule matches when its store is the product's store or unset, and
                 its category is a prefix of the product's category path or unset); rules never stack
    unit price = floor(base × (100 − percent) / 100), in integer minor units

Flooring to the minor unit means a rounding remainder always goes to the shopper. Amounts stay integers
end to end (KRW has no minor unit, so 1 unit = 1 won).

Shipping is priced here too, once per store of an order (``shipping``):

    base       = 0 when the store's free-shipping threshold is set and the store's subtotal reaches it,
                 else the store's flat fee
    surcharge  = the largest surcharge of the store's remote areas whose postal code range holds the address
                 (islands and remote areas, e.g. Jeju 63000–63644); it applies even when the base is free
    fee        = base + surcharge for a delivery; 0 for a pickup
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.sale_window import within_sale_window
from server.persistence import statements as sql

CATEGORY_SEPARATOR = " > "


@dataclass(frozen=True)
class Rule:
    id: int
    percent: int
    store_id: int | None = None
    category: str | None = None

    def matches(self, store_id: int, category: str) -> bool:
        if self.store_id is not None and self.store_id != store_id:
            return False
        if not self.category:
            return True
        wanted = [part.strip().casefold() for part in self.category.split(">")]
        have = [part.strip().casefold() for part in category.split(">")]
        return have[: len(wanted)] == wanted


@dataclass(frozen=True)
class FestivalPricing:
    starts_at: datetime | None
    ends_at: datetime | None
    rules: tuple[Rule, ...] = ()

    def window_open(self, now: datetime) -> bool:
        return within_sale_window(self.starts_at, self.ends_at, now)


@dataclass(frozen=True)
class Quote:
    regular: int
    unit_price: int
    currency: str
    on_sale: bool
    festival_percent: int
    rule_id: int | None
    sale_ends_at: datetime | None


def quote(
    *, price: int, sale_price: int | None, currency: str, store_id: int, category: str,
    festival: FestivalPricing, now: datetime,
) -> Quote:
    """Price one unit of a product now."""
    base = base_price(price, sale_price)
    best = best_rule(festival, store_id=store_id, category=category, now=now)
    percent = best.percent if best else 0
    unit = base * (100 - percent) // 100
    return Quote(
        regular=price, unit_price=unit, currency=currency, on_sale=unit < price, festival_percent=percent,
        rule_id=best.id if best else None, sale_ends_at=festival.ends_at if best else None,
    )


def base_price(price: int, sale_price: int | None) -> int:
    """What a festival discount applies to: the sale price where it is below the price, else the price."""
    return sale_price if sale_price is not None and sale_price < price else price


def best_rule(festival: FestivalPricing, *, store_id: int, category: str, now: datetime) -> Rule | None:
    """The festival discount rule that applies to a product of ``store_id`` and ``category`` now, if any."""
    best: Rule | None = None
    if festival.window_open(now):
        for rule in festival.rules:
            if rule.matches(store_id, category) and (best is None or rule.percent > best.percent):
                best = rule
    return best


def unit_price_sql(*, price: str, sale_price: str, percent: str) -> str:
    """``quote``'s unit price as a SQL expression over integer columns (SQLite and PostgreSQL alike), for reads
    that filter, count and sort whole catalogs by price (search): the same rule, a test holds them equal.
    ``percent`` is an expression giving each row's ``best_rule`` percent (0 without one). Integer division
    truncates in both databases, which is the floor here: every amount is non-negative."""
    base = f"(CASE WHEN {sale_price} IS NOT NULL AND {sale_price} < {price} THEN {sale_price} ELSE {price} END)"
    return discounted_sql(base, percent)


def discounted_sql(base: str, percent: str) -> str:
    """``quote``'s festival discount of a base price (the lower of price and sale price) as SQL; see
    :func:`unit_price_sql`. Monotone in ``base``: the lowest base of a group gives its lowest unit price."""
    return base if percent == "0" else f"({base} * (100 - ({percent})) / 100)"


@dataclass(frozen=True)
class RemoteArea:
    """Postal codes ``first``..``last`` (5-digit Korean codes, inclusive) cost ``surcharge`` more to reach."""

    first: int
    last: int
    surcharge: int


@dataclass(frozen=True)
class ShippingRule:
    """What a store's merchant set: no row means free delivery."""

    flat_fee: int = 0
    free_over: int | None = None
    remote: tuple[RemoteArea, ...] = ()


@dataclass(frozen=True)
class ShippingQuote:
    fee: int
    base: int
    surcharge: int
    waived: bool  # the flat fee was waived: the subtotal reached the free-shipping threshold


def postal_number(postal_code: str | None) -> int | None:
    """A Korean postal code as a number (``"63 000"``, ``"63-000"`` → 63000); None when it is no 5-digit code."""
    digits = "".join(ch for ch in (postal_code or "") if ch not in " -")
    return int(digits) if len(digits) == 5 and digits.isascii() and digits.isdigit() else None


def shipping(rule: ShippingRule, *, subtotal: int, postal_code: str | None, delivery: bool) -> ShippingQuote:
    """One store's shipping fee for an order of ``subtotal`` (its lines priced by ``quote``)."""
    if not delivery:
        return ShippingQuote(0, 0, 0, False)
    waived = rule.free_over is not None and subtotal >= rule.free_over and rule.flat_fee > 0
    base = 0 if waived else rule.flat_fee
    code = postal_number(postal_code)
    surcharge = max((a.surcharge for a in rule.remote if code is not None and a.first <= code <= a.last), default=0)
    return ShippingQuote(base + surcharge, base, surcharge, waived)


async def load_pricing(db: AsyncSession, festival_id: int) -> FestivalPricing:
    """The festival's window and rules, read in the caller's transaction."""
    return await db.run_sync(lambda s: load_pricing_sync(s.connection(), festival_id))


def load_pricing_sync(conn: Connection, festival_id: int) -> FestivalPricing:
    """``load_pricing`` for synchronous transactions (see sync_tx): one read."""
    rows = sql.PRICING.rows(conn, {"p_festival": festival_id})
    if not rows:
        return FestivalPricing(None, None)
    rules = tuple(Rule(rule_id, percent, store_id, category)
                  for _, _, rule_id, percent, store_id, category in rows if rule_id is not None)
    return FestivalPricing(starts_at=rows[0][0], ends_at=rows[0][1], rules=rules)
