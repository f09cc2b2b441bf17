"""A store's products at any catalog size (issue 16): a small store resource, a paged list, and one cached,
gzipped, ETagged snapshot rendered off the event loop."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from typing import Any

from aiohttp.test_utils import TestClient
from factories import add_many_products, add_products, bearer, make_tenant

from server import keys
from server.settings import Settings


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
    for bad in ("?limit=0", "?limit=201", "?after=%C2%B3", "?after=-1", "?after=abc", "?after=0", "?after=007",
                "?after=2147483648", "?after=" + "0" * 16):
        r = await client.get(store["products"] + bad)
        assert r.status == 422 and r.content_type == "application/problem+json", bad
    # The largest id is a cursor like any other (and the schema's pattern says so: test_openapi).
    r = await client.get(store["products"] + "?after=2147483647")
    assert r.status == 200 and (await r.json())["items"] == []


async def test_snapshot_is_gzipped_etagged_and_follows_changes(client: TestClient[Any, Any],
                                                                settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 3), ("B", 2000, 3)])
    url = f"/api/v1/stores/{t.store}/snapshot"
    r = await client.get(url, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert r.status == 200 and r.headers["Content-Encoding"] == "gzip"
    etag = r.headers["ETag"]
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


async def test_a_big_store_never_stalls_the_loop(client: TestClient[Any, Any], settings: Settings,
                                                 test_runner_heap_frozen: list[float]) -> None:
    """Before: a 100,000-product GET took 7.5 s on the loop and /healthz waited up to 19.9 s behind four of them."""
    t = await make_tenant(client, settings)
    await add_many_products(settings, t.store, 20_000)
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

    async def snapshot() -> bytes:
        r = await client.get(url, auto_decompress=False)  # the test client shares the server's loop: it only
        assert r.status == 200                            # takes the bytes here, and decodes them afterwards
        return await r.read()

    results = await asyncio.gather(*(snapshot() for _ in range(4)), *(healthz() for _ in range(5)))
    assert (await client.get(f"/api/v1/stores/{t.store}")).status == 200
    done.set()
    await watcher
    for body in results[:4]:
        assert len(json.loads(gzip.decompress(body))["products"]) == 20_000
    assert client.server.app[keys.SNAPSHOTS].builds == 1  # four shoppers at once, one document
    # The rows come out of the database in the reader thread and are rendered in the quick pool: the loop
    # only moves bytes. Generous bounds for a loaded CI box; the old handler held the loop for seconds.
    collected = f"longest collection {max(test_runner_heap_frozen, default=0):.3f} s"
    assert max(lags) < 0.5, f"loop lag {max(lags):.3f} s; {collected}"
    assert max(health) < 1.0, f"/healthz {max(health):.3f} s; {collected}"
