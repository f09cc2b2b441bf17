"""Checkout over HTTP on both databases: orders per store, stock, prices, declines, idempotency, races."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from factories import add_products, bearer, checkout_body, make_tenant, new_shopper, set_fulfilment
from sqlalchemy import text

from server.persistence.engine import make_engine
from server.settings import Settings


async def _sql(settings: Settings, sql: str, **params: Any) -> list[Any]:
    engine = make_engine(settings.effective_database_url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def _stock(settings: Settings, sku: str) -> int:
    return int((await _sql(settings, "SELECT stock FROM products WHERE sku = :sku", sku=sku))[0][0])


async def _cart_with(client: TestClient[Any, Any], token: str, lines: list[tuple[str, str, int]]) -> int:
    r = await client.post("/api/v1/carts", headers=bearer(token))
    cart = int((await r.json())["id"])
    for store, sku, qty in lines:
        r = await client.post(f"/api/v1/carts/{cart}/lines", json={"store": store, "sku": sku, "quantity": qty},
                              headers=bearer(token))
        assert r.status == 201, await r.text()
    return cart


async def _checkout(client: TestClient[Any, Any], token: str, cart: int, key: str | None = None,
                    body: dict[str, Any] | None = None) -> Any:
    headers = bearer(token) | ({"Idempotency-Key": key} if key is not None else {})
    return await client.post(f"/api/v1/carts/{cart}/checkout", json=body or checkout_body(), headers=headers)


async def _second_store(client: TestClient[Any, Any], organizer: str, slug: str = "market") -> str:
    r = await client.post("/api/v1/festivals/fest/merchants", json={"name": "m2"}, headers=bearer(organizer))
    merchant = str((await r.json())["token"])
    r = await client.post("/api/v1/stores", json={"slug": slug, "name_ko": "시장", "name_en": "Market",
                                                  "kind": "traditional_market"}, headers=bearer(merchant))
    assert r.status == 201
    await client.put(f"/api/v1/stores/{slug}/status", json={"status": "approved"}, headers=bearer(organizer))
    return merchant


async def test_group_checkout_makes_one_order_per_store(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    m2 = await _second_store(client, t.organizer)
    await add_products(settings, t.store, [("A", 1000, 5), ("B", 2500, 5)])
    await add_products(settings, "market", [("M", 300, 9)])
    friend, _ = await new_shopper(client, "friend")
    cart = await _cart_with(client, t.shopper, [(t.store, "A", 2), (t.store, "B", 1)])
    code = (await (await client.get(f"/api/v1/carts/{cart}", headers=bearer(t.shopper))).json())["share_code"]
    await client.post("/api/v1/carts/join", json={"share_code": code}, headers=bearer(friend))
    r = await client.post(f"/api/v1/carts/{cart}/lines", json={"store": "market", "sku": "M", "quantity": 3},
                          headers=bearer(friend))
    assert r.status == 201

    assert (await _checkout(client, friend, cart)).status == 400  # no Idempotency-Key
    r = await _checkout(client, friend, cart, "k1", checkout_body(expected_total=5400))  # any member may pay
    group = await r.json()
    assert r.status == 201, group
    assert group["status"] == "paid" and group["total"] == 5400 and group["currency"] == "KRW"
    assert group["payment"]["provider"] == "test" and group["fulfilment"]["type"] == "delivery"
    by_store = {o["store"]: o for o in group["orders"]}
    assert set(by_store) == {t.store, "market"}
    assert by_store[t.store]["total"] == 4500 and by_store["market"]["total"] == 900
    assert all(o["status"] == "paid" and o["total"] == sum(ln["line_total"] for ln in o["lines"])
               for o in group["orders"])
    assert {ln["sku"]: ln["quantity"] for ln in by_store[t.store]["lines"]} == {"A": 2, "B": 1}
    assert [await _stock(settings, s) for s in ("A", "B", "M")] == [3, 4, 6]

    cart_now = await (await client.get(f"/api/v1/carts/{cart}", headers=bearer(t.shopper))).json()
    assert cart_now["status"] == "checked_out"
    r = await client.post(f"/api/v1/carts/{cart}/lines", json={"store": t.store, "sku": "A"}, headers=bearer(friend))
    assert r.status == 409
    line = cart_now["lines"][0]["id"]
    assert (await client.delete(f"/api/v1/carts/{cart}/lines/{line}", headers=bearer(t.shopper))).status == 409
    late, _ = await new_shopper(client, "late")
    assert (await client.post("/api/v1/carts/join", json={"share_code": code}, headers=bearer(late))).status == 409
    r = await _checkout(client, t.shopper, cart, "k2")
    assert r.status == 409

    order = by_store[t.store]["id"]
    assert (await client.get(f"/api/v1/orders/{order}", headers=bearer(friend))).status == 200
    assert (await client.get(f"/api/v1/orders/{order}", headers=bearer(t.shopper))).status == 404  # not the payer
    assert (await client.get(f"/api/v1/orders/{order}", headers=bearer(t.merchant))).status == 403
    mine = await (await client.get(f"/api/v1/stores/{t.store}/orders", headers=bearer(t.merchant))).json()
    assert [o["id"] for o in mine["orders"]] == [order]
    assert (await client.get("/api/v1/stores/market/orders", headers=bearer(t.merchant))).status == 404
    theirs = await (await client.get("/api/v1/stores/market/orders", headers=bearer(m2))).json()
    assert [o["store"] for o in theirs["orders"]] == ["market"]
    metrics = await (await client.get("/metrics")).text()
    assert 'vrstore_checkouts_total{outcome="paid"} 1.0' in metrics
    # The order events of the checkout (one per store) are read by the metrics: two stores, two paid orders.
    assert 'vrstore_orders_total{status="paid"} 2.0' in metrics
    paid = sum(o["total"] for o in group["orders"])
    assert f'vrstore_order_revenue_minor_total{{currency="KRW"}} {float(paid)}' in metrics


async def test_out_of_stock_names_every_short_line_and_takes_nothing(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 100, 5), ("B", 100, 5), ("C", 100, 5)])
    cart = await _cart_with(client, t.shopper, [(t.store, "A", 2), (t.store, "B", 3), (t.store, "C", 4)])
    await _sql(settings, "UPDATE products SET stock = 1 WHERE sku IN ('B', 'C')")
    r = await _checkout(client, t.shopper, cart, "k")
    problem = await r.json()
    assert r.status == 409 and problem["type"].endswith("/out-of-stock")
    assert problem["short"] == [{"store": t.store, "sku": "B", "requested": 3, "available": 1},
                                {"store": t.store, "sku": "C", "requested": 4, "available": 1}]
    assert [await _stock(settings, s) for s in ("A", "B", "C")] == [5, 1, 1]
    cart_now = await (await client.get(f"/api/v1/carts/{cart}", headers=bearer(t.shopper))).json()
    assert cart_now["status"] == "open"


async def test_decline_gives_stock_back_and_leaves_the_cart_open(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 100, 5)])
    cart = await _cart_with(client, t.shopper, [(t.store, "A", 2)])
    r = await _checkout(client, t.shopper, cart, "k1", checkout_body("tok_decline"))
    problem = await r.json()
    assert r.status == 402 and problem["type"].endswith("/payment-declined")
    assert await _stock(settings, "A") == 5
    again = await _checkout(client, t.shopper, cart, "k1", checkout_body("tok_decline"))
    assert again.status == 402 and await again.json() == problem  # the key replays the decline
    assert (await _checkout(client, t.shopper, cart, "k1", checkout_body("tok_visa"))).status == 422
    r = await _checkout(client, t.shopper, cart, "k2", checkout_body("tok_visa"))
    assert r.status == 201 and await _stock(settings, "A") == 3
    metrics = await (await client.get("/metrics")).text()
    assert 'outcome="declined"} 1.0' in metrics and 'outcome="replayed"} 1.0' in metrics


async def test_price_change_since_shown_is_refused_with_old_and_new_prices(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 5), ("B", 500, 5)])
    cart = await _cart_with(client, t.shopper, [(t.store, "A", 2), (t.store, "B", 1)])
    shown = await (await client.get(f"/api/v1/carts/{cart}", headers=bearer(t.shopper))).json()
    expected = [{"line": ln["id"], "unit_price": ln["unit_price"]} for ln in shown["lines"]]
    await _sql(settings, "UPDATE products SET sale_price = 800 WHERE sku = 'A'")
    body = checkout_body(expected_total=shown["total"], expected_prices=expected)
    r = await _checkout(client, t.shopper, cart, "k1", body)
    problem = await r.json()
    assert r.status == 409 and problem["type"].endswith("/price-changed")
    line_a = next(ln["id"] for ln in shown["lines"] if ln["sku"] == "A")
    assert problem["lines"] == [{"line": line_a, "store": t.store, "sku": "A", "old_unit_price": 1000,
                                 "new_unit_price": 800}]
    assert problem["expected_total"] == 2500 and problem["total"] == 2100
    assert await _stock(settings, "A") == 5
    # Only the total given: still refused; confirming the new total goes through.
    r = await _checkout(client, t.shopper, cart, "k2", checkout_body(expected_total=2500))
    assert r.status == 409
    r = await _checkout(client, t.shopper, cart, "k3", checkout_body(expected_total=2100))
    assert r.status == 201 and (await r.json())["total"] == 2100


async def test_pickup_and_order_state_machine(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 100, 5)])
    await set_fulfilment(client, t.store, t.merchant)  # a store offers pickup once it has opening hours
    slot = _slot(timedelta(days=2))
    pickup = {"fulfilment": {"type": "pickup", "store": t.store, "slot": slot},
              "payment": {"provider": "test", "token": "tok_visa"}}
    cart = await _cart_with(client, t.shopper, [(t.store, "A", 2)])
    bad = {**pickup, "fulfilment": {**pickup["fulfilment"], "store": "elsewhere"}}
    assert (await _checkout(client, t.shopper, cart, "bad", bad)).status == 422
    naive = {**pickup, "fulfilment": {**pickup["fulfilment"], "slot": slot[:19]}}
    assert (await _checkout(client, t.shopper, cart, "naive", naive)).status == 422
    r = await _checkout(client, t.shopper, cart, "ok", pickup)
    assert r.status == 201
    order = (await r.json())["orders"][0]
    assert order["fulfilment"]["type"] == "pickup"
    url = f"/api/v1/orders/{order['id']}/status"

    async def move(status: str, token: str = t.merchant) -> int:
        return (await client.post(url, json={"status": status}, headers=bearer(token))).status

    assert await move("shipped") == 409  # a pickup order is never shipped
    assert await move("completed") == 409
    other = await make_tenant(client, settings, "other")
    assert await move("ready_for_pickup", other.merchant) == 404
    assert await move("ready_for_pickup", t.shopper) == 403
    assert await move("ready_for_pickup") == 200
    assert await _stock(settings, "A") == 3
    r = await client.post(url, json={"status": "cancelled"}, headers=bearer(t.merchant))
    assert r.status == 200 and (await r.json())["status"] == "refunded"  # the test provider refunds at once
    assert await _stock(settings, "A") == 5
    assert await move("cancelled") == 409  # stock comes back once
    assert await move("completed") == 409
    assert (await client.post("/api/v1/orders/abc/status", json={"status": "shipped"},
                              headers=bearer(t.merchant))).status == 404

    # Delivery: paid → shipped → completed; a completed order cannot be cancelled.
    cart = await _cart_with(client, t.shopper, [(t.store, "A", 1)])
    order = (await (await _checkout(client, t.shopper, cart, "d")).json())["orders"][0]
    url = f"/api/v1/orders/{order['id']}/status"
    assert await move("ready_for_pickup") == 409
    assert [await move(s) for s in ("shipped", "completed", "cancelled")] == [200, 200, 409]
    listed = await (await client.get(f"/api/v1/stores/{t.store}/orders?limit=1", headers=bearer(t.merchant))).json()
    assert [o["id"] for o in listed["orders"]] == [order["id"]] and listed["next_before"] == order["id"]
    older = await (await client.get(f"/api/v1/stores/{t.store}/orders?before={order['id']}",
                                    headers=bearer(t.merchant))).json()
    assert [o["status"] for o in older["orders"]] == ["refunded"] and older["next_before"] is None


async def test_empty_cart_and_bad_bodies(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    cart = await _cart_with(client, t.shopper, [])
    r = await _checkout(client, t.shopper, cart, "e")
    assert r.status == 422
    assert (await _checkout(client, t.shopper, cart, "x" * 256)).status == 400
    body = checkout_body()
    body["payment"]["provider"] = "paypal"
    assert (await _checkout(client, t.shopper, cart, "p", body)).status == 422
    stranger, _ = await new_shopper(client)
    assert (await _checkout(client, stranger, cart, "s")).status == 404


async def test_fifty_shoppers_race_for_the_last_unit(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    shoppers = [(await new_shopper(client, f"s{i}"))[0] for i in range(50)]
    for round_ in range(3):
        sku = f"LAST{round_}"
        await add_products(settings, t.store, [(sku, 100, 1)])
        carts = [await _cart_with(client, s, [(t.store, sku, 1)]) for s in shoppers]
        responses = await asyncio.gather(*(
            _checkout(client, s, c, uuid.uuid4().hex) for s, c in zip(shoppers, carts, strict=True)))
        statuses = sorted(r.status for r in responses)
        assert statuses == [201] + [409] * 49, statuses
        for r in responses:
            if r.status == 409:
                assert (await r.json())["short"] == [{"store": t.store, "sku": sku, "requested": 1, "available": 0}]
        assert await _stock(settings, sku) == 0
    sold = await _sql(settings, "SELECT COUNT(*) FROM order_lines")
    assert sold[0][0] == 3


def _slot(ahead: timedelta) -> str:
    """A pickup slot about ``ahead`` of now (on the half hour, as slots start), as the shopper's client writes it
    (Seoul time, with its offset)."""
    seoul = datetime.now(UTC).astimezone(ZoneInfo("Asia/Seoul")) + ahead
    return (seoul - timedelta(minutes=seoul.minute % 30, seconds=seoul.second, microseconds=seoul.microsecond)
            + timedelta(minutes=30)).isoformat()


def _pickup(slot: Any) -> dict[str, Any]:
    return {"fulfilment": {"type": "pickup", "slot": slot}, "payment": {"provider": "test", "token": "tok_visa"}}


@pytest.mark.parametrize("slot", ["1970-01-01T00:00:00Z", "9999-12-31T23:59:59+09:00", "past", "next year"])
async def test_pickup_slot_must_be_ahead_and_within_90_days(
    client: TestClient[Any, Any], settings: Settings, slot: str
) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 100, 5)])
    await set_fulfilment(client, t.store, t.merchant)
    cart = await _cart_with(client, t.shopper, [(t.store, "A", 2)])
    slot = {"past": _slot(-timedelta(minutes=40)), "next year": _slot(timedelta(days=91))}.get(slot, slot)
    r = await _checkout(client, t.shopper, cart, "k", _pickup(slot))
    problem = await r.json()
    assert r.status == 422, problem
    assert problem["errors"][0]["loc"] == ["body", "fulfilment", "slot"]
    assert problem["detail"].startswith("the pickup slot is ")
    assert "in the past" in problem["detail"] or "more than 90 days ahead" in problem["detail"]
    assert await _stock(settings, "A") == 5
    assert (await (await client.get(f"/api/v1/carts/{cart}", headers=bearer(t.shopper))).json())["status"] == "open"
    r = await _checkout(client, t.shopper, cart, "k2", _pickup(_slot(timedelta(days=89, hours=23))))
    assert r.status == 201, await r.text()


async def test_lines_of_a_closed_store_or_a_removed_product_say_so(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    await _second_store(client, t.organizer)
    await add_products(settings, t.store, [("A", 100, 5), ("B", 100, 5)])
    await add_products(settings, "market", [("M", 300, 9)])
    cart = await _cart_with(client, t.shopper, [(t.store, "A", 1), (t.store, "B", 1), ("market", "M", 2)])
    lines = {ln["sku"]: ln["id"] for ln in (await (await client.get(
        f"/api/v1/carts/{cart}", headers=bearer(t.shopper))).json())["lines"]}

    # The merchant's new catalog no longer lists B.
    await _sql(settings, "UPDATE products SET active = :no WHERE sku = 'B'", no=False)
    r = await _checkout(client, t.shopper, cart, "k1")
    problem = await r.json()
    assert r.status == 409 and problem["type"].endswith("/product-unavailable"), problem
    assert problem["title"] == "Product no longer sold"
    assert problem["detail"].startswith(f"product B ({t.store}) is no longer sold")
    assert problem["unavailable"] == [{"line": lines["B"], "store": t.store, "sku": "B", "reason": "product_removed"}]

    # The organizer suspends the market: its lines are reported first, the removed product with them.
    r = await client.put("/api/v1/stores/market/status", json={"status": "suspended"}, headers=bearer(t.organizer))
    assert r.status == 200
    r = await _checkout(client, t.shopper, cart, "k2")
    problem = await r.json()
    assert r.status == 409 and problem["type"].endswith("/store-unavailable"), problem
    assert problem["detail"].startswith("store market is closed for now; product B")
    assert sorted(problem["unavailable"], key=lambda u: u["line"]) == sorted([
        {"line": lines["B"], "store": t.store, "sku": "B", "reason": "product_removed"},
        {"line": lines["M"], "store": "market", "sku": "M", "reason": "store_closed"}], key=lambda u: u["line"])
    assert "out of stock" not in problem["detail"] and "left" not in problem["detail"]
    assert [await _stock(settings, s) for s in ("A", "B", "M")] == [5, 5, 9]
    again = await _checkout(client, t.shopper, cart, "k2")  # one key, one attempt: the refusal replays
    assert again.status == 409 and await again.json() == problem

    # Removing those lines lets the rest go through.
    for sku in ("B", "M"):
        r = await client.delete(f"/api/v1/carts/{cart}/lines/{lines[sku]}", headers=bearer(t.shopper))
        assert r.status == 200, await r.text()
    r = await _checkout(client, t.shopper, cart, "k3")
    assert r.status == 201, await r.text()
    metrics = await (await client.get("/metrics")).text()
    assert 'vrstore_checkouts_total{outcome="unavailable"} 2.0' in metrics
