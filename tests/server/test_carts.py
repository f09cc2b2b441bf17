"""Group carts over HTTP on both databases: sharing, membership, lines, versions, rules and events."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from factories import add_products, bearer, make_tenant, new_shopper

from server import keys
from server.domain.events import CartChanged, Event
from server.services.carts import SHARE_ALPHABET
from server.settings import Settings


async def _cart(client: TestClient[Any, Any], token: str) -> dict[str, Any]:
    r = await client.post("/api/v1/carts", headers=bearer(token))
    assert r.status == 201, await r.text()
    return dict(await r.json())


async def _add(client: TestClient[Any, Any], token: str, cart: int, store: str, sku: str, qty: int = 1,
               headers: dict[str, str] | None = None) -> Any:
    return await client.post(f"/api/v1/carts/{cart}/lines", json={"store": store, "sku": sku, "quantity": qty},
                             headers={**bearer(token), **(headers or {})})


async def test_share_join_and_group_lines_across_stores(client: TestClient[Any, Any], settings: Settings) -> None:
    one = await make_tenant(client, settings, "fest")
    # A second merchant's store in the same festival.
    r = await client.post("/api/v1/festivals/fest/merchants", json={"name": "m2"}, headers=bearer(one.organizer))
    m2 = (await r.json())["token"]
    r = await client.post("/api/v1/stores", json={"slug": "market", "name_ko": "시장", "name_en": "Market",
                                                  "kind": "traditional_market"}, headers=bearer(m2))
    assert r.status == 201
    await client.put("/api/v1/stores/market/status", json={"status": "approved"}, headers=bearer(one.organizer))
    await add_products(settings, one.store, [("A1", 1000, 5), ("A2", 2500, 5)])
    await add_products(settings, "market", [("M1", 300, 9)])
    friend, friend_id = await new_shopper(client, "지훈")

    created = await _cart(client, one.shopper)
    code = created["share_code"]
    assert len(code) == 6 and set(code) <= set(SHARE_ALPHABET) and created["version"] == 1
    cart = created["id"]
    assert (await client.get(f"/api/v1/carts/{cart}", headers=bearer(friend))).status == 404
    r = await client.post("/api/v1/carts/join", json={"share_code": code.lower()[:3] + "-" + code[3:]},
                          headers=bearer(friend))
    assert r.status == 200, await r.text()
    assert (await r.json())["version"] == 2
    again = await client.post("/api/v1/carts/join", json={"share_code": code}, headers=bearer(friend))
    assert again.status == 200 and (await again.json())["version"] == 2  # idempotent: no new version
    assert (await client.post("/api/v1/carts/join", json={"share_code": "ZZZZZZ"},
                              headers=bearer(friend))).status == 404

    assert (await _add(client, one.shopper, cart, one.store, "A1", 2)).status == 201
    assert (await _add(client, friend, cart, "market", "M1", 3)).status == 201
    r = await _add(client, friend, cart, one.store, "A1", 1)  # merges with the owner's line
    body = await r.json()
    assert r.status == 201 and r.headers["ETag"] == f'"{body["version"]}"' and body["version"] == 5
    lines = {(ln["store"], ln["sku"]): ln for ln in body["lines"]}
    assert len(body["lines"]) == 2 and lines[(one.store, "A1")]["quantity"] == 3
    assert lines[(one.store, "A1")]["added_by"]["name"] == "민지"
    assert lines[("market", "M1")]["unit_price"] == 300 and lines[("market", "M1")]["added_by"]["session"] == friend_id
    assert {s["store"]: s["subtotal"] for s in body["stores"]} == {one.store: 3000, "market": 900}
    assert body["total"] == 3900 and body["currency"] == "KRW"
    assert [m["name"] for m in body["members"]] == ["민지", "지훈"] and body["members"][0]["owner"]

    r = await client.get(f"/api/v1/carts/{cart}", headers=bearer(friend))
    assert r.status == 200 and r.headers["ETag"] == '"5"'
    # Only the owner rotates; the old code stops working, members stay.
    assert (await client.post(f"/api/v1/carts/{cart}/share_code", headers=bearer(friend))).status == 403
    r = await client.post(f"/api/v1/carts/{cart}/share_code", headers=bearer(one.shopper))
    new_code = (await r.json())["share_code"]
    assert r.status == 200 and new_code != code
    third, _ = await new_shopper(client, "third")
    assert (await client.post("/api/v1/carts/join", json={"share_code": code}, headers=bearer(third))).status == 404
    assert (await client.get(f"/api/v1/carts/{cart}", headers=bearer(friend))).status == 200


async def test_if_match_versions_and_line_edits(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 100, 10)])
    cart = (await _cart(client, t.shopper))["id"]
    r = await _add(client, t.shopper, cart, t.store, "A", 1, {"If-Match": '"1"'})
    assert r.status == 201
    line = (await r.json())["lines"][0]["id"]
    stale = await client.patch(f"/api/v1/carts/{cart}/lines/{line}", json={"quantity": 4},
                               headers={**bearer(t.shopper), "If-Match": '"1"'})
    assert stale.status == 409 and stale.content_type == "application/problem+json"
    assert (await stale.json())["current_version"] == 2
    ok = await client.patch(f"/api/v1/carts/{cart}/lines/{line}", json={"quantity": 4},
                            headers={**bearer(t.shopper), "If-Match": "2"})
    assert ok.status == 200 and (await ok.json())["lines"][0]["quantity"] == 4
    bad = await client.patch(f"/api/v1/carts/{cart}/lines/{line}", json={"quantity": 4},
                             headers={**bearer(t.shopper), "If-Match": "abc"})
    assert bad.status == 400
    assert (await client.patch(f"/api/v1/carts/{cart}/lines/999", json={"quantity": 1},
                               headers=bearer(t.shopper))).status == 404
    gone = await client.delete(f"/api/v1/carts/{cart}/lines/{line}", headers={**bearer(t.shopper), "If-Match": 'W/"3"'})
    body = await gone.json()
    assert gone.status == 200 and body["lines"] == [] and body["version"] == 4 and body["currency"] is None


async def test_line_rules(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    other = await make_tenant(client, settings, "usd")
    await add_products(settings, t.store, [("A", 100, 5), ("B", 100, 200)])
    await add_products(settings, other.store, [("U", 100, 5)], currency="USD")
    cart = (await _cart(client, t.shopper))["id"]
    for qty in (0, 100, -1):
        r = await _add(client, t.shopper, cart, t.store, "A", qty)
        assert r.status == 422, qty
    assert (await _add(client, t.shopper, cart, t.store, "NOPE")).status == 404
    r = await _add(client, t.shopper, cart, t.store, "A", 6)
    problem = await r.json()
    assert r.status == 409 and problem["short"] == [{"store": t.store, "sku": "A", "requested": 6, "available": 5}]
    assert (await _add(client, t.shopper, cart, t.store, "A", 5)).status == 201
    assert (await _add(client, t.shopper, cart, t.store, "A", 1)).status == 409  # merged total beyond stock
    assert (await _add(client, t.shopper, cart, t.store, "B", 99)).status == 201
    assert (await _add(client, t.shopper, cart, t.store, "B", 1)).status == 422  # a line holds at most 99
    r = await _add(client, t.shopper, cart, other.store, "U")
    assert r.status == 422 and r.content_type == "application/problem+json"
    # A suspended store's products cannot be added.
    await client.put(f"/api/v1/stores/{other.store}/status", json={"status": "suspended"},
                     headers=bearer(other.organizer))
    cart2 = (await _cart(client, t.shopper))["id"]
    assert (await _add(client, t.shopper, cart2, other.store, "U")).status == 404
    # Merchants and strangers are not shoppers of this cart.
    assert (await client.get(f"/api/v1/carts/{cart}", headers=bearer(t.merchant))).status == 403
    stranger, _ = await new_shopper(client)
    assert (await _add(client, stranger, cart, t.store, "B")).status == 404
    assert (await client.get("/api/v1/carts/99999999999", headers=bearer(t.shopper))).status == 404


async def test_at_most_100_lines(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [(f"S{i}", 10, 5) for i in range(101)])
    cart = (await _cart(client, t.shopper))["id"]
    for i in range(100):
        assert (await _add(client, t.shopper, cart, t.store, f"S{i}")).status == 201
    r = await _add(client, t.shopper, cart, t.store, "S100")
    assert r.status == 422


async def test_members_hear_each_others_changes_in_version_order(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 100, 50), ("B", 200, 50)])
    friend, friend_id = await new_shopper(client, "friend")
    heard: list[Event] = []

    async def listen(event: Event) -> None:
        heard.append(event)

    unsubscribe = client.server.app[keys.EVENTS].subscribe(listen)
    try:
        created = await _cart(client, t.shopper)
        cart = created["id"]
        await client.post("/api/v1/carts/join", json={"share_code": created["share_code"]}, headers=bearer(friend))
        owner_id = (await (await client.get(f"/api/v1/carts/{cart}", headers=bearer(t.shopper))).json()
                    )["members"][0]["session"]
        r = await _add(client, t.shopper, cart, t.store, "A", 2)
        line = (await r.json())["lines"][0]["id"]
        await _add(client, friend, cart, t.store, "B", 1)
        await client.patch(f"/api/v1/carts/{cart}/lines/{line}", json={"quantity": 3}, headers=bearer(friend))
        await client.delete(f"/api/v1/carts/{cart}/lines/{line}", headers=bearer(t.shopper))
        rejected = await _add(client, friend, cart, t.store, "A", 51)  # refused changes say nothing
        assert rejected.status == 409
    finally:
        unsubscribe()
    carts = [e for e in heard if isinstance(e, CartChanged)]
    assert [e.version for e in carts] == [2, 3, 4, 5, 6]
    assert all(e.cart == cart and set(e.session_ids) == {owner_id, friend_id} for e in carts)
    assert [e.change["type"] for e in carts] == [
        "member_joined", "line_added", "line_added", "line_updated", "line_removed"]
    assert [e.by_session for e in carts] == [friend_id, owner_id, friend_id, friend_id, owner_id]
    assert carts[1].change["sku"] == "A" and carts[3].change["quantity"] == 3
