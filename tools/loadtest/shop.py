"""``vrstore loadtest --behaviour``: shoppers who shop (loadtest.behaviour) instead of only walking, for demos
and for the analytics dashboards: each browses a store's zones, looks at products, adds some to a cart with a
probability that falls with the price and may check out. Ends with the generator's own counts (what the
server's analytics should show, give or take the privacy rule)."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

from loadtest.behaviour import Behaviour, Shelf, ShopperLog, plan_visit, run_visit
from loadtest.run import LoadtestError, read_stores


async def shelves_of(http: aiohttp.ClientSession, url: str, store: str, zones: dict[str, str]) -> list[Shelf]:
    """The products of a store's scene with their prices (from the product list) and where to stand."""
    plans, _ = await read_stores(http, url, (store,), Console(quiet=True))
    async with http.get(f"/api/v1/stores/{store}/products?limit=200") as r:
        prices = {p["sku"]: int(p["unit_price"]) for p in (await r.json())["items"]
                  if p.get("stock", 1) > 0}
    return [Shelf(p.sku, prices[p.sku], p.x, p.z, zones.get(p.sku, "")) for p in plans[store].products
            if p.sku in prices]


async def shop(url: str, stores: tuple[str, ...], shoppers: int, *, seed: int, ramp: float,
               behaviour: Behaviour | None = None) -> ShopperLog:
    log = ShopperLog()
    rng = random.Random(seed)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(url, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as http:
        shelves = {s: await shelves_of(http, url, s, {}) for s in stores}
        if not any(shelves.values()):
            raise LoadtestError("no store has products placed in its scene: nothing to shop for")

        async def one(i: int) -> None:
            await asyncio.sleep(ramp * i / max(1, shoppers))  # arrivals spread over the ramp
            async with http.post("/api/v1/sessions", json={"display_name": f"shopper {i}"}) as r:
                token = str((await r.json())["token"])
            store = stores[i % len(stores)]
            steps = plan_visit(random.Random(rng.random()), shelves[store], behaviour)
            async with aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as own:
                await run_visit(url, store, token, steps, log, own)

        results = await asyncio.gather(*(one(i) for i in range(shoppers)), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if len(failed) == shoppers:
        raise LoadtestError(f"every shopper failed, the first with: {failed[0]!r}")
    return log


def summary(log: ShopperLog) -> dict[str, Any]:
    return {"visits": log.entries, "looks": sum(log.looks.values()), "adds": sum(log.adds.values()),
            "checkouts": log.checkouts, "orders": log.orders, "revenue": log.revenue,
            "dwell_s": round(log.dwell_s, 1), "looks_by_sku": log.looks, "adds_by_sku": log.adds}


def shop_command(console: Console, url: str, stores: tuple[str, ...], shoppers: int, seed: int, ramp: float,
                 json_out: Path | None) -> None:
    console.print(f"{shoppers} shoppers shopping in {', '.join(stores)} (arriving over {ramp:g} s) …")
    log = asyncio.run(shop(url, stores, shoppers, seed=seed, ramp=ramp))
    out = summary(log)
    t = Table(title="what the shoppers did (the generator's own count)")
    for col in ("visits", "looks", "adds", "checkouts", "orders", "revenue", "dwell s"):
        t.add_column(col, justify="right")
    t.add_row(str(out["visits"]), str(out["looks"]), str(out["adds"]),
              ", ".join(f"{k} {v}" for k, v in sorted(log.checkouts.items())) or "0", str(out["orders"]),
              str(out["revenue"]), str(out["dwell_s"]))
    console.print(t)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
