"""A shopper's behaviour for demos and analytics tests: browse zones, look at products, add some to the cart
with a probability that falls with the price, and check out.

:func:`plan_visit` is pure and seeded (the same seed, the same visit). :func:`run_visit` plays one plan against a
server (the live socket and the REST API) and writes what it did into a :class:`ShopperLog`, the generator's own
record that tests compare the server's analytics with. Looks last at least ``MIN_LOOK_S`` and are separated by at
least ``MIN_GAP_S`` without a look, so the server's once-a-second sampling sees every one of them.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from server.live.client import LiveClient

MIN_LOOK_S = 2.2  # > 2 samples: a look is seen whatever the phase of the server's sampling
MIN_GAP_S = 2.2


@dataclass(frozen=True)
class Shelf:
    """A product a shopper may look at: where to stand (metres) and its price (minor units)."""

    sku: str
    price: int
    x: float
    z: float
    zone: str = ""


@dataclass(frozen=True)
class Behaviour:
    looks: tuple[int, int] = (2, 5)  # products looked at per visit
    look_s: tuple[float, float] = (MIN_LOOK_S, 4.0)
    gap_s: tuple[float, float] = (MIN_GAP_S, 3.5)
    add_at_ref: float = 0.45  # the chance to add a product priced ``price_ref``
    price_ref: int = 20_000
    checkout: float = 0.7  # the chance to check out a non-empty cart
    decline: float = 0.1  # the chance the card is declined (the test provider's tok_decline)
    panel: float = 0.5  # the chance a look opens the product's panel
    option: float = 0.3  # the chance an open panel gets another option chosen


def add_probability(price: int, b: Behaviour) -> float:
    """Cheaper products are put in the cart more often: p = add_at_ref · √(price_ref / price), at most 0.95."""
    return min(0.95, b.add_at_ref * math.sqrt(b.price_ref / max(price, 1)))


@dataclass(frozen=True)
class Step:
    kind: Literal["look", "add", "checkout"]
    sku: str = ""
    seconds: float = 0.0
    gap: float = 0.0
    x: float = 0.0
    z: float = 0.0
    token: str = "tok_visa"
    panel: bool = False  # a look that opens the product's panel
    option: bool = False  # … and chooses another option in it


def plan_visit(rng: random.Random, shelves: list[Shelf], b: Behaviour | None = None) -> list[Step]:
    """One visit: a few looks (by zone, as a shopper browses one area then the next), adds, maybe a checkout."""
    b = b or Behaviour()
    if not shelves:
        return []
    n = min(len(shelves), rng.randint(*b.looks))
    picked = sorted(rng.sample(shelves, n), key=lambda s: (s.zone, s.x))
    steps: list[Step] = []
    added = False
    for s in picked:
        panel = rng.random() < b.panel
        steps.append(Step("look", s.sku, round(rng.uniform(*b.look_s), 2), round(rng.uniform(*b.gap_s), 2), s.x, s.z,
                          panel=panel, option=panel and rng.random() < b.option))
        if rng.random() < add_probability(s.price, b):
            steps.append(Step("add", s.sku))
            added = True
    if added and rng.random() < b.checkout:
        steps.append(Step("checkout", token="tok_decline" if rng.random() < b.decline else "tok_visa"))
    return steps


@dataclass
class ShopperLog:
    """What the generator did, counted on its side: looks, panels, options and adds by sku, checkouts by outcome,
    time inside."""

    entries: int = 0
    looks: dict[str, int] = field(default_factory=dict)
    panels: dict[str, int] = field(default_factory=dict)
    options: dict[str, int] = field(default_factory=dict)
    adds: dict[str, int] = field(default_factory=dict)
    checkouts: dict[str, int] = field(default_factory=dict)
    orders: int = 0
    revenue: int = 0
    dwell_s: float = 0.0
    lookers: dict[str, set[str]] = field(default_factory=dict)  # sku → sessions, for the privacy threshold

    def count(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1


_OUTCOMES = {201: "paid", 402: "declined", 409: "out_of_stock"}  # as the server's checkout metric names them
FULFILMENT = {"type": "delivery", "address": {"name": "김민지", "phone": "010-1234-5678", "line1": "세종대로 110",
                                              "city": "서울", "postal_code": "04524"}}


async def run_visit(base_url: str, store: str, token: str, steps: list[Step], log: ShopperLog,
                    http: aiohttp.ClientSession, *, pose_hz: float = 4.0) -> None:
    """Play ``steps`` as one shopper: join, walk and look, add, check out, leave; log each act as it is done."""
    headers = {"Authorization": f"Bearer {token}"}
    client = await LiveClient.connect(base_url, store, token, decode_ticks=False, keep_ticks=False)
    joined = time.monotonic()
    log.entries += 1
    cart: int | None = None
    try:
        for step in steps:
            if step.kind == "look":
                await client.send_pose(step.x, 1.6, step.z)
                await client.send({"type": "focus", "sku": step.sku})
                log.count(log.looks, step.sku)
                log.lookers.setdefault(step.sku, set()).add(token)
                if step.panel:
                    await client.send({"type": "look", "what": "panel", "sku": step.sku})
                    log.count(log.panels, step.sku)
                if step.option:
                    await client.send({"type": "look", "what": "option", "sku": step.sku})
                    log.count(log.options, step.sku)
                await _hold(client, step.x, step.z, step.seconds, pose_hz)
                await client.send({"type": "focus", "sku": None})
                await _hold(client, step.x + 0.6, step.z, step.gap, pose_hz)
            elif step.kind == "add":
                if cart is None:
                    cart = int((await _json(http, "POST", f"{base_url}/api/v1/carts", headers))["id"])
                await _json(http, "POST", f"{base_url}/api/v1/carts/{cart}/lines", headers,
                            {"store": store, "sku": step.sku, "quantity": 1})
                log.count(log.adds, step.sku)
            elif step.kind == "checkout" and cart is not None:
                async with http.post(f"{base_url}/api/v1/carts/{cart}/checkout", headers={
                        **headers, "Idempotency-Key": f"visit-{cart}"},
                        json={"fulfilment": FULFILMENT, "payment": {"provider": "test", "token": step.token}}) as r:
                    body = await r.json()
                    log.count(log.checkouts, _OUTCOMES.get(r.status, "rejected"))
                    if r.status == 201:
                        log.orders += len(body["orders"])
                        log.revenue += int(body["total"])
    finally:
        await client.close()
        log.dwell_s += time.monotonic() - joined


async def _hold(client: LiveClient, x: float, z: float, seconds: float, hz: float) -> None:
    """Stand at (x, z) for ``seconds``, sending a pose ``hz`` times a second (a shopper's head never rests)."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        await client.send_pose(x, 1.6, z)
        await asyncio.sleep(min(left, 1.0 / hz))


async def _json(http: aiohttp.ClientSession, method: str, url: str, headers: dict[str, str],
                body: dict[str, Any] | None = None) -> dict[str, Any]:
    async with http.request(method, url, headers=headers, json=body) as r:
        out: dict[str, Any] = await r.json()
        if r.status >= 400:
            raise RuntimeError(f"{method} {url}: {r.status} {out}")
        return out
