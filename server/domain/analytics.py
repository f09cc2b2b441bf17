"""Festival analytics, sans I/O: per-minute counters fed where things happen, and the one k-anonymity rule.

The live edge and the service events feed an :class:`Accumulator` in memory; once a minute the app takes the
minutes that have ended (:meth:`Accumulator.take`) as :class:`Row` s and writes them in one batch. What a row
counts, per wall-clock minute (UTC) and store (``store`` is ``""`` for festival-wide rows):

=========  ==========  =====================================================  =============================
kind       key         ``n``                                                  ``value``
=========  ==========  =====================================================  =============================
enter      ``""``      shoppers who entered the store (a resumed seat is not a new visit)
visit      ``""``      shopper-seconds present (one sample a second)
dwell      ``""``      visits that ended                                      their seconds in the store
view       sku         times a shopper started looking at the product (a
                       look held for at least one sample, i.e. ~1 s)
cell       ``"x,z"``   shopper-seconds in that ``CELL_CM`` floor cell
panel      sku         times a shopper opened the product's panel
option     sku         times a shopper chose another option (size, colour …) in
                       the panel; ``sku`` is the variant chosen
add        sku         lines added to a cart
remove     sku         lines removed from a cart
order      currency    orders paid                                            their total (minor units)
cancel     currency    orders cancelled                                       their total
checkout   outcome     checkouts that ended with ``outcome`` (paid, declined, out_of_stock …); festival-wide
=========  ==========  =====================================================  =============================

``shoppers`` is the number of distinct shoppers behind ``n`` within that minute and that worker. Shoppers are
told apart only here, in memory, by Python's ``hash`` of the session id (randomly salted per process); the
sets are dropped when the minute is taken. Nothing per shopper is ever written.

Privacy (:func:`suppressed`): an answer shows a cell, product, store or segment only when at least ``K_MIN``
distinct shoppers stand behind it. Over a range of minutes the distinct count is not stored; the rule uses the
largest per-minute count, a lower bound of the true one, so it can hide too much but never too little.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Final

from server.domain.events import CartChanged, CheckoutEnded, Event, OrderChanged

K_MIN: Final = 5  # fewer distinct shoppers than this: suppressed in every answer
CELL_CM: Final = 50  # the floor grid: 0.5 m cells (poses are in centimetres)
KINDS: Final = ("enter", "visit", "dwell", "view", "cell", "panel", "option", "add", "remove", "order", "cancel",
                "checkout")

# One sample of a present shopper: (session, focused sku or None, x cm, z cm) — the position None before a pose.
Glance = tuple[str, str | None, int | None, int | None]


def minute_of(wall: float) -> int:
    """The start (epoch seconds) of the wall-clock minute holding ``wall``."""
    return int(wall // 60) * 60


def cell_of(x_cm: int, z_cm: int) -> str:
    """The floor cell of a position, as the row key ``"x,z"`` (cell indices; cell 0 starts at the origin)."""
    return f"{x_cm // CELL_CM},{z_cm // CELL_CM}"


def suppressed(shoppers: int) -> bool:
    """THE k-anonymity rule: an aggregate behind fewer than ``K_MIN`` distinct shoppers is not shown."""
    return shoppers < K_MIN


@dataclass(frozen=True, slots=True)
class Row:
    """One counter of one minute, as written. ``cart`` is set only for checkout rows whose festival the writer
    still has to look up (the checkout knows its cart, not its festival)."""

    minute: int
    festival: str
    store: str
    kind: str
    key: str
    n: int
    shoppers: int
    value: float = 0.0
    cart: int | None = None


@dataclass(slots=True)
class _Count:
    n: int = 0
    value: float = 0.0
    who: set[int] = field(default_factory=set)


_Key = tuple[str, str, str, str, int | None]  # festival, store, kind, key, cart


class Accumulator:
    """The counters of the minutes not yet taken. Every method is O(1) per shopper and never blocks."""

    def __init__(self) -> None:
        self._minutes: dict[int, dict[_Key, _Count]] = {}
        self._looking: dict[tuple[str, str], str] = {}  # (store, session) → the sku seen at the last sample

    def _count(self, wall: float, key: _Key, who: str | int | None, n: int = 1, value: float = 0.0) -> None:
        counts = self._minutes.setdefault(minute_of(wall), {})
        c = counts.get(key)
        if c is None:
            c = counts[key] = _Count()
        c.n += n
        c.value += value
        if who is not None:
            c.who.add(hash(who))

    # ------------------------------------------------------------ the live edge

    def enter(self, wall: float, festival: str, store: str, session: str) -> None:
        self._count(wall, (festival, store, "enter", "", None), session)

    def leave(self, wall: float, festival: str, store: str, session: str, seconds: float) -> None:
        self._count(wall, (festival, store, "dwell", "", None), session, value=max(0.0, seconds))
        self._looking.pop((store, session), None)

    def sample(self, wall: float, festival: str, store: str, glances: Iterable[Glance]) -> None:
        """One second of a store's present shoppers: presence, where they stand, and what they look at."""
        looking = self._looking
        for session, sku, x, z in glances:
            self._count(wall, (festival, store, "visit", "", None), session)
            if x is not None and z is not None:
                self._count(wall, (festival, store, "cell", cell_of(x, z), None), session)
            was = looking.get((store, session))
            if sku is None:
                looking.pop((store, session), None)
            elif sku != was:
                looking[(store, session)] = sku
                self._count(wall, (festival, store, "view", sku, None), session)

    def looks(self, wall: float, festival: str, store: str, looks: Iterable[tuple[str, str, str]]) -> None:
        """A store's panel openings and option changes since the last sample: (session, kind, sku)."""
        for session, kind, sku in looks:
            self._count(wall, (festival, store, kind, sku, None), session)

    # ------------------------------------------------------------ service events

    def cart_line(self, wall: float, store: str, sku: str, kind: str, session: int | None) -> None:
        """``add`` or ``remove`` (the writer finds the store's festival)."""
        self._count(wall, ("", store, kind, sku, None), session)

    def order(self, wall: float, store: str, status: str, currency: str, total: int, session: int | None) -> None:
        kind = "order" if status == "paid" else "cancel" if status == "cancelled" else None
        if kind is not None:
            self._count(wall, ("", store, kind, currency, None), session, value=float(total))

    def checkout(self, wall: float, cart: int, outcome: str, session: int | None) -> None:
        self._count(wall, ("", "", "checkout", outcome, cart), session)

    # ------------------------------------------------------------ the writer

    def take(self, before_wall: float) -> list[Row]:
        """The rows of every minute that ended before ``before_wall``'s minute; they are forgotten here."""
        current = minute_of(before_wall) if before_wall != float("inf") else None
        rows = []
        for minute in sorted(m for m in self._minutes if current is None or m < current):
            for (festival, store, kind, key, cart), c in self._minutes.pop(minute).items():
                rows.append(Row(minute, festival, store, kind, key, c.n, len(c.who), c.value, cart))
        return rows

    def take_all(self) -> list[Row]:
        """Every row, the current minute's too (at shutdown)."""
        return self.take(float("inf"))


def merge(rows: Iterable[Row], festival_of_store: dict[str, str], festival_of_cart: dict[int, str]) -> list[Row]:
    """Rows with their festival filled in (rows of unknown stores or carts are dropped), same keys merged.

    Merging rows of different carts adds their distinct counts: a shopper in two carts of one minute counts
    twice there (rare; the suppression rule only ever reads a lower bound, see the module docstring)."""
    out: dict[tuple[int, str, str, str, str], Row] = {}
    for r in rows:
        festival = r.festival or (festival_of_cart.get(r.cart, "") if r.cart is not None
                                  else festival_of_store.get(r.store, ""))
        if not festival:
            continue
        k = (r.minute, festival, r.store, r.kind, r.key)
        if (old := out.get(k)) is None:
            out[k] = Row(r.minute, festival, r.store, r.kind, r.key, r.n, r.shoppers, r.value)
        else:
            out[k] = Row(r.minute, festival, r.store, r.kind, r.key, old.n + r.n, old.shoppers + r.shoppers,
                         old.value + r.value)
    return list(out.values())


# ------------------------------------------------------------ answers: time buckets

BUCKET_LIMIT_S: Final = {"minute": 2 * 86400, "hour": 62 * 86400, "day": 400 * 86400}  # longest range per bucket


def bucket_start(minute: int, bucket: str, tz: tzinfo) -> int:
    """The start (epoch seconds) of the minute, hour or day of the festival's time zone that holds ``minute``."""
    if bucket == "minute":
        return minute
    local = datetime.fromtimestamp(minute, tz)
    local = local.replace(minute=0, second=0) if bucket == "hour" else local.replace(hour=0, minute=0, second=0)
    return int(local.timestamp())


def bucket_starts(since: int, until: int, bucket: str, tz: tzinfo) -> list[int]:
    """Every bucket that overlaps [since, until), in order (time zones shift by multiples of 15 minutes)."""
    step = 60 if bucket == "minute" else 900
    out: list[int] = []
    for t in range(minute_of(since), until, step):
        b = bucket_start(t, bucket, tz)
        if not out or out[-1] != b:
            out.append(b)
    return out


def shown(value: float, shoppers: int) -> float | None:
    """``value``, or None when the k-anonymity rule hides it."""
    return None if suppressed(shoppers) else value


def record_event(acc: Accumulator, event: Event, wall: float) -> None:
    """A service event into the counters: cart lines added or removed, orders paid or cancelled, checkouts."""
    match event:
        case CartChanged(change=change) if change.get("type") in ("line_added", "line_removed"):
            kind = "add" if change["type"] == "line_added" else "remove"
            acc.cart_line(wall, str(change.get("store", "")), str(change.get("sku", "")), kind, event.by_session)
        case OrderChanged():
            # An order group is one shopper's checkout: it stands for that shopper in the distinct count.
            acc.order(wall, event.store, event.status, event.currency, event.total, event.group)
        case CheckoutEnded():
            acc.checkout(wall, event.cart, event.outcome, event.session)
        case _:
            pass


DECLINE_SPIKE_MIN: Final = 5  # declined checkouts in the window, at least …
DECLINE_SPIKE_SHARE: Final = 0.3  # … and at least this share of the attempts


def declines_spike(declined: int, attempts: int) -> bool:
    """The organizer's alert: many checkouts of the last minutes were declined (a payment provider in trouble)."""
    return declined >= DECLINE_SPIKE_MIN and attempts > 0 and declined / attempts >= DECLINE_SPIKE_SHARE
