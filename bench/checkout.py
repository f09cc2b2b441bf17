"""Checkout benchmark: a real server process, concurrent buyers, a flash sale; SQLite and PostgreSQL.

Phase 1 (throughput): ``--buyers`` shoppers each get a session and a cart with 1–3 lines of ``--products``
products (plenty of stock); then all check out at once over ``--connections`` connections, each with a
unique Idempotency-Key. Reported: checkouts/s over the checkout phase, p50/p99 of the checkout request,
and oversold (stock taken vs units sold in orders, and any negative stock).
Phase 2 (flash sale): ``--flash-buyers`` shoppers race for ``--flash-stock`` units of one product.

Run: ``.venv/bin/python bench/checkout.py [--pg-url postgresql+asyncpg://user@host:port/db]``
Writes bench/results/checkout.json (one entry per backend, merged with earlier runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _server  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from server.db.tables import Product, Store  # noqa: E402

ADDRESS = {"name": "김민지", "phone": "010-1234-5678", "line1": "세종대로 110", "city": "서울", "postal_code": "04524"}
BODY = {"fulfilment": {"type": "delivery", "address": ADDRESS}, "payment": {"provider": "test", "token": "tok_visa"}}


class Api:
    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url

    async def call(self, method: str, path: str, token: str | None = None, body: Any = None,
                   headers: dict[str, str] | None = None) -> tuple[int, Any]:
        hdrs = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
        async with self.http.request(method, self.url + path, json=body, headers=hdrs) as r:
            raw = await r.read()
            return r.status, json.loads(raw) if raw else None


async def seed(server: _server.Server, db_url: str, api: Api, products: int, flash_stock: int) -> None:
    organizer = (await asyncio.to_thread(server.cli, "admin", "create-festival", "--slug", "bench", "--name",
                                         "벤치")).strip().splitlines()[-1]
    _, merchant = await api.call("POST", "/api/v1/festivals/bench/merchants", organizer, {"name": "m"})
    for slug in ("dept", "market"):
        await api.call("POST", "/api/v1/stores", merchant["token"],
                       {"slug": slug, "name_ko": slug, "name_en": slug, "kind": "brand_shop"})
        await api.call("PUT", f"/api/v1/stores/{slug}/status", organizer, {"status": "approved"})
    engine = create_async_engine(db_url)
    try:
        async with engine.begin() as conn:
            stores = dict((await conn.execute(select(Store.slug, Store.id))).all())
            rows = [{"store_id": stores["dept" if i % 2 else "market"], "sku": f"P{i}", "name_ko": f"상품 {i}",
                     "category": "", "price": 1000 + 10 * i, "currency": "KRW", "stock": 1_000_000, "active": True,
                     "data_json": "{}"} for i in range(products)]
            rows.append({"store_id": stores["dept"], "sku": "FLASH", "name_ko": "한정판", "category": "",
                         "price": 99_000, "currency": "KRW", "stock": flash_stock, "active": True, "data_json": "{}"})
            await conn.execute(insert(Product), rows)
    finally:
        await engine.dispose()


async def buyer_setup(api: Api, lines: list[tuple[str, str]], sem: asyncio.Semaphore) -> tuple[str, int]:
    async with sem:
        _, session = await api.call("POST", "/api/v1/sessions", None, {"display_name": "buyer"})
        token = session["token"]
        _, cart = await api.call("POST", "/api/v1/carts", token)
        for store, sku in lines:
            status, _ = await api.call("POST", f"/api/v1/carts/{cart['id']}/lines", token,
                                       {"store": store, "sku": sku, "quantity": random.randint(1, 3)})
            assert status == 201, status
        return token, cart["id"]


async def run_checkouts(api: Api, buyers: list[tuple[str, int]], sem: asyncio.Semaphore
                        ) -> tuple[float, list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(token: str, cart: int) -> None:
        async with sem:
            started = time.perf_counter()
            status, _ = await api.call("POST", f"/api/v1/carts/{cart}/checkout", token, BODY,
                                       {"Idempotency-Key": uuid.uuid4().hex})
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(one(t, c) for t, c in buyers))
    return time.perf_counter() - started, latencies, statuses


async def oversold(db_url: str) -> tuple[int, int, int]:
    """(units sold, units taken from stock, products with negative stock)."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            sold = (await conn.execute(text("SELECT COALESCE(SUM(quantity), 0) FROM order_lines"))).scalar_one()
            rows = (await conn.execute(text("SELECT sku, stock FROM products"))).all()
    finally:
        await engine.dispose()
    initial = {sku: 1_000_000 for sku, _ in rows}
    return int(sold), sum(initial[sku] - stock for sku, stock in rows if sku != "FLASH"), sum(s < 0 for _, s in rows)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def bench(backend: str, db_url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vrstore-bench-") as tmp:
        data_dir = Path(tmp)
        url = db_url or f"sqlite+aiosqlite:///{(data_dir / 'vrstore.db').resolve()}"
        server = _server.start(data_dir, db_url)
        try:
            connector = aiohttp.TCPConnector(limit=args.connections)
            async with aiohttp.ClientSession(connector=connector) as http:
                api = Api(http, server.url)
                await seed(server, url, api, args.products, args.flash_stock)
                sem = asyncio.Semaphore(args.connections)
                rng = random.Random(1)
                plans = [[("dept" if i % 2 else "market", f"P{i}") for i in rng.sample(range(args.products),
                                                                                          rng.randint(1, 3))]
                         for _ in range(args.buyers)]
                buyers = await asyncio.gather(*(buyer_setup(api, plan, sem) for plan in plans))
                wall, latencies, statuses = await run_checkouts(api, buyers, sem)
                sold, taken, negative = await oversold(url)
                flash = await asyncio.gather(*(buyer_setup(api, [("dept", "FLASH")], sem)
                                               for _ in range(args.flash_buyers)))
                # The flash sale's buyers want 1 unit each (setup added 1–3; normalise to 1).
                for token, cart in flash:
                    _, cart_out = await api.call("GET", f"/api/v1/carts/{cart}", token)
                    line = cart_out["lines"][0]["id"]
                    await api.call("PATCH", f"/api/v1/carts/{cart}/lines/{line}", token, {"quantity": 1})
                flash_wall, flash_lat, flash_statuses = await run_checkouts(api, flash, sem)
            engine = create_async_engine(url)
            try:
                async with engine.connect() as conn:
                    flash_left = (await conn.execute(text("SELECT stock FROM products WHERE sku = 'FLASH'"))
                                  ).scalar_one()
                    flash_sold = (await conn.execute(text(
                        "SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE sku = 'FLASH'"))).scalar_one()
            finally:
                await engine.dispose()
        finally:
            server.stop()
    return {
        "backend": backend, "buyers": args.buyers, "connections": args.connections,
        "checkouts": statuses.get(201, 0), "statuses": {str(k): v for k, v in statuses.items()},
        "checkouts_per_s": round(statuses.get(201, 0) / wall, 1), "p50_ms": round(pct(latencies, 0.5), 2),
        "p99_ms": round(pct(latencies, 0.99), 2), "units_sold": sold, "stock_taken": taken,
        "oversold": abs(taken - sold) + negative,
        "flash": {"buyers": args.flash_buyers, "stock": args.flash_stock, "succeeded": flash_statuses.get(201, 0),
                  "statuses": {str(k): v for k, v in flash_statuses.items()}, "stock_left": flash_left,
                  "oversold": max(0, int(flash_sold) - args.flash_stock) + (1 if flash_left < 0 else 0),
                  "seconds": round(flash_wall, 2), "p99_ms": round(pct(flash_lat, 0.99), 2)},
    }


async def fresh_pg_database(base: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


async def drop_pg_database(base: str, url: str) -> None:
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", help="PostgreSQL server URL (a fresh database is created and dropped)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--flash-buyers", type=int, default=1000)
    parser.add_argument("--flash-stock", type=int, default=10)
    args = parser.parse_args()
    results = []
    if not args.skip_sqlite:
        results.append(await bench("sqlite", None, args))
    if args.pg_url:
        url = await fresh_pg_database(args.pg_url)
        try:
            results.append(await bench("postgresql", url, args))
        finally:
            await drop_pg_database(args.pg_url, url)
    table = Table(title="Checkout (target on 2 cores, SQLite: ≥ 500 checkouts/s, p99 < 100 ms, 0 oversold)")
    for col in ("backend", "checkouts", "checkouts/s", "p50 ms", "p99 ms", "oversold", "flash: won/stock",
                "flash oversold", "flash p99 ms"):
        table.add_column(col, justify="right")
    for r in results:
        f = r["flash"]
        table.add_row(r["backend"], str(r["checkouts"]), f"{r['checkouts_per_s']:.0f}", f"{r['p50_ms']:.1f}",
                      f"{r['p99_ms']:.1f}", str(r["oversold"]), f"{f['succeeded']}/{f['stock']}", str(f["oversold"]),
                      f"{f['p99_ms']:.1f}")
    Console(width=160).print(table)
    out = ROOT / "bench" / "results" / "checkout.json"
    merged = json.loads(out.read_text()) if out.exists() else {}
    merged.update({r["backend"]: r for r in results})
    out.write_text(json.dumps(merged, indent=1, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    asyncio.run(main())
