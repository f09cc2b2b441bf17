"""A store's products at any catalog size (issue 16): a small store resource, a paged list, and one cached,
gzipped, ETagged snapshot rendered off the event loop."""

from __future__ import annotations

import asyncio
import gzip
import time
from typing import Any

from aiohttp.test_utils import TestClient
from factories import add_products, bearer, make_tenant
from sqlalchemy import insert, select

from server import keys
from server.persistence.database import Database
from server.persistence.tables import Product, Store
from server.settings import Settings


async def _many_products(settings: Settings, store_slug: str, n: int) -> None:
    database = Database.connect(settings.effective_database_url)
    try:
        async with database.write() as db:
            store_id = (await db.execute(select(Store.id).where(Store.slug == store_slug))).scalar_one()
            await db.execute(insert(Product), [
                {"store_id": store_id, "sku": f"SKU-{i:06d}", "name_ko": f"상품 {i}", "name_en": f"Product {i}",
                 "category": "의류/니트", "price": 10_000 + i, "currency": "KRW", "stock": 5, "active": True,
                 "data_json": "{}"}
                for i in range(n)])
    finally:
        await database.close()


async def test_store_is_small_and_pages_cover_the_catalog(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [(f"P{i:03d}", 1000 + i, 3) for i in range(120)])
    r = await client.get(f"/api/v1/stores/{t.store}")
    store = await r.json()
    assert store["product_count"] == 120 and isinstance(store["products"], str)
    assert len(await r.read()) < 2000  # no product list inside
    seen: list[str] = []
    after = None
    while True:
        query = "?limit=50" + (f"&after={after}" if after else "")
        page = await (await client.get(store["products"] + query)).json()
        seen += [p["sku"] for p in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == [f"P{i:03d}" for i in range(120)]
    for bad in ("?limit=0", "?limit=201", "?after=%C2%B3", "?after=-1", "?after=abc"):
        r = await client.get(store["products"] + bad)
        assert r.status == 422 and r.content_type == "application/problem+json", bad


async def test_snapshot_is_gzipped_etagged_and_follows_changes(client: TestClient[Any, Any],
                                                                settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 3), ("B", 2000, 3)])
    url = f"/api/v1/stores/{t.store}/snapshot"
    r = await client.get(url, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert r.status == 200 and r.headers["Content-Encoding"] == "gzip"
    etag = r.headers["ETag"]
    import json
    body = json.loads(gzip.decompress(await r.read()))
    assert [p["sku"] for p in body["products"]] == ["A", "B"] and body["products"][0]["unit_price"] == 1000
    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and (await plain.json()) == body
    assert (await client.get(url, headers={"If-None-Match": etag})).status == 304
    client.server.app[keys.SNAPSHOTS].recheck_s = 0  # look at the fingerprint on every request
    r = await client.patch(f"/api/v1/stores/{t.store}/products/A", json={"price": 900}, headers=bearer(t.merchant))
    assert r.status == 200
    fresh = await client.get(url, headers={"If-None-Match": etag})
    assert fresh.status == 200 and fresh.headers["ETag"] != etag
    assert (await fresh.json())["products"][0]["unit_price"] == 900


async def test_a_big_store_never_stalls_the_loop(client: TestClient[Any, Any], settings: Settings) -> None:
    """Before: a 100,000-product GET took 7.5 s on the loop and /healthz waited up to 19.9 s behind four of them."""
    t = await make_tenant(client, settings)
    await _many_products(settings, t.store, 20_000)
    lags: list[float] = []
    done = asyncio.Event()

    async def watch_loop() -> None:
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - started - 0.01)

    watcher = asyncio.create_task(watch_loop())
    url = f"/api/v1/stores/{t.store}/snapshot"
    health: list[float] = []

    async def healthz() -> None:
        started = time.perf_counter()
        assert (await client.get("/healthz")).status == 200
        health.append(time.perf_counter() - started)

    results = await asyncio.gather(*(client.get(url) for _ in range(4)), *(healthz() for _ in range(5)))
    for r in results[:4]:
        assert r.status == 200 and len((await r.json())["products"]) == 20_000
    assert (await client.get(f"/api/v1/stores/{t.store}")).status == 200
    done.set()
    await watcher
    assert client.server.app[keys.SNAPSHOTS].builds == 1  # four shoppers at once, one document
    # The rows come out of the database in the reader thread and are rendered in the quick pool: the loop
    # only moves bytes. Generous bounds for a loaded CI box; the old handler held the loop for seconds.
    assert max(lags) < 0.5, f"loop lag {max(lags):.3f} s"
    assert max(health) < 1.0, f"/healthz {max(health):.3f} s"
