"""Idempotency-Key semantics of the checkout (Stripe's): replay, mismatch, in-flight, expiry, takeover."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from factories import add_products, bearer, checkout_body, make_tenant, new_shopper
from sqlalchemy import text, update

from server.contracts.carts import CheckoutIn
from server.persistence.engine import make_engine
from server.persistence.tables import IdempotencyKey, utcnow
from server.services.idempotency import request_hash
from server.settings import Settings


async def _cart(client: TestClient[Any, Any], token: str, store: str, sku: str = "A", qty: int = 1) -> int:
    cart = int((await (await client.post("/api/v1/carts", headers=bearer(token))).json())["id"])
    r = await client.post(f"/api/v1/carts/{cart}/lines", json={"store": store, "sku": sku, "quantity": qty},
                          headers=bearer(token))
    assert r.status == 201
    return cart


def _post(client: TestClient[Any, Any], token: str, cart: int, key: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/carts/{cart}/checkout", json=body,
                       headers={**bearer(token), "Idempotency-Key": key})


async def _age_keys(settings: Settings, **ago: timedelta) -> None:
    engine = make_engine(settings.effective_database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(IdempotencyKey).values(**{col: utcnow() - delta for col, delta in ago.items()}))
    finally:
        await engine.dispose()


async def _count(settings: Settings, table: str) -> int:
    engine = make_engine(settings.effective_database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar_one())
    finally:
        await engine.dispose()


async def test_twenty_parallel_requests_with_one_key_make_one_order(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 10)])
    cart = await _cart(client, t.shopper, t.store, qty=2)
    body = checkout_body()
    responses = await asyncio.gather(*(_post(client, t.shopper, cart, "same-key", body) for _ in range(20)))
    payloads = [(r.status, await r.read()) for r in responses]
    created = [p for s, p in payloads if s == 201]
    assert created and len(set(created)) == 1  # every 201 is the same body, replayed byte for byte
    assert {s for s, _ in payloads} <= {201, 409}
    for r in responses:
        if r.status == 409:
            assert (await r.json())["detail"].startswith("a request with this Idempotency-Key is still in progress")
    assert await _count(settings, "order_groups") == 1
    replay = await _post(client, t.shopper, cart, "same-key", body)
    assert replay.status == 201 and await replay.read() == created[0]
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert (await _post(client, t.shopper, cart, "same-key", checkout_body("tok_other"))).status == 422
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=body, headers=bearer(t.shopper))
    assert r.status == 400 and r.content_type == "application/problem+json"


async def test_keys_are_scoped_per_session(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 10)])
    other, _ = await new_shopper(client)
    mine, theirs = await _cart(client, t.shopper, t.store), await _cart(client, other, t.store)
    assert (await _post(client, t.shopper, mine, "k", checkout_body())).status == 201
    assert (await _post(client, other, theirs, "k", checkout_body())).status == 201
    assert await _count(settings, "order_groups") == 2


async def test_an_expired_key_is_a_new_request(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 10)])
    first = await _cart(client, t.shopper, t.store)
    assert (await _post(client, t.shopper, first, "daily", checkout_body())).status == 201
    await _age_keys(settings, created_at=timedelta(hours=25), locked_at=timedelta(hours=25))
    second = await _cart(client, t.shopper, t.store)
    r = await _post(client, t.shopper, second, "daily", checkout_body("tok_2"))  # other body: fine once expired
    assert r.status == 201 and (await r.json())["cart"] == second
    assert await _count(settings, "idempotency_keys") == 1


async def test_a_stuck_in_flight_key_is_taken_over(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 10)])
    cart = await _cart(client, t.shopper, t.store)
    # What a crash between claim and completion leaves behind: an in-flight key, nothing else.
    engine = make_engine(settings.effective_database_url)
    try:
        async with engine.begin() as conn:
            session_id = (await conn.execute(text("SELECT MAX(id) FROM shopper_sessions"))).scalar_one()
            body = CheckoutIn.model_validate(checkout_body()).model_dump_json()
            fingerprint = request_hash("checkout", str(cart), body)
            await conn.execute(IdempotencyKey.__table__.insert().values(
                session_id=session_id, key="crashed", request_hash=fingerprint, status="in_flight",
                lock_token="dead", created_at=utcnow(), locked_at=utcnow()))
    finally:
        await engine.dispose()
    assert (await _post(client, t.shopper, cart, "crashed", checkout_body())).status == 409  # still fresh
    await _age_keys(settings, locked_at=timedelta(seconds=61))
    r = await _post(client, t.shopper, cart, "crashed", checkout_body())
    assert r.status == 201, await r.text()
    assert (await _post(client, t.shopper, cart, "crashed", checkout_body())).status == 201
    assert await _count(settings, "order_groups") == 1
