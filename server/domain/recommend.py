"""Recommendations, sans I/O: what one shopper's visit adds to item-to-item co-occurrence, the memory behind the
personal shelf, and the bounds that keep both small and anonymous (docs/ANALYTICS.md, "Recommendations").

A *visit* is what this worker saw of one shopper session lately: the products it looked at (a look of about a
second, sampled from the live edge like the analytics ``view``, or a cart line it added) and bought (its paid
orders), most recent last. It lives in memory only: at most ``VISIT_ITEMS`` products per session, forgotten
after ``VISIT_IDLE_S`` without a new one, at most ``VISITS`` sessions (the least recently active go first).

When a product joins a visit it is paired with every product already in it, once: ``looked`` (both looked at in
one visit, unordered); a bought product also pairs with every other product of the visit as ``bought`` (looked at
``a``, bought ``b``). Each pair is a :class:`Contribution` of that session; the writer (services/recommend.py)
resolves the products, drops pairs across festivals, and counts each pair's distinct shoppers. A pair is shown
only when the one k-anonymity rule of the analytics lets it through (``analytics.suppressed``: 5 shoppers).
To tell shoppers apart below that threshold, on every worker and across restarts, the writer keeps one
:func:`tag` per shopper and pair: a keyed hash that names neither the session nor, without the key, anything
that links two pairs; the tags go once the pair reaches the threshold.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

from server.domain.analytics import suppressed

LOOKED: Final = "looked"
BOUGHT: Final = "bought"
Kind = Literal["looked", "bought"]

VISIT_ITEMS: Final = 20  # products remembered per session (its most recent)
VISIT_IDLE_S: Final = 2 * 3600.0  # a visit without a new look for this long is forgotten
VISITS: Final = 20_000  # sessions remembered per worker
PENDING: Final = 100_000  # contributions waiting for the writer at most (past it, the oldest are dropped)
TAG_DAYS: Final = 7  # a pair still below the threshold after this many days without a new shopper is deleted
SHELF_LOOKS: Final = 3  # the personal shelf answers for the session's most recent looks in the store's festival

Item = tuple[str, str]  # (store slug, sku) as the source named it


@dataclass(frozen=True, slots=True)
class Contribution:
    """Session ``session`` produced pair ``kind`` of ``a`` and ``b`` (for ``bought``: looked at a, bought b)."""

    session: int
    kind: Kind
    a: Item
    b: Item


@dataclass(slots=True)
class _Visit:
    items: OrderedDict[Item, None] = field(default_factory=OrderedDict)  # least recent first
    bought: set[Item] = field(default_factory=set)
    seen_at: float = 0.0


class Visits:
    """Every session's visit on this worker, and the contributions not yet written. O(VISIT_ITEMS) per look."""

    def __init__(self) -> None:
        self._visits: OrderedDict[int, _Visit] = OrderedDict()  # least recently active first
        self._pending: list[Contribution] = []

    def __len__(self) -> int:
        return len(self._visits)

    def look(self, session: int, item: Item, now: float) -> None:
        """The session looked at ``item`` (again: it only becomes the most recent)."""
        visit = self._visit(session, now)
        if item in visit.items:
            visit.items.move_to_end(item)
            return
        self._add(session, visit, item)

    def buy(self, session: int, items: Iterable[Item], now: float) -> None:
        """The session paid for ``items``: each is looked at, and bought after everything else of the visit (the
        other products of the same order too)."""
        visit = self._visit(session, now)
        fresh = [item for item in dict.fromkeys(items) if item not in visit.bought]
        for item in fresh:
            visit.bought.add(item)
            if item in visit.items:
                visit.items.move_to_end(item)
            else:
                self._add(session, visit, item)
        for item in fresh:
            self._emit(Contribution(session, BOUGHT, a, item) for a in visit.items if a != item)

    def recent(self, session: int, now: float) -> list[Item]:
        """The session's looks, most recent first (empty once the visit is forgotten)."""
        visit = self._visits.get(session)
        if visit is None or now - visit.seen_at > VISIT_IDLE_S:
            return []
        return list(reversed(visit.items))

    def forget(self, session: int) -> None:
        """Drop the session's visit and its contributions not yet written (it turned personalisation off)."""
        self._visits.pop(session, None)
        self._pending = [c for c in self._pending if c.session != session]

    def take(self, now: float) -> list[Contribution]:
        """The contributions since the last call (they are the writer's now); idle visits are forgotten."""
        while self._visits:
            session, visit = next(iter(self._visits.items()))
            if now - visit.seen_at <= VISIT_IDLE_S:
                break
            del self._visits[session]
        out, self._pending = self._pending, []
        return out

    def _visit(self, session: int, now: float) -> _Visit:
        visit = self._visits.get(session)
        if visit is None or now - visit.seen_at > VISIT_IDLE_S:
            visit = self._visits[session] = _Visit()
            while len(self._visits) > VISITS:
                self._visits.popitem(last=False)
        self._visits.move_to_end(session)
        visit.seen_at = now
        return visit

    def _add(self, session: int, visit: _Visit, item: Item) -> None:
        self._emit(Contribution(session, LOOKED, other, item) for other in visit.items)
        visit.items[item] = None
        while len(visit.items) > VISIT_ITEMS:
            visit.items.popitem(last=False)

    def _emit(self, contributions: Iterable[Contribution]) -> None:
        self._pending.extend(contributions)
        if len(self._pending) > PENDING:  # the writer is failing: stay bounded, keep the newest
            del self._pending[:len(self._pending) - PENDING]


def pair_key(kind: Kind, a: int, b: int) -> tuple[Kind, int, int]:
    """The stored form of a pair of products: ``looked`` is unordered (smaller id first), ``bought`` is not."""
    return (kind, min(a, b), max(a, b)) if kind == LOOKED else (kind, a, b)


def tag_key(secret: bytes) -> bytes:
    """The key of the tags, derived from the server's secret (so it is never used raw for two purposes)."""
    return hmac.new(secret, b"vrstore/recommend-tag/v1", hashlib.sha256).digest()


def tag(key: bytes, session: int, kind: Kind, a: int, b: int) -> int:
    """One shopper's mark on one pair: a keyed hash of (session, pair), 63 bits. Two shoppers share one with
    probability 2^-63, which can only undercount (hide a pair longer), never overcount."""
    digest = hmac.new(key, f"{session}:{kind}:{a}:{b}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def shown(shoppers: int) -> bool:
    """Whether a pair may be shown: the analytics' k-anonymity rule, the one place it is stated."""
    return not suppressed(shoppers)
