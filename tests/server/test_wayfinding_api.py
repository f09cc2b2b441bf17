"""Wayfinding over HTTP (issue 21): a real store built from a catalog, the walk to a product on its floor, the way
out towards a product of another store, across the plaza to a store's portal, and every bad input as a problem."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import math
from typing import Any

from aiohttp.test_utils import TestClient
from factories import Tenant, add_products, bearer, make_tenant

from server import keys
from server.domain.wayfinding import grid, slot_front
from server.services import wayfinding
from server.settings import Settings
from storefront_builder.catalog.sample import sample_catalog_json

PROBLEM = "application/problem+json"
CATALOG = sample_catalog_json("department_store", 40, variants=True)


async def _built_store(client: TestClient[Any, Any], settings: Settings) -> tuple[Tenant, dict[str, Any]]:
    """A tenant whose store has a scene built from a catalog with variants; returns it and the scene's manifest."""
    t = await make_tenant(client, settings)
    r = await client.put(f"/api/v1/stores/{t.store}/catalog", data=io.BytesIO(
        CATALOG.encode()),
        headers={**bearer(t.merchant), "Content-Type": "application/json"})
    assert r.status == 200, await r.text()
    r = await client.post(f"/api/v1/stores/{t.store}/builds", headers=bearer(t.merchant))
    assert r.status == 202, await r.text()
    async with asyncio.timeout(120):
        await client.server.app[keys.BUILDS].idle.wait()
    store = await (await client.get(f"/api/v1/stores/{t.store}")).json()
    manifest = await (await client.get(store["scene"]["manifest"])).json()
    return t, manifest


def _on_floor(manifest: dict[str, Any], p: list[float]) -> bool:
    return any(r[0] <= p[0] <= r[2] and r[1] <= p[1] <= r[3] for r in manifest["walkable"])


def _leg_on_floor(manifest: dict[str, Any], a: list[float], b: list[float]) -> bool:
    steps = max(2, int(math.dist(a, b) / 0.05))
    return all(_on_floor(manifest, [a[0] + (b[0] - a[0]) * i / steps, a[1] + (b[1] - a[1]) * i / steps])
               for i in range(steps + 1))


async def _path(client: TestClient[Any, Any], url: str, **query: str) -> tuple[int, Any, str]:
    r = await client.get(url, params=query)
    return r.status, await r.json(content_type=None), r.content_type


async def test_the_walk_leads_to_the_product_and_towards_another_store(client: TestClient[Any, Any],
                                                                        settings: Settings) -> None:
    t, manifest = await _built_store(client, settings)
    spawn = manifest["spawn_points"][0]["position"]
    start = [spawn[0], spawn[2]]
    # The product farthest from the entrance, asked for by a variant's SKU that is not the one on the shelf.
    sku, entry = max(((s, e) for s, e in manifest["products"].items() if len(e["variants"]) > 1),
                     key=lambda item: math.dist(start, slot_front(item[1])))
    variant = next(v for v in entry["variants"] if v != sku)
    status, body, _ = await _path(client, f"/api/v1/stores/{t.store}/path", **{"from": f"{start[0]},{start[1]}",
                                                                                "product": variant})
    assert status == 200, body
    points = body["points"]
    assert body["arrives"] == "product" and body["product"] == variant and body["product_store"] == t.store
    assert body["portal"] is None and body["store"] is None
    assert points[0] == start
    assert math.dist(points[-1], slot_front(entry)) < 0.4
    for a, b in itertools.pairwise(points[1:]):  # after the first step onto a cell centre, every leg is on the floor
        assert _leg_on_floor(manifest, a, b)
    assert body["length_m"] == round(sum(math.dist(a, b) for a, b in itertools.pairwise(points)), 2)
    assert body["length_m"] >= math.dist(start, points[-1]) - 1e-6

    # A product of another store of the festival: the walk ends in front of the portal to the plaza, and names
    # the store to go to.
    r = await client.post("/api/v1/stores", json={"slug": "other-shop", "name_ko": "다른 가게", "name_en": "Other shop",
                                                  "kind": "convenience_store"}, headers=bearer(t.merchant))
    assert r.status == 201, await r.text()
    r = await client.put("/api/v1/stores/other-shop/status", json={"status": "approved"}, headers=bearer(t.organizer))
    assert r.status == 200, await r.text()
    await add_products(settings, "other-shop", [("FAR-1", 12000, 5)])
    middle = [0.0, 0.0] if _on_floor(manifest, [0.0, 0.0]) else start
    status, body, _ = await _path(client, f"/api/v1/stores/{t.store}/path", **{
        "from": f"{middle[0]},{middle[1]}", "product": "FAR-1", "product_store": "other-shop"})
    assert status == 200, body
    portal = next(p for p in manifest["portals"] if p["target"] == "plaza")
    assert body["arrives"] == "portal" and body["portal"]["target"] == "plaza"
    assert body["store"] == {"slug": "other-shop", "name": {"ko": "다른 가게", "en": "Other shop"},
                             "url": "/store/other-shop"}
    door = [portal["position"][0], portal["position"][2]]
    assert 0.6 < math.dist(body["points"][-1], door) < 1.5  # before the doorway, never in it

    # Across the plaza (rebuilt on approval, with a portal per store): to the portal of the product's store.
    async with asyncio.timeout(120):
        await client.server.app[keys.BUILDS].idle.wait()
    festival = await (await client.get(f"/api/v1/festivals/{t.festival}")).json()
    plaza = await (await client.get(festival["plaza"]["manifest"])).json()
    door = next([p["position"][0], p["position"][2]] for p in plaza["portals"] if p["target"] == "other-shop")
    status, body, _ = await _path(client, f"/api/v1/festivals/{t.festival}/plaza/path", **{
        "from": "0,0", "product": "FAR-1", "product_store": "other-shop"})
    assert status == 200, body
    assert body["arrives"] == "portal" and body["portal"]["target"] == "other-shop"
    assert body["store"]["url"] == "/store/other-shop" and body["points"][0] == [0.0, 0.0]
    assert 0.6 < math.dist(body["points"][-1], door) < 1.5


async def test_bad_input_is_a_problem(sqlite_client: TestClient[Any, Any], sqlite_settings: Settings) -> None:
    t, manifest = await _built_store(sqlite_client, sqlite_settings)
    sku = next(iter(manifest["products"]))
    spawn = manifest["spawn_points"][0]["position"]
    here = f"{spawn[0]},{spawn[2]}"
    url = f"/api/v1/stores/{t.store}/path"
    cases: list[tuple[str, dict[str, str], int, str | None]] = [
        (url, {"from": "north", "product": sku}, 422, "from"),
        (url, {"from": "1,2,3", "product": sku}, 422, "from"),
        (url, {"from": "nan,1", "product": sku}, 422, "from"),
        (url, {"product": sku}, 422, "from"),
        (url, {"from": here}, 422, "product"),
        (url, {"from": "500,500", "product": sku}, 422, "from"),  # outside the store
        (url, {"from": here, "product": "NO-SUCH-SKU"}, 404, None),
        (url, {"from": here, "product": sku, "product_store": "nowhere"}, 404, None),
        (url, {"from": here, "product": sku, "extra": "1"}, 422, "extra"),
        ("/api/v1/stores/nowhere/path", {"from": here, "product": sku}, 404, None),
        (f"/api/v1/festivals/{t.festival}/plaza/path", {"from": "0,0", "product": sku}, 422, "product_store"),
        ("/api/v1/festivals/nowhere/plaza/path", {"from": "0,0", "product": sku, "product_store": t.store}, 404, None),
    ]
    for path, query, expected, field in cases:
        status, body, content_type = await _path(sqlite_client, path, **query)
        assert (status, content_type) == (expected, PROBLEM), (query, body)
        if field is not None:
            assert any(e["loc"][:2] == ["query", field] for e in body["errors"]), (query, body)
    # A product dropped from the catalog since the build (still in the scene) is not shown the way to.
    catalog = json.loads(CATALOG)
    catalog["products"] = [p for p in catalog["products"] if p["sku"] != sku]
    r = await sqlite_client.put(f"/api/v1/stores/{t.store}/catalog", data=io.BytesIO(json.dumps(catalog).encode()),
                                headers={**bearer(t.merchant), "Content-Type": "application/json"})
    assert r.status == 200, await r.text()
    status, body, content_type = await _path(sqlite_client, url, **{"from": here, "product": sku})
    assert (status, content_type) == (404, PROBLEM), body
    # A store that has no scene yet.
    r = await sqlite_client.post("/api/v1/stores", json={"slug": "bare-shop", "name_ko": "빈 가게", "name_en": "Bare",
                                                         "kind": "convenience_store"}, headers=bearer(t.merchant))
    assert r.status == 201
    r = await sqlite_client.put("/api/v1/stores/bare-shop/status", json={"status": "approved"},
                                headers=bearer(t.organizer))
    assert r.status == 200
    await add_products(sqlite_settings, "bare-shop", [("B-1", 1000, 1)])
    status, body, content_type = await _path(sqlite_client, "/api/v1/stores/bare-shop/path",
                                             **{"from": "0,0", "product": "B-1"})
    assert (status, content_type) == (404, PROBLEM), body


def test_a_scene_without_portals_leads_to_its_entrance() -> None:
    manifest = {"bounds": {"min": [-3.0, 0.0, -3.0], "max": [3.0, 3.0, 3.0]}, "walkable": [[-2.7, -2.7, 2.7, 2.7]],
                "products": {}, "portals": [], "spawn_points": [{"position": [0.0, 0.0, 2.0]}]}
    g = grid(manifest)
    result = wayfinding.walk(manifest, g, (0.0, -2.0), "X", "elsewhere")
    assert isinstance(result, wayfinding.Walk) and result.arrives == "entrance" and result.portal is None
    assert result.points[0] == (0.0, -2.0) and math.dist(result.points[-1], (0.0, 2.0)) < 0.2
    assert wayfinding.walk(manifest, g, (0.0, -2.0), "X", None) == "not-placed"
    assert wayfinding.walk(manifest, g, (9.0, 0.0), "X", None) == "outside"
