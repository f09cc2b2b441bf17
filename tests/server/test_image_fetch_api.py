"""Image fetches through the API: a merchant starts one, the app runs it in the background, every URL gets its
outcome, fetched images are served and linked to their URL; off by default, one per store, cancelled cleanly at
shutdown. The images come from a real local server the test trusts (tests/support/image_server.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from factories import Tenant, bearer, make_settings, make_tenant
from image_server import ImageServer, image_server

from server import keys, pool_jobs
from server.app import create_app
from server.builds import read_store_job
from server.image_fetch.guard import TestNetwork
from server.persistence.database import Database
from server.persistence.tables import ImageFetchJob
from server.services.access import store_by_slug
from server.services.image_fetch import STALE_AFTER, fetched_images, latest
from server.settings import Settings

PROBLEM = "application/problem+json"


def _settings(tmp_path: Path, db_url: str, **overrides: Any) -> Settings:
    return make_settings(tmp_path, db_url, **{"image_fetch": "any", "max_image_bytes": 1 << 20,
                                              "image_fetch_timeout_s": 1.0, "image_fetch_total_s": 10.0,
                                              "rate_limits": "off", **overrides})


@asynccontextmanager
async def _client(settings: Settings, server: ImageServer) -> AsyncIterator[TestClient[Any, Any]]:
    network = TestNetwork(trusted=frozenset({("127.0.0.1", server.port)}))
    async with TestClient(TestServer(create_app(settings, image_fetch_test_network=network))) as client:
        yield client


async def _catalog(client: TestClient[Any, Any], tenant: Tenant, images: list[list[str]]) -> dict[str, Any]:
    products = [{"sku": f"SKU-{i}", "name_ko": f"상품 {i}", "price": 1000, "stock": 5, "images": urls}
                for i, urls in enumerate(images, 1)]
    r = await client.put(f"/api/v1/stores/{tenant.store}/catalog", data=json.dumps({"products": products}),
                         headers={**bearer(tenant.merchant), "Content-Type": "application/json"})
    assert r.status == 200, await r.text()
    report: dict[str, Any] = await r.json()
    assert report["images"] == sum(len(set(urls)) for urls in images)  # references kept, per product
    # The import report says whether the file's URLs can be fetched: the server's setting.
    assert report["images_fetch"] == client.server.app[keys.SETTINGS].image_fetch
    return report


async def _finished(client: TestClient[Any, Any], tenant: Tenant, query: str = "") -> dict[str, Any]:
    await asyncio.wait_for(client.server.app[keys.IMAGE_FETCHES].idle.wait(), 60)
    r = await client.get(f"/api/v1/stores/{tenant.store}/image-fetches/latest{query}", headers=bearer(tenant.merchant))
    assert r.status == 200, await r.text()
    body: dict[str, Any] = await r.json()
    return body


async def test_fetching_is_off_by_default_and_requests_nothing(tmp_path: Path, db_url: str) -> None:
    async with image_server() as server, _client(make_settings(tmp_path, db_url), server) as client:
        tenant = await make_tenant(client, client.server.app[keys.SETTINGS])
        await _catalog(client, tenant, [[server.url("/ok.png")]])
        h = bearer(tenant.merchant)
        r = await client.get(f"/api/v1/stores/{tenant.store}/image-fetches/latest", headers=h)
        body = await r.json()
        assert body["status"] == "off" and body["mode"] == "off" and body["message"]["ko"] and body["id"] is None
        r = await client.post(f"/api/v1/stores/{tenant.store}/image-fetches", headers=h)
        assert r.status == 409 and r.content_type == PROBLEM
        problem = await r.json(content_type=PROBLEM)
        assert problem["type"].endswith("/image-fetch-off") and "VRSTORE_IMAGE_FETCH" in problem["detail"]
        assert "이미지" in problem["detail_ko"] and problem["detail_en"]
        assert not client.server.app[keys.IMAGE_FETCHES].tasks
    assert sum(server.hits.values()) == 0


async def test_a_fetch_gives_every_url_its_outcome(tmp_path: Path, db_url: str) -> None:
    async with image_server() as server, image_server() as other, \
            _client(_settings(tmp_path, db_url), server) as client:
        tenant = await make_tenant(client, client.server.app[keys.SETTINGS])
        urls = {
            "fetched": [server.url("/ok.png"), server.url("/png-as-text"), server.url("/hop/2")],
            "not_an_image": [server.url("/html.png"), server.url("/broken.png")],
            "too_many_pixels": [server.url("/huge.png")],
            "too_large": [server.url("/big.png")],
            "timeout": [server.url("/silent.png")],
            "http_status": [server.url("/missing.png")],
            "redirect_limit": [server.url("/hop/9")],
            "refused_private_address": [server.url(f"/to?url=http://127.0.0.1:{other.port}/ok.png"),
                                        server.url("/to?url=http://169.254.169.254/latest/meta-data/"),
                                        server.url("/to?url=http://10.0.0.1/x.png"), "http://192.168.0.7/a.png"],
            "disallowed_scheme": ["ftp://example.org/a.png"],
        }
        flat = [u for group in urls.values() for u in group]
        # Spread over products (one repeated, one upload key that is no URL): each URL is fetched once.
        await _catalog(client, tenant, [flat[:5], [*flat[5:], flat[0]], ["uploads/local-key.png"]])
        h = bearer(tenant.merchant)
        r = await client.post(f"/api/v1/stores/{tenant.store}/image-fetches", headers=h)
        assert r.status == 202, await r.text()
        started = await r.json()
        assert started["status"] == "queued" and r.headers["Location"].endswith("/image-fetches/latest")
        body = await _finished(client, tenant)
        assert body["id"] == started["id"] and body["status"] == "finished"
        assert body["total"] == body["done"] == len(flat) and body["skipped"] == 0
        assert body["counts"] == {code: len(group) for code, group in urls.items()}
        assert set(body["messages"]) == set(urls) and all(m["ko"] and m["en"] for m in body["messages"].values())
        outcome = {r["url"]: r for r in body["results"]}
        for code, group in urls.items():
            assert all(outcome[u]["outcome"] == code for u in group), (code, [outcome[u] for u in group])
        assert outcome[server.url("/missing.png")]["http_status"] == 404
        assert sum(other.hits.values()) == 0

        # The fetched images are served under the store, and linked to their URLs for the catalog.
        first = outcome[server.url("/ok.png")]
        image = await client.get(first["image"])
        assert image.status == 200 and image.content_type == "image/png" and (await image.read())[:4] == b"\x89PNG"
        assert image.headers["Cache-Control"].endswith("immutable")
        assert (await client.get(first["image"], headers={"If-None-Match": image.headers["ETag"]})).status == 304
        assert (await client.get(f"/api/v1/stores/{tenant.store}/images/{'0' * 64}")).status == 404
        database: Database = client.server.app[keys.DATABASE]
        async with database.read() as db:
            store_id = (await store_by_slug(db, tenant.store)).id
        links = await database.read_sync(fetched_images, store_id)
        assert links == {u: outcome[u]["image"] for u in urls["fetched"]}

        # Paging and filtering the per-URL outcomes.
        page = await _finished(client, tenant, "?limit=5")
        assert len(page["results"]) == 5 and page["next"]
        rest = await _finished(client, tenant, f"?limit=500&after={page['next']}")
        assert [r["url"] for r in page["results"] + rest["results"]] == [r["url"] for r in body["results"]]
        timeouts = await _finished(client, tenant, "?outcome=timeout")
        assert [r["url"] for r in timeouts["results"]] == urls["timeout"]
        assert (await client.get(f"/api/v1/stores/{tenant.store}/image-fetches/latest?outcome=nope",
                                 headers=h)).status == 422

        # Asked again, only what was not fetched yet is fetched (or everything, with refetch).
        hits = server.hits["/ok.png"]
        r = await client.post(f"/api/v1/stores/{tenant.store}/image-fetches", headers=h)
        assert r.status == 202
        again = await _finished(client, tenant)
        assert again["id"] != body["id"] and again["total"] == len(flat) - len(urls["fetched"])
        assert server.hits["/ok.png"] == hits
        r = await client.post(f"/api/v1/stores/{tenant.store}/image-fetches?refetch=true", headers=h)
        assert r.status == 202
        assert (await _finished(client, tenant))["total"] == len(flat)
        assert server.hits["/ok.png"] == 2 * hits  # /ok.png directly and at the end of /hop/2


async def test_one_fetch_per_store_at_a_time_and_only_its_merchant(tmp_path: Path, db_url: str) -> None:
    async with image_server() as server, \
            _client(_settings(tmp_path, db_url, image_fetch_timeout_s=30.0, image_fetch_total_s=60.0),
                    server) as client:
        tenant = await make_tenant(client, client.server.app[keys.SETTINGS])
        await _catalog(client, tenant, [[server.url("/silent.png")]])
        path = f"/api/v1/stores/{tenant.store}/image-fetches"
        assert (await client.post(path, headers=bearer(tenant.organizer))).status == 403
        assert (await client.post(path, headers=bearer(tenant.shopper))).status == 403
        assert (await client.post(path)).status == 401
        assert (await client.get(path + "/latest", headers=bearer(tenant.shopper))).status == 403
        r = await client.post(path, headers=bearer(tenant.merchant))
        assert r.status == 202
        r = await client.post(path, headers=bearer(tenant.merchant))
        assert r.status == 409 and r.content_type == PROBLEM
        problem = await r.json(content_type=PROBLEM)
        assert problem["type"].endswith("/conflict") and problem["detail_ko"]
        server.release.set()  # the silent image answers no more; the job ends
        body = await _finished(client, tenant)
        assert body["status"] == "finished" and body["done"] == 1
        assert (await client.post(path, headers=bearer(tenant.merchant))).status == 202


async def test_shutdown_cancels_a_running_fetch(tmp_path: Path, db_url: str) -> None:
    settings = _settings(tmp_path, db_url, image_fetch_timeout_s=60.0, image_fetch_total_s=120.0)
    async with image_server() as server:
        async with _client(settings, server) as client:
            tenant = await make_tenant(client, settings)
            await _catalog(client, tenant, [[server.url("/ok.png"), server.url("/silent.png")]])
            r = await client.post(f"/api/v1/stores/{tenant.store}/image-fetches", headers=bearer(tenant.merchant))
            assert r.status == 202
            manager = client.server.app[keys.IMAGE_FETCHES]
            await asyncio.wait_for(server.arrived["/silent.png"].wait(), 30)  # the job is inside its slow request
            assert manager.tasks
        # The client closed the app: the job was cancelled and recorded so, without waiting for the server.
        assert not manager.tasks
        database = Database.connect(settings.effective_database_url)
        try:
            async with database.read() as db:
                out = await latest(db, await store_by_slug(db, tenant.store), mode="any")
        finally:
            await database.close()
        assert out.status == "cancelled" and out.finished_at is not None and out.error == "the server shut down"


async def test_two_requests_at_once_start_one_fetch(tmp_path: Path, db_url: str) -> None:
    """The one-job-per-store rule holds in the database (a partial unique index), not only in this process."""
    settings = _settings(tmp_path, db_url, image_fetch_timeout_s=30.0, image_fetch_total_s=60.0)
    async with image_server() as server, _client(settings, server) as client:
        tenant = await make_tenant(client, settings)
        await _catalog(client, tenant, [[server.url("/silent.png")]])
        path = f"/api/v1/stores/{tenant.store}/image-fetches"
        answers = await asyncio.gather(*(client.post(path, headers=bearer(tenant.merchant)) for _ in range(2)))
        assert sorted(r.status for r in answers) == [202, 409]
        server.release.set()
        await _finished(client, tenant)


async def test_a_job_lost_with_its_process_no_longer_blocks_the_store(tmp_path: Path, db_url: str) -> None:
    settings = _settings(tmp_path, db_url)
    async with image_server() as server, _client(settings, server) as client:
        tenant = await make_tenant(client, settings)
        await _catalog(client, tenant, [[server.url("/ok.png")]])
        database: Database = client.server.app[keys.DATABASE]
        long_ago = datetime.now(UTC) - STALE_AFTER - timedelta(minutes=1)
        async with database.write() as db:
            store = await store_by_slug(db, tenant.store)
            db.add(ImageFetchJob(id="lost", store_id=store.id, status="running", mode="any", created_at=long_ago,
                                 heartbeat_at=long_ago))
        r = await client.post(f"/api/v1/stores/{tenant.store}/image-fetches", headers=bearer(tenant.merchant))
        assert r.status == 202, await r.text()
        assert (await _finished(client, tenant))["counts"] == {"fetched": 1}
        async with database.read() as db:
            lost = await db.get(ImageFetchJob, "lost")
            assert lost is not None and lost.status == "failed" and "stopped" in (lost.error or "")


async def test_fetched_images_join_the_products_images_in_catalog_order(tmp_path: Path, db_url: str) -> None:
    async with image_server() as server, _client(_settings(tmp_path, db_url), server) as client:
        tenant = await make_tenant(client, client.server.app[keys.SETTINGS])
        first, second, missing = server.url("/ok.png"), server.url("/png-as-text"), server.url("/missing.png")
        await _catalog(client, tenant, [[missing, second, first]])
        h = bearer(tenant.merchant)
        product = f"/api/v1/stores/{tenant.store}/products/SKU-1"
        before = await (await client.get(product, headers=h)).json()
        assert before["images"] == [] and before["image_sources"] == [missing, second, first]
        assert (await client.post(f"/api/v1/stores/{tenant.store}/image-fetches", headers=h)).status == 202
        outcome = {r["url"]: r for r in (await _finished(client, tenant))["results"]}
        served = [outcome[second]["image"], outcome[first]["image"]]  # the missing one has no image

        detail = await (await client.get(product, headers=h)).json()
        page = await (await client.get(f"/api/v1/stores/{tenant.store}/products", headers=h)).json()
        snapshot = await client.get(f"/api/v1/stores/{tenant.store}/snapshot", headers=h)
        assert snapshot.status == 200, await snapshot.text()
        in_snapshot = (await snapshot.json())["products"][0]
        assert detail["images"] == page["items"][0]["images"] == in_snapshot["images"] == served
        assert in_snapshot["image_sources"] == []  # the catalog's remote URLs are for the merchant's eyes

        # The scene build shows the product as a picture card of its first fetched image.
        async with client.server.app[keys.DATABASE].read() as db:
            job = await read_store_job(db, await store_by_slug(db, tenant.store), client.server.app[keys.STORAGE])
        assert set(job.fetched) == {first, second}
        result = pool_jobs.build_store_scene(*job.args("test-build"))  # in this process: what the pool runs
        manifest = json.loads((Path(job.scenes_dir) / f"{result['scene_hash']}.json").read_text(encoding="utf-8"))
        assert manifest["products"]["SKU-1"]["drawn_as"] == "image"
