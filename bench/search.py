"""Search benchmark (issue 21): festival-wide search over 10,000 products, p50/p95/p99 per query kind.

A festival of four stores (the demo's kinds, 2,500 catalog rows each, colour/size variants on) with festival
discounts (by category, by store, overlapping: what a sale festival has, and what every price in an answer goes
through) is seeded through the catalog replacement (which builds the search index). Then each query runs through
the service as the HTTP handler calls it (``services.search.search``: one read on the database's read path,
scoring, facets, the festival price), each time computed afresh; one more row asks every query again within the
time the HTTP handler keeps an answer (services/search_answers.py). The baseline, in the same run, is a plain
``LIKE`` scan of the product names (no index, no facets, no pricing, no variant collapse): what the simplest
search would cost.

Target: p99 < 30 ms on 10,000 products. The machine is shared with other engineers' work (2 cores, busy): wall
times are an upper bound of what a quiet machine shows; the CPU column (process CPU time per query, all threads)
is the work itself, and the load average at the end of the run is written with the results.

On PostgreSQL the seeded database is vacuumed and analysed before measuring, as autovacuum would have done a
minute after the upload.

Run: ``.venv/bin/python bench/search.py [--products 10000] [--rounds 30] [--backend sqlite|postgres]``
Writes bench/results/search.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, text

ROOT = Path(__file__).resolve().parents[1]
# bench/queue.py would shadow the standard library's queue (aiosqlite imports it): drop this folder from the path.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from server.contracts.search import SearchQuery  # noqa: E402
from server.persistence import migrate  # noqa: E402
from server.persistence.database import Database  # noqa: E402
from server.persistence.tables import DiscountRule, Merchant, Store  # noqa: E402
from server.services import catalog, festivals, search  # noqa: E402
from server.services.search_answers import Answers  # noqa: E402
from storefront_builder.catalog.models import ImportResult  # noqa: E402
from storefront_builder.catalog.sample import sample_catalog  # noqa: E402

KINDS = ("department_store", "traditional_market", "street_district", "convenience_store")
QUERIES: dict[str, list[dict[str, Any]]] = {
    "3+ chars (trigram)": [{"q": "러닝화"}, {"q": "니트"}, {"q": "oxford shirt"}, {"q": "도시락"}, {"q": "스니커즈"}],
    "2 chars (second path)": [{"q": "사과"}, {"q": "가방"}, {"q": "라면"}, {"q": "김치"}],
    "spacing": [{"q": "러닝 화"}, {"q": "오버핏후드"}, {"q": "바나나 우유"}],
    "filters": [{"q": "", "category": "신발", "max_price": 150000}, {"q": "셔츠", "options": "색상:화이트"},
                {"q": "", "on_sale": True, "in_stock": True, "store": "s3"}],
    "typo": [{"q": "러닝와"}, {"q": "sneakrs"}],
    "broad (every product)": [{"q": "특가"}],
}
BASELINE = ["러닝화", "니트", "사과", "가방", "도시락", "스니커즈"]


async def seed(url: str, products: int) -> None:
    database = Database.connect(url)
    try:
        await migrate.upgrade(database.engine)
        async with database.write() as db:
            festival, _ = await festivals.create_festival(db, slug="bench", name_ko="벤치", name_en="Bench")
            now = datetime.now(UTC)
            festival.starts_at, festival.ends_at = now - timedelta(days=1), now + timedelta(days=1)
            stores: list[int] = []
            for i, kind in enumerate(KINDS):
                merchant = Merchant(festival_id=festival.id, name=f"m{i}")
                db.add(merchant)
                await db.flush()
                store = Store(slug=f"s{i}", festival_id=festival.id, merchant_id=merchant.id, name_ko=f"가게 {i}",
                              name_en=f"Store {i}", kind=kind, status="approved", currency="KRW")
                db.add(store)
                await db.flush()
                rows = sample_catalog(kind, products // len(KINDS), prefix=f"S{i}", variants=True)
                await catalog.replace_catalog(db, store, ImportResult(format="json", products=rows,
                                                                      rows_read=len(rows)))
                stores.append(store.id)
            db.add_all([DiscountRule(festival_id=festival.id, percent=20, category="의류"),
                        DiscountRule(festival_id=festival.id, percent=35, store_id=stores[2], category="신발"),
                        DiscountRule(festival_id=festival.id, percent=10, store_id=stores[0])])
    finally:
        await database.close()


async def vacuum_analyze(url: str) -> None:
    """What autovacuum does within a minute of a catalog upload: statistics for the planner, and the visibility
    map that lets index-only scans skip the table (a freshly seeded database has neither)."""
    database = Database.connect(url)
    try:
        async with database.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    finally:
        await database.close()


def _baseline(conn: Connection, word: str) -> int:
    rows = conn.execute(text("SELECT p.id, p.name_ko, p.price FROM products p JOIN stores s ON s.id = p.store_id "
                             "WHERE s.festival_id = 1 AND p.active = :on AND p.status = 'active' AND "
                             "(p.name_ko LIKE :w OR p.name_en LIKE :w) ORDER BY p.id LIMIT 20"),
                        {"on": True, "w": f"%{word}%"}).all()
    return len(rows)


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(pick(0.95), 2),
            "p99_ms": round(pick(0.99), 2), "max_ms": round(ordered[-1], 2)}


async def measure(url: str, rounds: int) -> dict[str, Any]:
    database = Database.connect(url)
    results: dict[str, Any] = {}
    try:
        now = datetime.now(UTC)
        cold = []  # the first run of each query after start: caches (options, vocabulary) fill
        for queries in QUERIES.values():
            for params in queries:
                t0 = time.perf_counter()
                await search.search(database, "bench", SearchQuery(**params), now)
                cold.append((time.perf_counter() - t0) * 1000)
        results["(cold: first run of each query)"] = {**_stats(cold), "cpu_p99_ms": None, "hits_median": None}
        for kind, queries in QUERIES.items():
            samples, cpu, hits = [], [], []
            for _ in range(rounds):
                for params in queries:
                    t0, c0 = time.perf_counter(), time.process_time()
                    result = await search.search(database, "bench", SearchQuery(**params), now)
                    samples.append((time.perf_counter() - t0) * 1000)
                    cpu.append((time.process_time() - c0) * 1000)
                    hits.append(result.total)
            results[kind] = {**_stats(samples), "cpu_p99_ms": _stats(cpu)["p99_ms"],
                             "hits_median": statistics.median(hits)}
        # The same queries asked again within search_answers.KEEP_S: served from the worker's kept answers (a sale's
        # popular words come from many shoppers at once). The first ask of each is outside the samples.
        answers: Answers[search.Found] = Answers(keep_s=3600.0)
        every = [params for queries in QUERIES.values() for params in queries]
        for params in every:
            await search.search(database, "bench", SearchQuery(**params), now, answers)
        samples, cpu = [], []
        for _ in range(rounds):
            for params in every:
                t0, c0 = time.perf_counter(), time.process_time()
                await search.search(database, "bench", SearchQuery(**params), now, answers)
                samples.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
        results["(every kind, asked again: kept answer)"] = {**_stats(samples), "cpu_p99_ms": _stats(cpu)["p99_ms"],
                                                            "hits_median": None}
        samples, cpu = [], []
        for _ in range(rounds):
            for word in BASELINE:
                t0, c0 = time.perf_counter(), time.process_time()
                await database.read_sync(_baseline, word)
                samples.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
        results["baseline: LIKE scan of names"] = {**_stats(samples), "cpu_p99_ms": _stats(cpu)["p99_ms"],
                                                   "hits_median": None}
    finally:
        await database.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # PostgreSQL: an empty database the bench may fill
        url = (f"sqlite+aiosqlite:///{tmp}/bench.db" if args.backend == "sqlite"
               else os.environ["VRSTORE_BENCH_PG_URL"])
        t0 = time.perf_counter()
        asyncio.run(seed(url, args.products))
        seeded = time.perf_counter() - t0
        if args.backend == "postgres":
            asyncio.run(vacuum_analyze(url))
        results = asyncio.run(measure(url, args.rounds))
    table = Table(title=f"search over {args.products:,} products ({args.backend}); seeded + indexed in {seeded:.1f} s")
    for column in ("query kind", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "CPU p99 ms", "hits (median)"):
        table.add_column(column, justify="left" if column == "query kind" else "right")
    for kind, r in results.items():
        table.add_row(kind, str(r["n"]), f"{r['p50_ms']:.2f}", f"{r['p95_ms']:.2f}", f"{r['p99_ms']:.2f}",
                      f"{r['max_ms']:.2f}", "-" if r["cpu_p99_ms"] is None else f"{r['cpu_p99_ms']:.2f}",
                      "-" if r["hits_median"] is None else f"{r['hits_median']:.0f}")
    Console().print(table)
    searched = [r["p99_ms"] for k, r in results.items() if not k.startswith(("baseline", "("))]
    load = os.getloadavg()
    doc = {"bench": "search", "products": args.products, "backend": args.backend, "rounds": args.rounds,
           "seed_and_index_s": round(seeded, 2), "results": results, "target_p99_ms": 30,
           "worst_p99_ms": max(searched), "meets_target": max(searched) < 30,
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                       "load_average": [round(x, 2) for x in load],
                       "note": "shared 2-core machine, busy with other engineers' work: wall times are inflated "
                               "by the load; CPU p99 (this process's CPU time per query) is the work itself"},
           "at": datetime.now(UTC).isoformat(timespec="seconds")}
    out = ROOT / "bench" / "results" / "search.json"
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"worst_p99_ms": doc["worst_p99_ms"], "meets_target": doc["meets_target"]}))


if __name__ == "__main__":
    main()
