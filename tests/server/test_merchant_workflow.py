"""Merchant workflow: catalogs, live product edits, layouts, assets, background builds, scene serving."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import Tenant, bearer, make_tenant

from server import keys
from server.domain.events import Event, ProductChanged, ScenePublished
from server.settings import Settings
from storefront_builder.catalog.sample import sample_catalog_json

FIXTURES = Path(__file__).resolve().parents[1] / "storefront_builder" / "fixtures"
PROBLEM = "application/problem+json"
TEMPLATES = Path(__file__).resolve().parents[2] / "storefront_builder" / "templates"


async def upload_catalog(client: TestClient[Any, Any], t: Tenant, data: bytes | str,
                         content_type: str = "application/json", query: str = "") -> Any:
    body = data.encode() if isinstance(data, str) else data
    return await client.put(f"/api/v1/stores/{t.store}/catalog{query}", data=io.BytesIO(body),
                            headers={**bearer(t.merchant), "Content-Type": content_type})


async def wait_for_builds(client: TestClient[Any, Any]) -> None:
    async with asyncio.timeout(120):
        await client.server.app[keys.BUILDS].idle.wait()


@pytest.mark.parametrize(("name", "content_type", "expected"), [
    ("shopify_export.csv", "text/csv", "shopify"),
    ("google_feed.tsv", "text/tab-separated-values", "google"),
    ("korean_cp949.csv", "text/csv", "korean"),
])
async def test_catalog_formats_import(client: TestClient[Any, Any], settings: Settings, name: str,
                                      content_type: str, expected: str) -> None:
    t = await make_tenant(client, settings)
    r = await upload_catalog(client, t, (FIXTURES / name).read_bytes(), content_type)
    assert r.status == 200, await r.text()
    report = await r.json()
    assert report["format"] == expected and report["imported"] > 0
    store = await (await client.get(f"/api/v1/stores/{t.store}")).json()
    assert store["product_count"] == report["imported"]
    if expected == "korean":
        assert report["encoding"] == "cp949"
        products = (await (await client.get(store["snapshot"])).json())["products"]
        assert any("," not in str(p["price"]) and p["price"] >= 1000 for p in products)


async def test_catalog_replacement_is_atomic_and_keeps_dropped_products(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    r = await upload_catalog(client, t, sample_catalog_json("convenience_store", 30))
    assert (await r.json())["imported"] == 30
    r = await upload_catalog(client, t, sample_catalog_json("convenience_store", 20))
    report = await r.json()
    assert report["imported"] == 20 and report["deactivated"] == 10
    store = await (await client.get(f"/api/v1/stores/{t.store}")).json()
    assert store["product_count"] == 20
    # a catalog with no valid row is refused whole and changes nothing
    bad = json.dumps({"currency": "KRW", "products": [{"sku": "", "name_ko": "x", "price": -1}]})
    r = await upload_catalog(client, t, bad)
    assert r.status == 422 and r.content_type == PROBLEM
    assert (await r.json(content_type=PROBLEM))["errors"]
    store = await (await client.get(f"/api/v1/stores/{t.store}")).json()
    assert store["product_count"] == 20


async def test_catalog_rejects_bad_rows_but_keeps_good_ones(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    doc = {"currency": "KRW", "products": [
        {"sku": "A1", "name_ko": "사과", "price": 1000, "stock": 3},
        {"sku": "A1", "name_ko": "중복", "price": 1000},
        {"sku": "B1", "name_ko": "배", "price": "비쌈"},
    ]}
    r = await upload_catalog(client, t, json.dumps(doc))
    report = await r.json()
    assert r.status == 200 and report["imported"] == 1 and report["rejected"] == 2
    assert {e["row"] for e in report["errors"]} == {2, 3}


async def test_catalog_upload_limits_and_media_types(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    client.server.app[keys.SETTINGS].max_upload_bytes = 1000
    r = await upload_catalog(client, t, "x" * 5000, "text/csv")
    assert r.status == 413 and r.content_type == PROBLEM
    r = await upload_catalog(client, t, "<xml/>", "application/xml")
    assert r.status == 415
    r = await upload_catalog(client, t, "sku\n", "text/csv", "?format=excel")
    assert r.status == 422
    r = await upload_catalog(client, t, "\x00\x01garbage", "text/csv")
    assert r.status == 422 and r.content_type == PROBLEM
    leftovers = list((settings.data_dir / "tmp").iterdir())
    assert leftovers == []  # streamed temp files are removed whatever happens


async def test_product_patch_is_live_and_needs_no_rebuild(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await upload_catalog(client, t, sample_catalog_json("convenience_store", 5))
    events: list[Event] = []

    async def listen(event: Event) -> None:
        events.append(event)

    client.server.app[keys.EVENTS].subscribe(listen)
    sku = "CON-00001"
    r = await client.patch(f"/api/v1/stores/{t.store}/products/{sku}", json={"price": 2000, "sale_price": 1500,
                                                                             "stock": 7}, headers=bearer(t.merchant))
    assert r.status == 200, await r.text()
    assert [type(e) for e in events] == [ProductChanged]
    expected = {"sku": sku, "price": 2000, "sale_price": 1500, "unit_price": 1500, "stock": 7}
    assert expected.items() <= dataclasses.asdict(events[0]).items()
    product = await (await client.get(f"/api/v1/stores/{t.store}/products/{sku}")).json()
    assert product["unit_price"] == 1500 and product["stock"] == 7
    r = await client.patch(f"/api/v1/stores/{t.store}/products/{sku}", json={"sale_price": 5000},
                           headers=bearer(t.merchant))
    assert r.status == 422
    r = await client.patch(f"/api/v1/stores/{t.store}/products/NOPE", json={"stock": 1}, headers=bearer(t.merchant))
    assert r.status == 404


async def test_festival_discounts_apply_inside_the_sale_window(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    doc = {"currency": "KRW", "products": [{"sku": "F1", "name_ko": "사과", "price": 10000, "category": ["과일"]}]}
    await upload_catalog(client, t, json.dumps(doc))
    r = await client.put("/api/v1/festivals/fest/discounts", json={"rules": [{"percent": 20, "category": "과일"}]},
                         headers=bearer(t.organizer))
    assert r.status == 200
    window = {"starts_at": "2020-01-01T00:00:00+09:00", "ends_at": "2099-01-01T00:00:00+09:00"}
    await client.patch("/api/v1/festivals/fest", json=window, headers=bearer(t.organizer))
    product = await (await client.get(f"/api/v1/stores/{t.store}/products/F1")).json()
    assert product["unit_price"] == 8000 and product["festival_percent"] == 20
    await client.patch("/api/v1/festivals/fest", json={"ends_at": "2020-02-01T00:00:00+09:00"},
                       headers=bearer(t.organizer))
    product = await (await client.get(f"/api/v1/stores/{t.store}/products/F1")).json()
    assert product["unit_price"] == 10000
    r = await client.put("/api/v1/festivals/fest/discounts", json={"rules": [{"percent": 20, "store": "nope"}]},
                         headers=bearer(t.organizer))
    assert r.status == 422


async def test_layout_template_yaml_and_errors(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    h = bearer(t.merchant)
    r = await client.put(f"/api/v1/stores/{t.store}/layout", json={"template": "traditional_market"}, headers=h)
    assert r.status == 200 and (await r.json())["template"] == "traditional_market"
    yaml_layout = TEMPLATES / "convenience_store.yaml"
    r = await client.put(f"/api/v1/stores/{t.store}/layout", data=yaml_layout.read_bytes(),
                         headers={**h, "Content-Type": "application/yaml"})
    assert r.status == 200, await r.text()
    assert (await r.json())["source"] == "custom"
    bad = yaml_layout.read_text().replace("wall_height: ", "wall_height: -", 1)
    r = await client.put(f"/api/v1/stores/{t.store}/layout", data=bad.encode(),
                         headers={**h, "Content-Type": "application/yaml"})
    assert r.status == 422 and r.content_type == PROBLEM
    errors = (await r.json(content_type=PROBLEM))["errors"]
    assert errors[0]["loc"][:2] == ["body", "wall_height"]
    r = await client.put(f"/api/v1/stores/{t.store}/layout", json={"template": "castle"}, headers=h)
    assert r.status == 422


async def test_asset_uploads_validate_and_store_content_addressed(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    import trimesh
    from PIL import Image

    t = await make_tenant(client, settings)
    await upload_catalog(client, t, sample_catalog_json("convenience_store", 3))
    h = bearer(t.merchant)
    glb = trimesh.creation.box(extents=(0.1, 0.2, 0.1)).export(file_type="glb")
    r = await client.put(f"/api/v1/stores/{t.store}/products/CON-00001/model", data=glb,
                         headers={**h, "Content-Type": "model/gltf-binary"})
    assert r.status == 200, await r.text()
    sha = (await r.json())["sha256"]
    stored = list((settings.data_dir / "assets").rglob(sha))
    assert len(stored) == 1 and stored[0].resolve().is_relative_to(settings.data_dir.resolve())
    hostile = b"glTF" + (2).to_bytes(4, "little") + (10**9).to_bytes(4, "little") + b"\0" * 20
    r = await client.put(f"/api/v1/stores/{t.store}/products/CON-00001/model", data=hostile,
                         headers={**h, "Content-Type": "model/gltf-binary"})
    assert r.status == 422 and r.content_type == PROBLEM
    assert (await r.json(content_type=PROBLEM))["errors"][0]["code"]
    png = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(png, "PNG")
    r = await client.put(f"/api/v1/stores/{t.store}/products/CON-00002/image", data=png.getvalue(),
                         headers={**h, "Content-Type": "image/png"})
    assert r.status == 200
    product = await (await client.get(f"/api/v1/stores/{t.store}/products/CON-00002")).json()
    image = await client.get(product["image"])
    assert image.status == 200 and image.content_type == "image/png"
    r = await client.put(f"/api/v1/stores/{t.store}/products/CON-00002/image", data=b"GIF89a....",
                         headers={**h, "Content-Type": "image/png"})
    assert r.status == 422


async def test_build_runs_in_background_and_scene_is_served_immutably(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    await upload_catalog(client, t, sample_catalog_json("convenience_store", 60))
    assert 'rel="preload"' not in await (await client.get(f"/store/{t.store}")).text()  # no scene yet
    events: list[Event] = []

    async def listen(event: Event) -> None:
        events.append(event)

    client.server.app[keys.EVENTS].subscribe(listen)
    r = await client.post(f"/api/v1/stores/{t.store}/builds", headers=bearer(t.merchant))
    assert r.status == 202, await r.text()
    location = r.headers["Location"]
    assert (await r.json())["status"] in ("queued", "running")
    await wait_for_builds(client)
    build = await (await client.get(location, headers=bearer(t.merchant))).json()
    assert build["status"] == "succeeded", build
    assert build["progress"] == 100 and build["report"]["draw_calls"] <= 100
    assert any(isinstance(e, ScenePublished) for e in events)
    store = await (await client.get(f"/api/v1/stores/{t.store}")).json()
    assert store["scene"]["hash"] == build["scene_hash"]
    # The store page has the browser start the scene's two downloads with the page, as its script will fetch them.
    page = await (await client.get(f"/store/{t.store}")).text()
    for url in (store["scene"]["glb"], store["scene"]["manifest"]):
        assert f'<link rel="preload" href="{url}" as="fetch" crossorigin="anonymous"' in page, page[:2000]
    glb = await client.get(store["scene"]["glb"])
    assert glb.status == 200 and (await glb.read())[:4] == b"glTF"
    assert glb.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = await client.get(store["scene"]["glb"], headers={"If-None-Match": glb.headers["ETag"]})
    assert again.status == 304
    manifest = await client.get(store["scene"]["manifest"], headers={"Accept-Encoding": "gzip"})
    assert manifest.headers["Content-Encoding"] == "gzip"
    assert len(json.loads(await manifest.read())["products"]) == 60
    raw = await client.get(store["scene"]["manifest"], headers={"Accept-Encoding": "identity"}, auto_decompress=False)
    assert "Content-Encoding" not in raw.headers and json.loads(await raw.read())
    assert gzip  # (decompression above is aiohttp's)
    for bad in ("/scenes/..%2f..%2fetc%2fpasswd", "/scenes/" + "a" * 64 + ".txt", "/scenes/zz.glb"):
        assert (await client.get(bad)).status == 404
    other = await client.get(location, headers=bearer(t.organizer))
    assert other.status == 200


async def test_build_needs_a_catalog(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    r = await client.post(f"/api/v1/stores/{t.store}/builds", headers=bearer(t.merchant))
    assert r.status == 422
    assert (await client.get("/api/v1/builds/" + "0" * 32, headers=bearer(t.merchant))).status == 404


async def test_organizer_stats(client: TestClient[Any, Any], settings: Settings) -> None:
    from factories import add_products, checkout_body

    t = await make_tenant(client, settings)
    r = await client.get("/api/v1/festivals/fest/stats", headers=bearer(t.organizer))
    assert r.status == 200
    stats = await r.json()
    assert [s["slug"] for s in stats["stores"]] == [t.store] and stats["visitors"] == 0 and stats["revenue"] == 0
    await add_products(settings, t.store, [("S1", 12000, 5)])
    cart = await (await client.post("/api/v1/carts", headers=bearer(t.shopper))).json()
    await client.post(f"/api/v1/carts/{cart['id']}/lines", json={"store": t.store, "sku": "S1", "quantity": 2},
                      headers=bearer(t.shopper))
    r = await client.post(f"/api/v1/carts/{cart['id']}/checkout", json=checkout_body(),
                          headers={**bearer(t.shopper), "Idempotency-Key": "stats-1"})
    assert r.status == 201, await r.text()
    stats = await (await client.get("/api/v1/festivals/fest/stats", headers=bearer(t.organizer))).json()
    assert stats["orders"] == 1 and stats["revenue"] == 24000 and stats["stores"][0]["revenue"] == 24000
