"""Scale-out benchmark: one worker versus ``vrstore serve --workers 2`` on PostgreSQL + Redis, in the same run.

Both configurations run the same code path (PostgreSQL, the Redis bus, seat ledger and resume store); only the
number of worker processes differs, so the ratio isolates what a second process buys on this machine.

1. **Realtime**: ``vrstore loadtest`` rows (one demo store, 10 Hz, K = 32) at ``--sizes`` shoppers: delivered
   poses per second, pose latency p50/p99, delivered share, CPU of all server processes, and the generator's
   own CPU beside it (flagged when saturated). Shoppers of one instance may sit on different workers; their
   poses then cross Redis (one batched message per instance per worker per tick).
2. **Checkout**: ``bench/checkout.py``'s closed loop (maximum throughput) and an open loop at ``--rate``
   (latency a buyer sees at that load) against the same servers.

Every row also reports the CPU of PostgreSQL and Redis over its window. The realtime **ratio at the latency
bound** compares the largest N each configuration holds with pose p99 ≤ ``--bound-ms`` and ≥ ``--min-delivered``
% delivered. The **machine ceiling** of a 1-worker row is cores × 100 % / (server + generator + PostgreSQL +
Redis CPU): on a box that also runs the generator and the engines, no number of workers can exceed it.

Prints rich tables and writes ``bench/results/scaleout.json``. Needs a PostgreSQL server (``--pg-url``, default
``$VRSTORE_TEST_PG_URL``; a fresh database is created and dropped) and the ``redis-server`` binary.

    .venv/bin/python bench/scaleout.py [--sizes 2500,3000,3500,4000] [--duration 10] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "support"))

import _server  # noqa: E402
import aiohttp  # noqa: E402
import checkout as ck  # noqa: E402
import psutil  # noqa: E402
import realtime as rt  # noqa: E402
from redis_server import RedisServer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

console = Console(width=200)


class Cluster:
    """``vrstore serve --workers N`` (or a plain ``serve`` for N = 1) on a free port; CPU over all its processes."""

    def __init__(self, data_dir: Path, workers: int, db_url: str, redis_url: str) -> None:
        self.port = _server.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "VRSTORE_DATA_DIR": str(data_dir), "VRSTORE_PORT": str(self.port),
                    "VRSTORE_HOST": "127.0.0.1", "VRSTORE_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
                    "VRSTORE_DATABASE_URL": db_url, "VRSTORE_REDIS_URL": redis_url,
                    "VRSTORE_RATE_LIMITS": "off"}  # the generator is one address
        log = open(data_dir / f"server-{workers}.log", "ab")  # noqa: SIM115 - lives as long as the process
        args = ["serve"] if workers == 1 else ["serve", "--workers", str(workers)]
        self.process = subprocess.Popen([sys.executable, "-m", "server", *args], env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, cwd=ROOT, preexec_fn=_server.raise_nofile)
        self.workers = workers
        self._wait_ready(data_dir / f"server-{workers}.log")

    def _wait_ready(self, log: Path) -> None:
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(log.read_text()[-2000:])
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200 and len(self.processes()) >= self.workers:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{self.workers} worker(s) not ready")
            time.sleep(0.1)  # polling a server that is still starting

    def processes(self) -> list[psutil.Process]:
        """The processes that serve requests (the workers; the supervisor only watches)."""
        parent = psutil.Process(self.process.pid)
        if self.workers == 1:
            return [parent]
        return [c for c in parent.children() if "worker" in " ".join(c.cmdline())]

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.processes():
            t = p.cpu_times()
            total += t.user + t.system
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def infra_processes(redis: RedisServer) -> list[psutil.Process]:
    """The shared engines the workers use: every PostgreSQL process (postmaster and backends) and Redis."""
    procs = [p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster")]
    if redis.process is not None:
        procs.append(psutil.Process(redis.process.pid))
    return procs


def infra_cpu_seconds(redis: RedisServer) -> dict[int, float]:
    """CPU seconds so far of each infrastructure process, by pid (a backend may come or go in between)."""
    out = {}
    for p in infra_processes(redis):
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.Error:
            continue
    return out


def infra_cpu_percent(before: dict[int, float], after: dict[int, float], wall: float) -> float:
    return round(100.0 * sum(v - before.get(pid, 0.0) for pid, v in after.items()) / wall, 1)


def start(tmp: Path, workers: int, db_url: str, redis: RedisServer) -> Cluster:
    """Seed the demo festival into the fresh database, empty Redis, start the server with ``workers``."""
    data = tmp / f"data-{workers}"
    data.mkdir()
    env = {**os.environ, "VRSTORE_DATA_DIR": str(data), "VRSTORE_DATABASE_URL": db_url, "VRSTORE_LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "-m", "server", "demo", "--seed-only"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=600)
    redis.client().flushall()
    return Cluster(data, workers, db_url, redis.url)


def realtime_rows(cluster: Cluster, sizes: list[int], duration: float, redis: RedisServer) -> list[dict[str, Any]]:
    out = []
    for n in sizes:
        watch = tuple(p.pid for p in infra_processes(redis))
        r = rt.row(rt.loadtest(cluster.url, n, duration, watch_pids=watch))
        if "error" not in r:
            r["delivered_poses_per_s"] = _delivered_per_s(r)
        out.append(r | {"workers": cluster.workers})
    return out


def _delivered_per_s(r: dict[str, Any]) -> float | None:
    """Poses delivered per second over all shoppers: records per tick × ticks × shoppers × delivered share."""
    if r.get("delivered_percent") is None or r.get("records_per_tick") is None:
        return None
    return round(r["shoppers"] * r["records_per_tick"] * 10.0 * r["delivered_percent"] / 100.0)


async def checkout_rows(cluster: Cluster, db_url: str, args: argparse.Namespace,
                        redis: RedisServer) -> list[dict[str, Any]]:
    """Closed-loop maximum and an open-loop row, with the CPU of every server process."""
    rows = []
    connector = aiohttp.TCPConnector(limit=1024)
    async with aiohttp.ClientSession(connector=connector) as http:
        api = ck.Api(http, cluster.url)
        await ck.seed(_server.Server(cluster.url, cluster.env, cluster.process), db_url, api, args.products,
                      args.flash_stock)
        rng = random.Random(cluster.workers)
        loads: list[tuple[str, Any]] = [(f"closed {args.connections}",
                                         lambda b: ck.closed_loop(api, b, args.connections))]
        if args.rate:
            loads.append((f"open {args.rate:g}/s", lambda b: ck.open_loop(api, b, args.rate)))
        for label, work in loads:
            buyers = await ck.make_buyers(api, args.buyers, args.products, rng)
            cpu0, gen0, t0 = cluster.cpu_seconds(), time.process_time(), time.perf_counter()
            infra0 = infra_cpu_seconds(redis)
            latencies, statuses = await work(buyers)
            wall = time.perf_counter() - t0
            infra = infra_cpu_percent(infra0, infra_cpu_seconds(redis), wall)
            ok = statuses.get(201, 0)
            rows.append({"workers": cluster.workers, "load": label, "checkouts": ok,
                         "statuses": {str(k): v for k, v in statuses.items()},
                         "checkouts_per_s": round(ok / wall, 1), "p50_ms": round(ck.pct(latencies, 0.5), 1),
                         "p99_ms": round(ck.pct(latencies, 0.99), 1),
                         "server_cpu_percent": round(100 * (cluster.cpu_seconds() - cpu0) / wall, 1),
                         "generator_cpu_percent": round(100 * (time.process_time() - gen0) / wall, 1),
                         "infra_cpu_percent": infra})
    bad = await oversold(db_url)
    for r in rows:
        r["oversold"] = bad
    return rows


async def oversold(db_url: str) -> int:
    """Units of the checkout rows' products (stock 1,000,000 each) sold but not taken from stock, or taken but
    not sold, plus products with negative stock; the demo festival's own products are not counted."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text(
                "SELECT COALESCE(SUM(1000000 - p.stock), 0), "
                "       COALESCE(SUM(CASE WHEN p.stock < 0 THEN 1 ELSE 0 END), 0),"
                "       (SELECT COALESCE(SUM(ol.quantity), 0) FROM order_lines ol JOIN products q"
                "          ON q.id = ol.product_id JOIN stores t ON t.id = q.store_id"
                "        WHERE t.slug IN ('dept', 'market') AND q.sku <> 'FLASH') "
                "FROM products p JOIN stores s ON s.id = p.store_id "
                "WHERE s.slug IN ('dept', 'market') AND p.sku <> 'FLASH'"))).one()
    finally:
        await engine.dispose()
    taken, negative, sold = (int(v) for v in row)
    return abs(taken - sold) + negative


def ratio(rows: list[dict[str, Any]], key: str, match: dict[str, Any]) -> float | None:
    """``key`` of the 2-worker row over the 1-worker row with the same ``match`` fields."""
    pick = {r["workers"]: r.get(key) for r in rows if all(r.get(k) == v for k, v in match.items())}
    one, two = pick.get(1), pick.get(2)
    return None if not one or two is None else round(two / one, 2)


def at_bound(rows: list[dict[str, Any]], workers: int, bound_ms: float, min_delivered: float) -> dict[str, Any] | None:
    """The largest realtime row of ``workers`` within the latency bound (p99 and delivered share), if any."""
    ok = [r for r in rows if r["workers"] == workers and r.get("p99_ms") is not None
          and r["p99_ms"] <= bound_ms and (r.get("delivered_percent") or 0.0) >= min_delivered]
    return max(ok, key=lambda r: r["shoppers"], default=None)


def ceiling(r: dict[str, Any] | None) -> float | None:
    """How many times a row's throughput this whole machine could carry at the row's CPU cost per unit of work
    (server + load generator + PostgreSQL + Redis) with every core busy: the most any number of workers can
    give here, because the generator and the engines share the cores with the workers."""
    if r is None:
        return None
    used = r["server_cpu_percent"] + r["generator_cpu_percent"] + (r.get("infra_cpu_percent") or 0.0)
    return round(100.0 * (os.cpu_count() or 1) / used, 2) if used else None


def print_tables(result: dict[str, Any]) -> None:
    t = Table(title="Realtime, 1 vs 2 workers (PostgreSQL + Redis), one store, 10 Hz, K=32")
    for col in ("workers", "N", "conn", "p50 ms", "p99 ms", "deliv %", "poses/s delivered", "server CPU %",
                "gen CPU %", "PG+Redis CPU %", "B/shopper/s", "load 1m"):
        t.add_column(col, justify="right")
    for r in result["realtime"]:
        if "error" in r:
            t.add_row(str(r["workers"]), str(r["shoppers"]), f"[red]{r['error']}[/red]", *[""] * 9)
            continue
        gen = f"{r['generator_cpu_percent']}{' SAT' if r['generator_saturated'] else ''}"
        t.add_row(str(r["workers"]), str(r["shoppers"]), str(r["connected"]), rt._v(r["p50_ms"]), rt._v(r["p99_ms"]),
                  rt._v(r["delivered_percent"]), rt._v(r.get("delivered_poses_per_s")),
                  rt._v(r["server_cpu_percent"]), gen, rt._v(r.get("infra_cpu_percent")),
                  f"{r['bytes_per_shopper_s']:.0f}", rt._v(r["load_average"][0]))
    console.print(t)
    c = Table(title="Checkout, 1 vs 2 workers (PostgreSQL + Redis)")
    for col in ("workers", "load", "checkouts", "checkouts/s", "p50 ms", "p99 ms", "server CPU %", "gen CPU %",
                "PG+Redis CPU %", "oversold"):
        c.add_column(col, justify="right")
    for r in result["checkout"]:
        c.add_row(str(r["workers"]), r["load"], str(r["checkouts"]), f"{r['checkouts_per_s']:.0f}",
                  f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", str(r["server_cpu_percent"]),
                  str(r["generator_cpu_percent"]), str(r["infra_cpu_percent"]), str(r["oversold"]))
    console.print(c)
    console.print(f"ratios (2 workers / 1 worker): {json.dumps(result['ratios'])}")
    console.print(f"machine ceilings (cores / CPU used per unit of work in the 1-worker row): "
                  f"{json.dumps(result['ceilings'])}")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg-url", default=os.environ.get("VRSTORE_TEST_PG_URL"),
                    help="PostgreSQL server URL (default $VRSTORE_TEST_PG_URL)")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--sizes", default="2500,3000,3500,4000", help="realtime rows (shoppers); empty: skip")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--bound-ms", type=float, default=150.0, help="realtime latency bound: pose p99 at most this")
    ap.add_argument("--min-delivered", type=float, default=99.0, help="… and at least this share delivered (%%)")
    ap.add_argument("--buyers", type=int, default=2000, help="checkouts per checkout row; 0: skip checkout")
    ap.add_argument("--products", type=int, default=200)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--rate", type=float, default=0.0, help="open-loop checkout row at this rate (0: none)")
    ap.add_argument("--flash-stock", type=int, default=10)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scaleout.json")
    args = ap.parse_args()
    if not args.pg_url:
        raise SystemExit("error: a PostgreSQL server is needed: --pg-url or VRSTORE_TEST_PG_URL")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    result: dict[str, Any] = {"benchmark": "scaleout", "cpus": os.cpu_count(), "sizes": sizes,
                              "duration_s": args.duration, "realtime": [], "checkout": []}
    with tempfile.TemporaryDirectory(prefix="vrstore-bench-scale-") as tmp:
        redis = RedisServer(Path(tmp), _server.free_port())
        redis.start()
        try:
            for workers in (int(w) for w in args.workers.split(",")):
                db_url = await ck.fresh_pg_database(args.pg_url)
                try:
                    cluster = await asyncio.to_thread(start, Path(tmp), workers, db_url, redis)
                    try:
                        result["realtime"] += await asyncio.to_thread(realtime_rows, cluster, sizes, args.duration,
                                                                      redis)
                        if args.buyers:
                            result["checkout"] += await checkout_rows(cluster, db_url, args, redis)
                    finally:
                        await asyncio.to_thread(cluster.stop)
                finally:
                    await ck.drop_pg_database(args.pg_url, db_url)
        finally:
            redis.kill()
    bound = [at_bound(result["realtime"], w, args.bound_ms, args.min_delivered) for w in (1, 2)]
    result["at_bound"] = {"bound_ms": args.bound_ms, "min_delivered_percent": args.min_delivered,
                          "shoppers": [None if b is None else b["shoppers"] for b in bound]}
    closed = [r for r in result["checkout"] if r["workers"] == 1 and r["load"].startswith("closed")]
    result["ceilings"] = {"realtime_at_bound": ceiling(bound[0]),
                          "checkout_closed": ceiling(closed[0]) if closed else None}
    result["ratios"] = {
        "realtime_shoppers_at_bound": None if None in bound else round(bound[1]["shoppers"] / bound[0]["shoppers"], 2),
        **{f"realtime_delivered_poses_{n}": ratio(result["realtime"], "delivered_poses_per_s", {"shoppers": n})
           for n in sizes},
        **{f"checkout_{r['load']}": ratio(result["checkout"], "checkouts_per_s", {"load": r["load"]})
           for r in result["checkout"] if r["workers"] == 1},
    }
    print_tables(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    asyncio.run(main())
