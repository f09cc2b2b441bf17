"""What a shopper trusts in a checkout: shipping fees per store (charged as shown), pickup slots from opening hours
(no other slot is taken), the whole group hearing who paid and carrying on in a fresh cart, the order group readable
at a stable address with live status, the buyer's cancellation giving the stock back, and the merchant's CSV."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from factories import add_products, bearer, checkout_body, make_tenant, new_shopper, set_fulfilment

from server.domain.pickup import OpeningHours, parse_hours, pickup_slots, slot_problem
from server.http.handlers import order_groups
from server.live.client import LiveClient
from server.services.pricing import RemoteArea, ShippingRule, shipping
from server.settings import Settings

SEOUL = ZoneInfo("Asia/Seoul")
JEJU = {"first": "63000", "last": "63644", "surcharge": 3000}


# --- the rules, as pure functions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("subtotal", "postal", "delivery", "fee"), [
    (10_000, "04524", True, 3000),   # the flat fee
    (49_999, "04524", True, 3000),
    (50_000, "04524", True, 0),      # free from the threshold on
    (10_000, "63000", True, 6000),   # Jeju: flat fee + surcharge
    (60_000, "63-644", True, 3000),  # free shipping does not waive the island surcharge
    (10_000, "63645", True, 3000),   # just past the range
    (10_000, "5 digits?", True, 3000),
    (10_000, "63000", False, 0),     # a pickup ships nothing
])
def test_the_shipping_fee_rule(subtotal: int, postal: str, delivery: bool, fee: int) -> None:
    rule = ShippingRule(flat_fee=3000, free_over=50_000, remote=(RemoteArea(63000, 63644, 3000),
                                                                 RemoteArea(63000, 63100, 2000)))
    assert shipping(rule, subtotal=subtotal, postal_code=postal, delivery=delivery).fee == fee


def test_pickup_slots_come_from_opening_hours_in_the_festival_zone() -> None:
    hours = parse_hours({"mon": [["10:00", "12:00"], ["13:00", "14:00"]], "tue": [["22:00", "24:00"]]})
    now = datetime(2026, 11, 30, 9, 50, tzinfo=SEOUL)  # a Monday, 09:50 in Seoul
    slots = pickup_slots([hours], SEOUL, now, days=2)
    assert [s.strftime("%a %H:%M") for s in slots] == [
        "Mon 10:30", "Mon 11:00", "Mon 11:30", "Mon 13:00", "Mon 13:30", "Tue 22:00", "Tue 22:30", "Tue 23:00",
        "Tue 23:30"]  # 10:00 is within the 30-minute lead; the last slot of an interval ends at closing
    assert all(s.tzinfo is not None and s.utcoffset() == timedelta(hours=9) for s in slots)
    other = parse_hours({"mon": [["11:00", "18:00"]]})
    assert [s.strftime("%H:%M") for s in pickup_slots([hours, other], SEOUL, now, 1)] == ["11:00", "11:30", "13:00",
                                                                                          "13:30"]
    assert pickup_slots([hours, OpeningHours()], SEOUL, now, 7) == []  # a store without hours: no pickup
    assert slot_problem({"a": hours}, SEOUL, slots[0], now) is None
    assert "not one of a's pickup slots" in (slot_problem({"a": hours}, SEOUL, slots[0] + timedelta(minutes=1), now)
                                            or "")
    night = datetime(2026, 12, 1, 1, 29, tzinfo=SEOUL)  # the 1:29 a.m. booking of the bug report
    assert "not one of" in (slot_problem({"a": hours}, SEOUL, night, now) or "")
    assert "too soon" in (slot_problem({"a": hours}, SEOUL, datetime(2026, 11, 30, 10, 0, tzinfo=SEOUL), now) or "")
    assert "no pickup" in (slot_problem({"b": OpeningHours()}, SEOUL, slots[0], now) or "")


@pytest.mark.parametrize(("raw", "says"), [
    ({"mon": [["10:00", "09:00"]]}, "closes before it opens"),
    ({"mon": [["10:00", "12:00"], ["11:00", "13:00"]]}, "overlap"),
    ({"funday": [["10:00", "12:00"]]}, "unknown day"),
    ({"mon": [["10:00", "24:30"]]}, "not a time of day"),
])
def test_opening_hours_that_make_no_sense_are_refused(raw: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_hours(raw)


# --- shipping over the API ----------------------------------------------------------------------------------------


async def _cart(client: TestClient[Any, Any], token: str, lines: list[tuple[str, str, int]]) -> int:
    cart = int((await (await client.post("/api/v1/carts", headers=bearer(token))).json())["id"])
    for store, sku, qty in lines:
        r = await client.post(f"/api/v1/carts/{cart}/lines", json={"store": store, "sku": sku, "quantity": qty},
                              headers=bearer(token))
        assert r.status == 201, await r.text()
    return cart


async def _second_store(client: TestClient[Any, Any], organizer: str) -> str:
    r = await client.post("/api/v1/festivals/fest/merchants", json={"name": "m2"}, headers=bearer(organizer))
    merchant = str((await r.json())["token"])
    r = await client.post("/api/v1/stores", json={"slug": "market", "name_ko": "시장", "name_en": "Market",
                                                  "kind": "traditional_market"}, headers=bearer(merchant))
    assert r.status == 201
    await client.put("/api/v1/stores/market/status", json={"status": "approved"}, headers=bearer(organizer))
    return merchant


def _to(postal: str) -> dict[str, Any]:
    body = checkout_body()
    body["fulfilment"]["address"]["postal_code"] = postal
    return body


async def test_shipping_is_shown_per_store_quoted_and_charged(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    m2 = await _second_store(client, t.organizer)
    await add_products(settings, t.store, [("A", 20_000, 9)])
    await add_products(settings, "market", [("M", 5_000, 9)])
    await set_fulfilment(client, t.store, t.merchant, flat_fee=3000, free_over=50_000, remote_areas=[JEJU])
    await set_fulfilment(client, "market", m2, flat_fee=2500)
    cart = await _cart(client, t.shopper, [(t.store, "A", 1), ("market", "M", 2)])

    shown = await (await client.get(f"/api/v1/carts/{cart}", headers=bearer(t.shopper))).json()
    fees = {s["store"]: (s["subtotal"], s["shipping_fee"], s["free_shipping_over"]) for s in shown["stores"]}
    assert fees == {t.store: (20_000, 3000, 50_000), "market": (10_000, 2500, None)}
    assert (shown["total"], shown["shipping_total"], shown["grand_total"]) == (30_000, 5500, 35_500)

    quote = await (await client.get(f"/api/v1/carts/{cart}/quote?postal_code=63100",
                                    headers=bearer(t.shopper))).json()
    assert {s["store"]: (s["shipping_fee"], s["remote_surcharge"]) for s in quote["stores"]} == {
        t.store: (6000, 3000), "market": (2500, 0)}
    assert quote["total"] == 30_000 + 8500
    pickup = await (await client.get(f"/api/v1/carts/{cart}/quote?type=pickup", headers=bearer(t.shopper))).json()
    assert pickup["shipping_total"] == 0 and pickup["total"] == 30_000

    # The shopper was shown the Seoul total but gives a Jeju address: the price changed, nothing is charged.
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json={**_to("63100"), "expected_total": 35_500},
                          headers=bearer(t.shopper) | {"Idempotency-Key": "seoul-total"})
    problem = await r.json()
    assert r.status == 409 and problem["total"] == 38_500, problem
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json={**_to("63100"), "expected_total": quote["total"]},
                          headers=bearer(t.shopper) | {"Idempotency-Key": "jeju"})
    group = await r.json()
    assert r.status == 201, group
    assert (group["total"], group["shipping_total"]) == (38_500, 8500)
    by_store = {o["store"]: (o["shipping_fee"], o["total"]) for o in group["orders"]}
    assert by_store == {t.store: (6000, 26_000), "market": (2500, 12_500)}
    assert sum(o["total"] for o in group["orders"]) == group["total"]


async def test_only_the_merchant_sets_fees_and_hours_and_nonsense_is_refused(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    other = await make_tenant(client, settings, "other")
    good = {"shipping": {"flat_fee": 3000, "free_over": None, "remote_areas": [JEJU]},
            "opening_hours": {"sat": [{"opens": "10:00", "closes": "20:00"}]}}
    url = f"/api/v1/stores/{t.store}/fulfilment"
    assert (await client.put(url, json=good, headers=bearer(other.merchant))).status == 404
    assert (await client.put(url, json=good, headers=bearer(t.shopper))).status == 403
    backwards = {**good, "shipping": {**good["shipping"], "remote_areas": [{**JEJU, "last": "62000"}]}}
    r = await client.put(url, json=backwards, headers=bearer(t.merchant))
    assert r.status == 422 and (await r.json())["errors"][0]["loc"] == ["body", "shipping", "remote_areas", 0, "last"]
    overlap = {**good, "opening_hours": {"sat": [{"opens": "10:00", "closes": "14:00"},
                                                 {"opens": "13:00", "closes": "20:00"}]}}
    r = await client.put(url, json=overlap, headers=bearer(t.merchant))
    assert r.status == 422 and (await r.json())["errors"][0]["loc"] == ["body", "opening_hours", "sat"]
    r = await client.put(url, json=good, headers=bearer(t.merchant))
    assert r.status == 200, await r.text()
    public = await (await client.get(url)).json()  # shoppers see fees and hours before they buy
    assert public["pickup"] is True and public["time_zone"] == "Asia/Seoul"
    assert public["shipping"]["remote_areas"] == [JEJU] and public["opening_hours"]["sat"] == [
        {"opens": "10:00", "closes": "20:00"}]
    assert public["opening_hours"]["mon"] == []


# --- pickup slots over the API ----------------------------------------------------------------------------------


def _pickup(slot: str, store: str | None = None) -> dict[str, Any]:
    return {"fulfilment": {"type": "pickup", "slot": slot, "store": store,
                           "contact": {"name": "김민지", "phone": "010-1234-5678"}},
            "payment": {"provider": "test", "token": "tok_visa"}}


async def test_a_pickup_takes_only_a_slot_the_stores_offer(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 9)])
    cart = await _cart(client, t.shopper, [(t.store, "A", 1)])
    slots = await (await client.get(f"/api/v1/carts/{cart}/pickup_slots", headers=bearer(t.shopper))).json()
    assert slots["slots"] == [] and slots["stores"] == [t.store]  # no opening hours yet: no pickup
    soon = (datetime.now(UTC) + timedelta(days=1)).astimezone(SEOUL).replace(minute=0, second=0, microsecond=0)
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=_pickup(soon.isoformat()),
                          headers=bearer(t.shopper) | {"Idempotency-Key": "closed"})
    problem = await r.json()
    assert r.status == 422 and problem["reason"] == "pickup_slot" and "offers no pickup" in problem["detail"]

    await set_fulfilment(client, t.store, t.merchant, hours={
        day: [{"opens": "10:00", "closes": "20:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    slots = await (await client.get(f"/api/v1/carts/{cart}/pickup_slots?days=3", headers=bearer(t.shopper))).json()
    assert slots["slot_minutes"] == 30 and slots["time_zone"] == "Asia/Seoul"
    offered = [datetime.fromisoformat(s) for s in slots["slots"]]
    assert offered and all(10 <= s.astimezone(SEOUL).hour < 20 and s.minute in (0, 30) for s in offered)
    assert offered == sorted(offered) and offered[0] > datetime.now(UTC) + timedelta(minutes=29)
    public = await (await client.get(f"/api/v1/stores/{t.store}/pickup_slots?days=3")).json()
    assert public["slots"] == slots["slots"]

    night = (offered[0].astimezone(SEOUL) + timedelta(days=1)).replace(hour=1, minute=29)  # the 1:29 a.m. booking
    for bad in (night, offered[0] + timedelta(minutes=10)):
        r = await client.post(f"/api/v1/carts/{cart}/checkout", json=_pickup(bad.isoformat()),
                              headers=bearer(t.shopper) | {"Idempotency-Key": f"bad-{bad.isoformat()}"})
        problem = await r.json()
        assert r.status == 422 and problem["errors"][0]["loc"] == ["body", "fulfilment", "slot"], problem
    no_slot = _pickup("x")
    del no_slot["fulfilment"]["slot"]
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=no_slot,
                          headers=bearer(t.shopper) | {"Idempotency-Key": "none"})
    assert r.status == 422  # no silent default slot
    # The last slot offered: the first may pass its 30 minutes' lead between the read and the checkout.
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=_pickup(slots["slots"][-1], t.store),
                          headers=bearer(t.shopper) | {"Idempotency-Key": "ok"})
    group = await r.json()
    assert r.status == 201, group
    assert datetime.fromisoformat(group["fulfilment"]["slot"]) == offered[-1]
    assert group["fulfilment"]["contact"] == {"name": "김민지", "phone": "010-1234-5678"}


# --- the group: who paid, and the cart it carries on with -----------------------------------------------------------


async def test_every_member_hears_who_paid_and_carries_on_in_a_fresh_cart(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 9)])
    friend, _ = await new_shopper(client, "지호")
    stranger, _ = await new_shopper(client, "남")
    cart = await _cart(client, t.shopper, [(t.store, "A", 2)])
    old = await (await client.get(f"/api/v1/carts/{cart}", headers=bearer(t.shopper))).json()
    await client.post("/api/v1/carts/join", json={"share_code": old["share_code"]}, headers=bearer(friend))
    url = str(client.make_url("")).rstrip("/")
    a = await LiveClient.connect(url, t.store, t.shopper, group=str(cart))
    b = await LiveClient.connect(url, t.store, friend, group=str(cart))
    try:
        r = await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(),
                              headers=bearer(t.shopper) | {"Idempotency-Key": "k"})
        group = await r.json()
        assert r.status == 201 and group["buyer"]["name"] == "민지"
        fresh = group["next_cart"]
        assert fresh["id"] != cart and fresh["share_code"] != old["share_code"]
        for member in (a, b):  # both hear it, the friend as well as the payer
            await asyncio.wait_for(member.wait_for(lambda c: any(m["change"].get("type") == "checked_out"
                                                                 for m in c.of_type("cart"))), 1.0)
            said = next(m for m in member.of_type("cart") if m["change"].get("type") == "checked_out")
            assert said["by"]["name"] == "민지" and said["change"]["next_cart"] == fresh["id"]
            assert said["change"]["order_group"] == group["id"]
    finally:
        await a.close()
        await b.close()

    seen = await (await client.get(f"/api/v1/carts/{cart}", headers=bearer(friend))).json()
    assert seen["status"] == "checked_out" and seen["paid_by"]["name"] == "민지"
    assert seen["order_group"] == group["id"] and seen["next_cart"] == fresh
    carry_on = await (await client.get(f"/api/v1/carts/{fresh['id']}", headers=bearer(friend))).json()
    assert carry_on["status"] == "open" and carry_on["lines"] == [] and carry_on["version"] == 1
    assert [m["name"] for m in carry_on["members"]] == ["민지", "지호"] and carry_on["members"][0]["owner"]
    r = await client.post(f"/api/v1/carts/{fresh['id']}/lines", json={"store": t.store, "sku": "A", "quantity": 1},
                          headers=bearer(friend))
    assert r.status == 201  # the group shops on

    summary = await (await client.get(f"/api/v1/order_groups/{group['id']}", headers=bearer(friend))).json()
    assert summary["buyer"]["name"] == "민지" and summary["orders"][0]["lines"][0]["quantity"] == 2
    assert summary["orders"][0]["store_name"] == {"ko": "가게", "en": "Shop"}
    assert (await client.get(f"/api/v1/order_groups/{group['id']}", headers=bearer(stranger))).status == 404
    for token in (t.shopper, friend):
        history = await (await client.get("/api/v1/order_groups", headers=bearer(token))).json()
        assert [g["id"] for g in history["groups"]] == [group["id"]]
    assert (await (await client.get("/api/v1/order_groups", headers=bearer(stranger))).json())["groups"] == []


# --- cancellation, status pushed live, and the merchant's CSV --------------------------------------------------


async def test_the_buyer_cancels_before_fulfilment_and_the_stock_comes_back(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 9)])
    friend, _ = await new_shopper(client, "지호")
    cart = await _cart(client, t.shopper, [(t.store, "A", 4)])
    group = await (await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(),
                                     headers=bearer(t.shopper) | {"Idempotency-Key": "k"})).json()
    order = group["orders"][0]["id"]

    async def stock() -> int:
        product = await (await client.get(f"/api/v1/stores/{t.store}/products/A")).json()
        return int(product["stock"])

    assert await stock() == 5
    assert (await client.post(f"/api/v1/orders/{order}/cancel", headers=bearer(friend))).status == 404
    r = await client.post(f"/api/v1/orders/{order}/cancel", headers=bearer(t.shopper))
    assert r.status == 200 and (await r.json())["status"] == "refunded"
    assert await stock() == 9
    r = await client.post(f"/api/v1/orders/{order}/cancel", headers=bearer(t.shopper))
    assert r.status == 409 and await stock() == 9  # the stock comes back once

    cart = await _cart(client, t.shopper, [(t.store, "A", 2)])
    group = await (await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(),
                                     headers=bearer(t.shopper) | {"Idempotency-Key": "k2"})).json()
    order = group["orders"][0]["id"]
    r = await client.post(f"/api/v1/orders/{order}/status", json={"status": "shipped"}, headers=bearer(t.merchant))
    assert r.status == 200
    r = await client.post(f"/api/v1/orders/{order}/cancel", headers=bearer(t.shopper))
    problem = await r.json()
    assert r.status == 409 and problem["reason"] == "order_started" and problem["current_status"] == "shipped"
    assert await stock() == 7


async def _frames(response: Any, want: int) -> list[dict[str, Any]]:
    """Read ``want`` ``group`` events off an event stream."""
    frames: list[dict[str, Any]] = []
    buffer = ""
    while len(frames) < want:
        buffer += (await response.content.readany()).decode()
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            data = [line[6:] for line in block.splitlines() if line.startswith("data: ")]
            if "event: group" in block and data:
                frames.append(json.loads(data[0]))
    return frames


async def test_status_changes_are_pushed_to_the_order_page(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 9)])
    cart = await _cart(client, t.shopper, [(t.store, "A", 1)])
    group = await (await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(),
                                     headers=bearer(t.shopper) | {"Idempotency-Key": "k"})).json()
    other, _ = await new_shopper(client, "남")
    assert (await client.get(f"/api/v1/order_groups/{group['id']}/events", headers=bearer(other))).status == 404
    stream = await client.get(f"/api/v1/order_groups/{group['id']}/events", headers=bearer(t.shopper))
    try:
        assert stream.status == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
        first = (await asyncio.wait_for(_frames(stream, 1), 5))[0]
        assert first["orders"][0]["status"] == "paid"
        r = await client.post(f"/api/v1/orders/{group['orders'][0]['id']}/status", json={"status": "shipped"},
                              headers=bearer(t.merchant))
        assert r.status == 200
        pushed = (await asyncio.wait_for(_frames(stream, 1), 1.0))[0]  # well within the 5 s poll: pushed
        assert pushed["orders"][0]["status"] == "shipped"
    finally:
        stream.close()


async def test_a_change_while_the_stream_opens_is_still_pushed(
    client: TestClient[Any, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merchant ships right after the stream read the group: the page must not stay on "paid" for good."""
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 9)])
    cart = await _cart(client, t.shopper, [(t.store, "A", 1)])
    group = await (await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(),
                                     headers=bearer(t.shopper) | {"Idempotency-Key": "k"})).json()
    order = group["orders"][0]["id"]
    real_read = order_groups.orders.get_group
    shipped: list[int] = []

    async def read_then_ship(*args: Any) -> Any:
        read = await real_read(*args)
        if not shipped:  # once, inside the stream's opening
            r = await client.post(f"/api/v1/orders/{order}/status", json={"status": "shipped"},
                                  headers=bearer(t.merchant))
            shipped.append(r.status)
        return read

    monkeypatch.setattr(order_groups.orders, "get_group", read_then_ship)
    stream = await client.get(f"/api/v1/order_groups/{group['id']}/events", headers=bearer(t.shopper))
    try:
        first = (await asyncio.wait_for(_frames(stream, 1), 5))[0]
        assert shipped == [200] and first["orders"][0]["status"] == "paid"  # read just before the change
        pushed = (await asyncio.wait_for(_frames(stream, 1), 2.0))[0]  # before the fix: never (the stamp was new)
        assert pushed["orders"][0]["status"] == "shipped"
    finally:
        stream.close()


async def test_the_merchant_exports_what_is_needed_to_fulfil(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 9)])
    cart = await _cart(client, t.shopper, [(t.store, "A", 2)])
    body = checkout_body()
    body["fulfilment"]["address"].update(name="=HYPERLINK(1)", line2="101동 202호")
    await client.post(f"/api/v1/carts/{cart}/checkout", json=body,
                      headers=bearer(t.shopper) | {"Idempotency-Key": "k"})
    assert (await client.get(f"/api/v1/stores/{t.store}/orders.csv", headers=bearer(t.shopper))).status == 403
    r = await client.get(f"/api/v1/stores/{t.store}/orders.csv", headers=bearer(t.merchant))
    assert r.status == 200 and r.content_type == "text/csv"
    raw = await r.read()
    assert raw.startswith("\ufeff".encode())  # spreadsheets then read the Korean as UTF-8
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("order,placed_at,status,buyer,recipient,phone")
    assert "'=HYPERLINK(1)" in lines[1] and "010-1234-5678" in lines[1] and "세종대로 110 101동 202호 서울" in lines[1]
    assert "상품 A (A) x2" in lines[1] and ",card" in lines[1]
    listed = await (await client.get(f"/api/v1/stores/{t.store}/orders", headers=bearer(t.merchant))).json()
    assert listed["orders"][0]["buyer"] == "민지"
    assert listed["orders"][0]["fulfilment"]["address"]["phone"] == "010-1234-5678"
