"""Checkout benchmark: a real server process, concurrent buyers, a flash sale; SQLite and PostgreSQL.

Every measured row uses ``--buyers`` fresh shoppers, each with a session and a cart of 1–3 lines of
``--products`` products (plenty of stock), each checking out once with a unique Idempotency-Key:

- ``closed N``: N connections, each sending its next checkout as soon as the last one answered. This
  saturates the server, so it measures the maximum throughput; its latency is mostly queueing (about
  N / throughput), not the cost of a checkout.
- ``open R/s``: checkouts arrive at R per second (Poisson), whatever the server does, over as many
  connections as needed. Latency counts from the scheduled arrival (no coordinated omission), so its
  p99 is what a buyer sees at that load. The target is judged on this row with R = 500.

Each row also reports the load generator's CPU (this process; one core at most, as it is one asyncio
loop) and the server process's CPU (both threads of one process share one GIL). A generator above 90 %
of a core is flagged: the row is then a lower bound. After the rows: oversold (units taken from stock vs
units in orders, and any negative stock). Then the flash sale: ``--flash-buyers`` shoppers race for
``--flash-stock`` units of one product over the largest closed-loop connection count.

Run: ``.venv/bin/python bench/checkout.py [--pg-url postgresql+asyncpg://user@host:port/db]``
Writes bench/results/checkout.json (one entry per backend, merged with earlier runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
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

from server.persistence.tables import Product, Store  # noqa: E402

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


@dataclass
class Run:
    """One measured phase: what was asked, what came back, and what it cost whom."""

    label: str
    wall: float
    latencies: list[float]
    statuses: dict[int, int]
    generator_cpu: float  # share of one core, this process
    server_cpu: float | None  # share of one core, the server process (Linux /proc), None elsewhere


def process_cpu_s(pid: int) -> float | None:
    """utime + stime of a process in seconds, from /proc (None where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def checkout_once(api: Api, token: str, cart: int) -> int:
    status, _ = await api.call("POST", f"/api/v1/carts/{cart}/checkout", token, BODY,
                               {"Idempotency-Key": uuid.uuid4().hex})
    return status


async def measured(label: str, server_pid: int, work: Any) -> Run:
    """Run ``work`` (a coroutine returning latencies and statuses) with wall clock and CPU accounting."""
    server0, cpu0, started = process_cpu_s(server_pid), time.process_time(), time.perf_counter()
    latencies, statuses = await work
    wall = time.perf_counter() - started
    server1 = process_cpu_s(server_pid)
    server_cpu = (server1 - server0) / wall if server0 is not None and server1 is not None else None
    return Run(label, wall, latencies, statuses, (time.process_time() - cpu0) / wall, server_cpu)


async def closed_loop(api: Api, buyers: list[tuple[str, int]], connections: int
                      ) -> tuple[list[float], dict[int, int]]:
    """``connections`` workers, each checking out its next buyer as soon as the last one answered."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(buyers)

    async def worker() -> None:
        for token, cart in queue:
            started = time.perf_counter()
            status = await checkout_once(api, token, cart)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, statuses


async def open_loop(api: Api, buyers: list[tuple[str, int]], rate: float) -> tuple[list[float], dict[int, int]]:
    """Poisson arrivals at ``rate``/s; each latency counts from its scheduled arrival."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    rng = random.Random(7)
    loop = asyncio.get_running_loop()
    at = loop.time() + 0.1
    arrivals = []
    for _ in buyers:
        at += rng.expovariate(rate)
        arrivals.append(at)

    async def one(when: float, token: str, cart: int) -> None:
        await asyncio.sleep(max(0.0, when - loop.time()))  # waiting for the scheduled arrival time
        status = await checkout_once(api, token, cart)
        latencies.append(loop.time() - when)
        statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(one(when, t, c) for when, (t, c) in zip(arrivals, buyers, strict=True)))
    return latencies, statuses


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


async def make_buyers(api: Api, count: int, products: int, rng: random.Random) -> list[tuple[str, int]]:
    sem = asyncio.Semaphore(32)
    plans = [[("dept" if i % 2 else "market", f"P{i}") for i in rng.sample(range(products), rng.randint(1, 3))]
             for _ in range(count)]
    return list(await asyncio.gather(*(buyer_setup(api, plan, sem) for plan in plans)))


def row(run: Run) -> dict[str, Any]:
    ok = run.statuses.get(201, 0)
    return {"load": run.label, "checkouts": ok, "statuses": {str(k): v for k, v in run.statuses.items()},
            "seconds": round(run.wall, 2), "checkouts_per_s": round(ok / run.wall, 1),
            "p50_ms": round(pct(run.latencies, 0.5), 2), "p99_ms": round(pct(run.latencies, 0.99), 2),
            "generator_cpu": round(run.generator_cpu, 2),
            "server_cpu": None if run.server_cpu is None else round(run.server_cpu, 2)}


async def bench(backend: str, db_url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vrstore-bench-") as tmp:
        data_dir = Path(tmp)
        url = db_url or f"sqlite+aiosqlite:///{(data_dir / 'vrstore.db').resolve()}"
        server = _server.start(data_dir, db_url)
        pid = server.process.pid
        rows = []
        try:
            # Enough client connections that the open loop never queues in the client.
            connector = aiohttp.TCPConnector(limit=max([*args.connections, 1024]))
            async with aiohttp.ClientSession(connector=connector) as http:
                api = Api(http, server.url)
                await seed(server, url, api, args.products, args.flash_stock)
                rng = random.Random(1)
                for connections in args.connections:
                    buyers = await make_buyers(api, args.buyers, args.products, rng)
                    run = await measured(f"closed {connections}", pid, closed_loop(api, buyers, connections))
                    rows.append(row(run))
                if args.rate:
                    buyers = await make_buyers(api, args.buyers, args.products, rng)
                    run = await measured(f"open {args.rate:g}/s", pid, open_loop(api, buyers, args.rate))
                    rows.append(row(run))
                sold, taken, negative = await oversold(url)
                sem = asyncio.Semaphore(32)
                flash = await asyncio.gather(*(buyer_setup(api, [("dept", "FLASH")], sem)
                                               for _ in range(args.flash_buyers)))
                # The flash sale's buyers want 1 unit each (setup added 1–3; normalise to 1).
                for token, cart in flash:
                    _, cart_out = await api.call("GET", f"/api/v1/carts/{cart}", token)
                    line = cart_out["lines"][0]["id"]
                    await api.call("PATCH", f"/api/v1/carts/{cart}/lines/{line}", token, {"quantity": 1})
                flash_run = await measured("flash", pid, closed_loop(api, flash, max(args.connections)))
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
        "backend": backend, "buyers_per_row": args.buyers, "rows": rows, "units_sold": sold, "stock_taken": taken,
        "oversold": abs(taken - sold) + negative,
        "flash": {"buyers": args.flash_buyers, "stock": args.flash_stock, "succeeded": flash_run.statuses.get(201, 0),
                  "statuses": {str(k): v for k, v in flash_run.statuses.items()}, "stock_left": flash_left,
                  "oversold": max(0, int(flash_sold) - args.flash_stock) + (1 if flash_left < 0 else 0),
                  "connections": max(args.connections), "seconds": round(flash_run.wall, 2),
                  "p99_ms": round(pct(flash_run.latencies, 0.99), 2)},
    }


def print_results(results: list[dict[str, Any]]) -> None:
    console = Console(width=160)
    table = Table(title="Checkout (target on 2 cores, SQLite, one server process: ≥ 500 checkouts/s with p99 < 100 ms, "
                        "0 oversold)")
    for col in ("backend", "load", "checkouts", "checkouts/s", "p50 ms", "p99 ms", "generator CPU", "server CPU"):
        table.add_column(col, justify="right")
    saturated = False
    for r in results:
        for x in r["rows"]:
            saturated |= x["generator_cpu"] >= 0.9
            server_cpu = "n/a" if x["server_cpu"] is None else f"{x['server_cpu']:.0%}"
            table.add_row(r["backend"], x["load"], str(x["checkouts"]), f"{x['checkouts_per_s']:.0f}",
                          f"{x['p50_ms']:.1f}", f"{x['p99_ms']:.1f}", f"{x['generator_cpu']:.0%}", server_cpu)
    console.print(table)
    console.print("closed N = N connections back to back: maximum throughput; latency ≈ N / throughput (queueing).\n"
                  "open R/s = Poisson arrivals at R/s: p99 from the scheduled arrival, what a buyer sees at that "
                  "load.\nCPU = share of one core (generator: this process; server: the server process).")
    if saturated:
        console.print("[bold red]the load generator was saturated (≥ 90 % of a core) in some row: that row is a "
                      "lower bound of the server's capacity[/]")
    flash = Table(title="Oversold and the flash sale")
    for col in ("backend", "oversold", "flash: won/stock", "flash oversold", "flash stock left", "flash p99 ms"):
        flash.add_column(col, justify="right")
    for r in results:
        f = r["flash"]
        flash.add_row(r["backend"], str(r["oversold"]), f"{f['succeeded']}/{f['stock']}", str(f["oversold"]),
                      str(f["stock_left"]), f"{f['p99_ms']:.1f}")
    console.print(flash)


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
    parser.add_argument("--connections", default="64",
                        help="closed-loop rows: comma-separated connection counts (e.g. 64,16)")
    parser.add_argument("--rate", type=float, default=500.0,
                        help="open-loop row: offered checkouts per second (0: no such row)")
    parser.add_argument("--flash-buyers", type=int, default=1000)
    parser.add_argument("--flash-stock", type=int, default=10)
    args = parser.parse_args()
    args.connections = [int(c) for c in str(args.connections).split(",") if c.strip()]
    results = []
    if not args.skip_sqlite:
        results.append(await bench("sqlite", None, args))
    if args.pg_url:
        url = await fresh_pg_database(args.pg_url)
        try:
            results.append(await bench("postgresql", url, args))
        finally:
            await drop_pg_database(args.pg_url, url)
    print_results(results)
    out = ROOT / "bench" / "results" / "checkout.json"
    merged = json.loads(out.read_text()) if out.exists() else {}
    merged.update({r["backend"]: r for r in results})
    out.parent.mkdir(parents=True, exist_ok=True)  # bench/results/ is not in the repository
    out.write_text(json.dumps(merged, indent=1, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    asyncio.run(main())
