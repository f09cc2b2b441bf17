"""Payments: authorise before the order commits, capture after; a crash between them leaves an authorisation that is
voided at start-up (no charge without an order); Toss Payments against a local fake of its API; webhook signatures."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from factories import (
    add_products,
    bearer,
    checkout_body,
    make_settings,
    make_tenant,
    running_client,
    start_live_server,
    stop_live_server,
)
from fake_toss import SECRET, FakeToss
from sqlalchemy import text

from server import keys
from server.persistence.database import Database
from server.persistence.engine import make_engine
from server.services import payments
from server.services.payments import Payments, TestProvider
from server.settings import Settings

WEBHOOK_SECRET = "whsec_for_tests_only"


async def _sql(url: str, sql: str, **params: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def _cart(client: TestClient[Any, Any], token: str, store: str, sku: str, qty: int) -> int:
    cart = (await (await client.post("/api/v1/carts", headers=bearer(token))).json())["id"]
    r = await client.post(f"/api/v1/carts/{cart}/lines", json={"store": store, "sku": sku, "quantity": qty},
                          headers=bearer(token))
    assert r.status == 201, await r.text()
    return int(cart)


def _toss_body(payment_key: str, order_id: str, method: str = "tosspay") -> dict[str, Any]:
    body = checkout_body()
    body["payment"] = {"provider": "toss", "method": method, "token": payment_key, "order_id": order_id}
    return body


@pytest.fixture
async def toss() -> AsyncIterator[FakeToss]:
    fake = await FakeToss().start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def toss_client(tmp_path: Path, db_url: str, toss: FakeToss) -> AsyncIterator[tuple[TestClient[Any, Any], str]]:
    settings = make_settings(tmp_path, db_url, toss_secret_key=SECRET, toss_client_key="test_ck_fake_client",
                             toss_api_url=toss.url, toss_webhook_secret=WEBHOOK_SECRET)
    async with running_client(settings) as client:
        yield client, db_url


# --- the built-in test provider ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["card", "kakaopay", "naverpay", "tosspay", "transfer"])
async def test_the_test_provider_authorises_then_captures_after_the_commit(
    client: TestClient[Any, Any], settings: Settings, db_url: str, method: str
) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 5)])
    cart = await _cart(client, t.shopper, t.store, "A", 2)
    declined = checkout_body("tok_decline")
    declined["payment"]["method"] = method
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=declined,
                          headers=bearer(t.shopper) | {"Idempotency-Key": "no"})
    problem = await r.json()
    assert r.status == 402 and problem["decline_code"] == payments.TEST_DECLINES[method], problem
    assert await _sql(db_url, "SELECT COUNT(*) FROM payments") == [(0,)]  # a decline left nothing to void
    body = checkout_body()
    body["payment"]["method"] = method
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=body,
                          headers=bearer(t.shopper) | {"Idempotency-Key": "yes"})
    group = await r.json()
    assert r.status == 201, group
    assert group["payment"]["method"] == method and group["payment"]["status"] == "authorised"  # as committed
    rows = await _sql(db_url, "SELECT status, group_id, amount, method FROM payments")
    assert rows == [("captured", group["id"], 2000, method)]  # captured once the order had committed
    r = await client.get(f"/api/v1/order_groups/{group['id']}", headers=bearer(t.shopper))
    assert (await r.json())["payment"] == {**group["payment"], "status": "captured"}


async def test_the_sweep_captures_a_committed_order_and_voids_an_orphan(settings: Settings, db_url: str,
                                                                       client: TestClient[Any, Any]) -> None:
    """What a crash leaves, whichever side of the commit it hit: the sweep finishes it."""
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 5)])
    cart = await _cart(client, t.shopper, t.store, "A", 1)
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(),
                          headers=bearer(t.shopper) | {"Idempotency-Key": "k"})
    group = (await r.json())["id"]
    old = datetime.now(UTC) - timedelta(minutes=5)
    # As if the process died after the commit, before the capture; and another attempt died before its order.
    await _sql(db_url, "UPDATE payments SET status = 'authorised', updated_at = :old", old=old)
    session = (await _sql(db_url, "SELECT session_id, cart_id FROM payments"))[0]
    await _sql(db_url, "INSERT INTO payments (reference, provider, method, amount, currency, status, session_id, "
                       "cart_id, refunded, created_at, updated_at) VALUES ('vrs_orphan', 'test', 'card', 1000, 'KRW', "
                       "'authorising', :s, :c, 0, :old, :old)", s=session[0], c=session[1], old=old)
    database = Database.connect(db_url)
    try:
        report = await payments.sweep(database, Payments({"test": TestProvider()}), older_than=timedelta(seconds=60))
    finally:
        await database.close()
    assert (report.captured, report.voided) == (1, 1)
    rows = await _sql(db_url, "SELECT reference, status, group_id FROM payments ORDER BY id")
    assert [(s, g) for _, s, g in rows] == [("captured", group), ("voided", None)]


# --- Toss Payments, against the fake ---------------------------------------------------------------------------------


async def test_toss_confirms_the_server_side_amount_and_refunds_a_cancelled_order(
    toss_client: tuple[TestClient[Any, Any], str], toss: FakeToss, tmp_path: Path
) -> None:
    client, db_url = toss_client
    settings = client.server.app[keys.SETTINGS]
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1500, 5)])
    cart = await _cart(client, t.shopper, t.store, "A", 2)
    methods = await (await client.get("/api/v1/payments/methods")).json()
    toss_choice = next(p for p in methods["providers"] if p["provider"] == "toss")
    assert toss_choice["client_key"] == "test_ck_fake_client" and "kakaopay" in toss_choice["methods"]

    # The window was opened for less than the cart costs (a tampered client): Toss refuses, nothing is charged.
    toss.window("pk_cheap", "order-cheap-1", 100)
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=_toss_body("pk_cheap", "order-cheap-1"),
                          headers=bearer(t.shopper) | {"Idempotency-Key": "cheap"})
    assert r.status == 402 and (await r.json())["decline_code"] == "INVALID_REQUEST"
    assert toss.of("confirm", "pk_cheap")[0]["amount"] == 3000  # we sent our own amount, not the client's
    assert await _sql(db_url, "SELECT status FROM payments") == [("declined",)]

    # A card company's refusal is a decline.
    toss.window("pk_rejected", "order-rejected-1", 3000, reject="REJECT_CARD_COMPANY")
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=_toss_body("pk_rejected", "order-rejected-1"),
                          headers=bearer(t.shopper) | {"Idempotency-Key": "rejected"})
    assert r.status == 402 and (await r.json())["decline_code"] == "REJECT_CARD_COMPANY"

    toss.window("pk_good", "order-good-1", 3000)
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=_toss_body("pk_good", "order-good-1"),
                          headers=bearer(t.shopper) | {"Idempotency-Key": "good"})
    group = await r.json()
    assert r.status == 201, group
    confirm = toss.calls[-1]
    assert confirm[0] == "confirm" and confirm[2] == {"paymentKey": "pk_good", "orderId": "order-good-1",
                                                     "amount": 3000}
    assert confirm[3].startswith("vrs_")  # our reference is Toss's idempotency key
    assert (await _sql(db_url, "SELECT status, provider_key FROM payments WHERE group_id = :g", g=group["id"])
            ) == [("captured", "pk_good")]
    stock = await _sql(db_url, "SELECT stock FROM products WHERE sku = 'A'")
    assert stock == [(3,)]

    # The buyer cancels: stock back, then Toss refunds that order's total.
    order = group["orders"][0]["id"]
    r = await client.post(f"/api/v1/orders/{order}/cancel", headers=bearer(t.shopper))
    assert r.status == 200 and (await r.json())["status"] == "refunded", await r.text()
    assert toss.of("cancel", "pk_good") == [{"cancelReason": "주문 취소", "cancelAmount": 3000}]
    assert toss.payments["pk_good"].status == "CANCELED"
    assert await _sql(db_url, "SELECT stock FROM products WHERE sku = 'A'") == [(5,)]
    assert await _sql(db_url, "SELECT refunded FROM payments WHERE group_id = :g", g=group["id"]) == [(3000,)]


async def test_toss_unreachable_releases_the_key_and_voids_what_may_have_happened(
    toss_client: tuple[TestClient[Any, Any], str], toss: FakeToss
) -> None:
    client, db_url = toss_client
    settings = client.server.app[keys.SETTINGS]
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1500, 5)])
    cart = await _cart(client, t.shopper, t.store, "A", 1)
    toss.window("pk_flaky", "order-flaky-1", 1500)
    toss.fail_confirms = True
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=_toss_body("pk_flaky", "order-flaky-1"),
                          headers=bearer(t.shopper) | {"Idempotency-Key": "flaky"})
    assert r.status == 503, await r.text()
    assert await _sql(db_url, "SELECT status FROM payments") == [("voided",)]
    assert await _sql(db_url, "SELECT COUNT(*) FROM idempotency_keys") == [(0,)]  # a retry runs afresh
    toss.fail_confirms = False
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=_toss_body("pk_flaky", "order-flaky-1"),
                          headers=bearer(t.shopper) | {"Idempotency-Key": "flaky"})
    assert r.status == 201, await r.text()


# --- a crash between the authorisation and the commit ---------------------------------------------------------------


async def _call(http: aiohttp.ClientSession, url: str, method: str, path: str, token: str | None = None,
                body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    hdrs = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    async with http.request(method, url + path, json=body, headers=hdrs) as r:
        return r.status, json.loads(await r.read() or b"null")


@pytest.mark.slow
async def test_a_crash_between_authorise_and_commit_is_voided_at_restart(tmp_path: Path, db_url: str) -> None:
    toss = await FakeToss(hold_confirms=asyncio.Event()).start()
    env = {"VRSTORE_DATABASE_URL": db_url, "VRSTORE_IDEMPOTENCY_TAKEOVER_S": "1", "VRSTORE_TOSS_SECRET_KEY": SECRET,
           "VRSTORE_TOSS_API_URL": toss.url}
    live = await asyncio.to_thread(start_live_server, tmp_path, extra_env=env)
    try:
        out = await asyncio.to_thread(live.vrstore, "admin", "create-festival", "--slug", "fest", "--name", "축제")
        organizer = out.strip().splitlines()[-1]
        async with aiohttp.ClientSession() as http:
            _, merchant = await _call(http, live.url, "POST", "/api/v1/festivals/fest/merchants", organizer,
                                      {"name": "m"})
            await _call(http, live.url, "POST", "/api/v1/stores", merchant["token"],
                        {"slug": "shop", "name_ko": "가게", "name_en": "Shop", "kind": "brand_shop"})
            await _call(http, live.url, "PUT", "/api/v1/stores/shop/status", organizer, {"status": "approved"})
            await add_products(Settings(data_dir=tmp_path, database_url=db_url), "shop", [("A", 2000, 10)])
            _, session = await _call(http, live.url, "POST", "/api/v1/sessions", None, {"display_name": "민지"})
            shopper = session["token"]
            _, cart = await _call(http, live.url, "POST", "/api/v1/carts", shopper)
            await _call(http, live.url, "POST", f"/api/v1/carts/{cart['id']}/lines", shopper,
                        {"store": "shop", "sku": "A", "quantity": 3})
            toss.window("pk_crash", "order-crash-1", 6000)
            attempt = asyncio.create_task(_call(http, live.url, "POST", f"/api/v1/carts/{cart['id']}/checkout",
                                                shopper, _toss_body("pk_crash", "order-crash-1"),
                                                {"Idempotency-Key": "crash"}))
            await asyncio.wait_for(toss.confirmed.wait(), 30)  # Toss approved: the money is held for us now
            live.process.send_signal(signal.SIGKILL)  # ... and the server dies before its order commits
            await asyncio.to_thread(live.process.wait)
            with pytest.raises(aiohttp.ClientError):
                await attempt
        stop_live_server(live)
        assert await _sql(db_url, "SELECT status FROM payments") == [("authorising",)]
        assert await _sql(db_url, "SELECT COUNT(*) FROM order_groups") == [(0,)]

        live = await asyncio.to_thread(start_live_server, tmp_path, extra_env=env)  # the restart
        await asyncio.wait_for(toss.cancelled.wait(), 30)
        assert toss.payments["pk_crash"].status == "CANCELED"  # voided: no charge without an order
        assert toss.of("cancel", "pk_crash")[0]["cancelReason"]
        for _ in range(100):  # the sweep marks the row right after Toss answered
            if await _sql(db_url, "SELECT status FROM payments") == [("voided",)]:
                break
            await asyncio.sleep(0.05)  # polling a condition (the sweep's write), not a fixed wait
        assert await _sql(db_url, "SELECT status FROM payments") == [("voided",)]
        assert await _sql(db_url, "SELECT stock FROM products WHERE sku = 'A'") == [(10,)]
        assert await _sql(db_url, "SELECT status FROM carts WHERE id = :c", c=cart["id"]) == [("open",)]
    finally:
        stop_live_server(live)
        await toss.close()


# --- webhooks ------------------------------------------------------------------------------------------------------


def _signed(body: bytes, when: datetime, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    moment = when.isoformat(timespec="seconds")
    return {"Content-Type": "application/json", "tosspayments-webhook-transmission-time": moment,
            "tosspayments-webhook-signature": f"v1:{payments.signature('other-secret', body, moment)},"
                                              f"v1:{payments.signature(secret, body, moment)}"}


async def test_webhooks_are_verified_by_signature_and_amounts_rechecked(
    toss_client: tuple[TestClient[Any, Any], str], toss: FakeToss
) -> None:
    client, db_url = toss_client
    settings = client.server.app[keys.SETTINGS]
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1500, 5)])
    cart = await _cart(client, t.shopper, t.store, "A", 1)
    toss.window("pk_hook", "order-hook-1", 1500)
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=_toss_body("pk_hook", "order-hook-1"),
                          headers=bearer(t.shopper) | {"Idempotency-Key": "hook"})
    assert r.status == 201
    url = "/api/v1/payments/toss/webhook"
    now = datetime.now(UTC)

    def event(amount: int, status: str = "DONE", order: str = "order-hook-1") -> bytes:
        return json.dumps({"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": now.isoformat(),
                           "data": {"paymentKey": "pk_hook", "orderId": order, "status": status,
                                    "totalAmount": amount}}).encode()

    body = event(1500)
    r = await client.post(url, data=body, headers={"Content-Type": "application/json"})
    assert r.status == 401  # unsigned
    r = await client.post(url, data=body, headers=_signed(body, now, secret="not-ours"))
    assert r.status == 401 and "signature" in (await r.json())["detail"]
    r = await client.post(url, data=event(1501), headers=_signed(body, now))  # signed another body
    assert r.status == 401
    r = await client.post(url, data=body, headers=_signed(body, now - timedelta(minutes=10)))
    assert r.status == 401 and "old" in (await r.json())["detail"]  # a replay of an old one
    r = await client.post(url, data=body, headers=_signed(body, now))
    assert r.status == 200 and (await r.json())["status"] == "DONE"
    tampered = event(9999)
    r = await client.post(url, data=tampered, headers=_signed(tampered, now))
    assert r.status == 422  # signed, but not the amount we asked for
    assert await _sql(db_url, "SELECT decline_code FROM payments") == [("amount_mismatch",)]
    unknown = event(10, order="order-nobody")
    r = await client.post(url, data=unknown, headers=_signed(unknown, now))
    assert r.status == 200 and (await r.json())["payment"] is None


async def test_webhooks_are_off_without_a_secret(client: TestClient[Any, Any]) -> None:
    r = await client.post("/api/v1/payments/toss/webhook", data=b"{}", headers={"Content-Type": "application/json"})
    assert r.status == 404
