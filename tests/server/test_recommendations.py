"""Recommendations (issue 21) on SQLite and PostgreSQL: pairs from shoppers' looks, cart lines and orders,
counted once per distinct shopper and shown only from 5; popular now from the analytics minutes; the personal
shelf; the opt-out; the visits' bounds; bad input as problems."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import Tenant, add_products, bearer, checkout_body, make_tenant, new_shopper, running_client
from sqlalchemy import select

from server import keys
from server.domain import recommend as rd
from server.domain.analytics import K_MIN, Row
from server.live.client import LiveClient
from server.persistence.database import Database
from server.persistence.tables import RecommendPair, RecommendTag, Store
from server.recommend_watch import Recorder
from server.services import analytics, recommend, search_index
from server.settings import Settings

PROBLEM = "application/problem+json"
SHELF = [("A", 1000, 50), ("B", 2000, 50), ("C", 3000, 50), ("D", 4000, 50)]


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[tuple[TestClient[Any, Any], Tenant]]:
    async with running_client(settings) as client:
        t = await make_tenant(client, settings)
        await add_products(settings, t.store, SHELF, category="과자")
        yield client, t


def recorder(client: TestClient[Any, Any]) -> Recorder:
    return client.server.app[keys.RECOMMEND]


async def cart_with(client: TestClient[Any, Any], token: str, store: str, skus: list[str]) -> int:
    """A cart of the shopper with one unit of each product: each line added is a look (a CartChanged event)."""
    r = await client.post("/api/v1/carts", headers=bearer(token))
    cart = int((await r.json())["id"])
    for sku in skus:
        r = await client.post(f"/api/v1/carts/{cart}/lines", json={"store": store, "sku": sku},
                              headers=bearer(token))
        assert r.status == 201, await r.text()
    return cart


async def recommended(client: TestClient[Any, Any], store: str, sku: str) -> dict[str, list[str]]:
    r = await client.get(f"/api/v1/stores/{store}/products/{sku}/recommendations")
    assert r.status == 200, await r.text()
    body = await r.json()
    return {k: [card["sku"] for card in body[k]] for k in ("also_looked", "also_bought")}


async def pairs(client: TestClient[Any, Any]) -> dict[tuple[str, int, int], tuple[int, int]]:
    """(kind, a, b) → (shoppers, tags) as stored."""
    database: Database = client.server.app[keys.DATABASE]
    async with database.read() as db:
        rows = (await db.execute(select(RecommendPair))).scalars().all()
        tags = (await db.execute(select(RecommendTag.pair_id))).scalars().all()
    return {(r.kind, r.a_id, r.b_id): (r.shoppers, tags.count(r.id)) for r in rows}


async def test_a_pair_is_shown_from_the_fifth_distinct_shopper(shop: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = shop
    tokens = [(await new_shopper(client, f"s{i}"))[0] for i in range(K_MIN)]
    for token in tokens[:-1]:
        await cart_with(client, token, t.store, ["A", "B"])
    await recorder(client).flush()
    assert await recommended(client, t.store, "A") == {"also_looked": [], "also_bought": []}
    assert list((await pairs(client)).values()) == [(K_MIN - 1, K_MIN - 1)]  # one tag per shopper below 5

    # The same four again, their visits forgotten (as after a restart, or on another worker): none counts twice.
    recorder(client).visits = rd.Visits()
    for token in tokens[:-1]:
        await cart_with(client, token, t.store, ["B", "A"])
    await recorder(client).flush()
    assert list((await pairs(client)).values()) == [(K_MIN - 1, K_MIN - 1)]
    assert (await recommended(client, t.store, "B"))["also_looked"] == []

    await cart_with(client, tokens[-1], t.store, ["B", "A"])  # the fifth shopper
    await recorder(client).flush()
    assert await recommended(client, t.store, "A") == {"also_looked": ["B"], "also_bought": []}
    assert (await recommended(client, t.store, "B"))["also_looked"] == ["A"]
    assert list((await pairs(client)).values()) == [(K_MIN, 0)]  # past the threshold the tags are deleted


async def test_shoppers_who_looked_at_this_bought_that(shop: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = shop
    for i in range(K_MIN):
        token, _ = await new_shopper(client, f"b{i}")
        cart = await cart_with(client, token, t.store, ["A", "B"])
        line = next(line["id"] for line in (await (await client.get(
            f"/api/v1/carts/{cart}", headers=bearer(token))).json())["lines"] if line["sku"] == "A")
        r = await client.delete(f"/api/v1/carts/{cart}/lines/{line}", headers=bearer(token))
        assert r.status == 200, await r.text()  # looked at A, put it back
        r = await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(),
                              headers=bearer(token) | {"Idempotency-Key": f"k{i}"})
        assert r.status == 201, await r.text()  # bought B
    await recorder(client).flush()
    assert await recommended(client, t.store, "A") == {"also_looked": ["B"], "also_bought": ["B"]}
    assert await recommended(client, t.store, "B") == {"also_looked": ["A"], "also_bought": []}  # nobody bought A


async def test_a_session_that_turns_personalisation_off_is_not_counted(
        shop: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = shop
    url = "/api/v1/sessions/current/personalisation"
    quiet, _ = await new_shopper(client, "quiet")
    assert await (await client.get(url, headers=bearer(quiet))).json() == {"enabled": True}
    await cart_with(client, quiet, t.store, ["A"])  # looked before opting out: forgotten with the visit
    r = await client.put(url, json={"enabled": False}, headers=bearer(quiet))
    assert r.status == 200 and await r.json() == {"enabled": False}
    assert await (await client.get(url, headers=bearer(quiet))).json() == {"enabled": False}
    await cart_with(client, quiet, t.store, ["C", "D"])
    for i in range(K_MIN - 1):
        token, _ = await new_shopper(client, f"o{i}")
        await cart_with(client, token, t.store, ["C", "D"])
    await recorder(client).flush()
    assert (await recommended(client, t.store, "C"))["also_looked"] == []  # four shoppers, not five
    assert list((await pairs(client)).values()) == [(K_MIN - 1, K_MIN - 1)]
    shelf = await (await client.get(f"/api/v1/stores/{t.store}/popular", headers=bearer(quiet))).json()
    assert shelf["personalised"] is False and shelf["because"] == []

    assert (await client.put(url, json={"enabled": True}, headers=bearer(quiet))).status == 200
    await cart_with(client, quiet, t.store, ["D", "C"])  # counted again from now on
    await recorder(client).flush()
    assert (await recommended(client, t.store, "C"))["also_looked"] == ["D"]


async def test_the_personal_shelf_follows_this_visit(shop: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = shop
    database = client.server.app[keys.DATABASE]
    async with database.read() as db:
        store_id = (await db.execute(select(Store.id).where(Store.slug == t.store))).scalar_one()
    await database.unit(search_index.reindex_store, store_id)  # the same-kind fallback searches the store
    for i in range(K_MIN):
        token, _ = await new_shopper(client, f"p{i}")
        await cart_with(client, token, t.store, ["A", "B"])
    await recorder(client).flush()
    me, _ = await new_shopper(client, "me")
    await cart_with(client, me, t.store, ["C"])
    await cart_with(client, me, t.store, ["A"])
    shelf = await (await client.get(f"/api/v1/stores/{t.store}/popular", headers=bearer(me))).json()
    assert shelf["personalised"] is True
    assert [(b["looked_at"]["sku"], [c["sku"] for c in b["items"]]) for b in shelf["because"]] == [
        ("A", ["B"]),  # what five shoppers paired with A
        ("C", ["B", "D"]),  # nobody paired C yet: more of its kind here, but nothing this visit already holds
    ]
    card = shelf["because"][0]["items"][0]
    assert card["price_min"] == 2000 and card["currency"] == "KRW" and card["store"] == t.store
    off = await client.get(f"/api/v1/stores/{t.store}/popular", headers=bearer(me) | {"X-Vrstore-Personalise": "off"})
    assert (await off.json())["because"] == [] and (await off.json())["personalised"] is False
    anonymous = await (await client.get(f"/api/v1/stores/{t.store}/popular")).json()
    assert anonymous["personalised"] is False and anonymous["because"] == []


async def test_popular_now_hides_what_fewer_than_5_shoppers_did(shop: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = shop
    now = int(time.time() // 60 * 60)
    rows = [Row(now - 120, t.festival, t.store, "view", "A", 9, K_MIN),
            Row(now - 60, t.festival, t.store, "view", "B", 40, K_MIN - 1),  # many looks, too few shoppers
            Row(now - 60, t.festival, t.store, "view", "C", 3, K_MIN),
            Row(now - 60, t.festival, t.store, "add", "C", 4, K_MIN),  # 3 + 2 × 4 = 11 > 9
            Row(now - 2 * 3600, t.festival, t.store, "view", "D", 99, 50)]  # before the last hour
    async with client.server.app[keys.DATABASE].write() as db:
        await analytics.write(db, rows)
    r = await client.get(f"/api/v1/stores/{t.store}/popular", params={"limit": "5"})
    assert r.status == 200, await r.text()
    body = await r.json()
    assert [card["sku"] for card in body["items"]] == ["C", "A"] and body["window_minutes"] == 60


async def test_looks_on_the_live_socket_are_counted(shop: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = shop
    token, session = await new_shopper(client, "walker")
    live = await LiveClient.connect(str(client.make_url("")).rstrip("/"), t.store, token)
    try:
        for sku in ("A", "B"):
            await live.send({"type": "focus", "sku": sku})
            seen = (t.store, sku)
            await wait_until(lambda seen=seen: seen in recorder(client).visits.recent(session, time.time()))
    finally:
        await live.close()
    await recorder(client).flush()
    assert list((await pairs(client)).values()) == [(1, 1)]  # one shopper so far: stored, never shown
    assert (await recommended(client, t.store, "A"))["also_looked"] == []


async def test_pairs_never_cross_festivals(shop: tuple[TestClient[Any, Any], Tenant], settings: Settings) -> None:
    client, t = shop
    other = await make_tenant(client, settings, "other")
    await add_products(settings, other.store, [("X", 500, 5)])
    for i in range(K_MIN):
        token, _ = await new_shopper(client, f"x{i}")
        await cart_with(client, token, t.store, ["A"])
        await cart_with(client, token, other.store, ["X"])
    await recorder(client).flush()
    assert await pairs(client) == {}


async def test_without_analytics_nothing_is_counted(settings: Settings) -> None:
    async with running_client(settings.model_copy(update={"analytics": False})) as client:
        t = await make_tenant(client, settings)
        await add_products(settings, t.store, SHELF)
        assert keys.RECOMMEND not in client.server.app
        await cart_with(client, t.shopper, t.store, ["A", "B"])
        assert await recommended(client, t.store, "A") == {"also_looked": [], "also_bought": []}
        shelf = await (await client.get(f"/api/v1/stores/{t.store}/popular", headers=bearer(t.shopper))).json()
        assert shelf == {"items": [], "window_minutes": 60, "personalised": False, "because": []}


async def test_bad_requests_are_problems(shop: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = shop
    for url, status in (("/api/v1/stores/nope/products/A/recommendations", 404),
                        (f"/api/v1/stores/{t.store}/products/NOPE/recommendations", 404),
                        (f"/api/v1/stores/{t.store}/products/A/recommendations?limit=0", 422),
                        (f"/api/v1/stores/{t.store}/popular?limit=abc", 422), ("/api/v1/stores/nope/popular", 404)):
        r = await client.get(url)
        assert r.status == status and r.content_type == PROBLEM, (url, await r.text())
    r = await client.get(f"/api/v1/stores/{t.store}/popular", headers={"X-Vrstore-Personalise": "maybe"})
    assert r.status == 422 and (await r.json())["errors"][0]["loc"] == ["header", "X-Vrstore-Personalise"]
    url = "/api/v1/sessions/current/personalisation"
    assert (await client.put(url, json={"enabled": False})).status == 401
    assert (await client.put(url, json={"enabled": False}, headers=bearer(t.merchant))).status == 403
    for body in ({"enabled": "false"}, {"enabled": 0}, {}, {"enabled": False, "why": "x"}):
        r = await client.put(url, json=body, headers=bearer(t.shopper))
        assert r.status == 422 and r.content_type == PROBLEM, body


async def test_pairs_below_the_threshold_expire_first(shop: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = shop
    for i in range(K_MIN):
        token, _ = await new_shopper(client, f"e{i}")
        await cart_with(client, token, t.store, ["A", "B"])
    token, _ = await new_shopper(client, "alone")
    await cart_with(client, token, t.store, ["C", "D"])
    await recorder(client).flush()
    database = client.server.app[keys.DATABASE]
    later = datetime.now(UTC) + timedelta(days=rd.TAG_DAYS + 1)
    assert await recommend.prune(database, later, 90) == 1  # the lone pair (and its tag) went; the shown one stays
    assert list((await pairs(client)).values()) == [(K_MIN, 0)]
    assert await recommend.prune(database, datetime.now(UTC) + timedelta(days=91), 90) == 1
    assert await pairs(client) == {}


async def wait_until(condition: Any, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)  # polling what the server under test samples once a second


# ------------------------------------------------------------ the visits, sans I/O


def test_a_visit_pairs_each_new_product_once() -> None:
    v = rd.Visits()
    v.look(1, ("s", "A"), 0.0)
    v.look(1, ("s", "B"), 1.0)
    v.look(1, ("s", "A"), 2.0)  # again: now the most recent, no new pair
    v.look(1, ("s", "C"), 3.0)
    assert [(c.kind, c.a[1], c.b[1]) for c in v.take(3.0)] == [("looked", "A", "B"), ("looked", "B", "C"),
                                                                ("looked", "A", "C")]
    v.buy(1, [("s", "C"), ("s", "D")], 4.0)
    assert [(c.kind, c.a[1], c.b[1]) for c in v.take(4.0)] == [
        ("looked", "B", "D"), ("looked", "A", "D"), ("looked", "C", "D"),
        ("bought", "B", "C"), ("bought", "A", "C"), ("bought", "D", "C"),  # one order: each bought with the other
        ("bought", "B", "D"), ("bought", "A", "D"), ("bought", "C", "D")]
    v.buy(1, [("s", "C")], 4.5)  # bought again: already counted
    assert v.take(4.5) == []
    assert v.recent(1, 5.0) == [("s", "D"), ("s", "C"), ("s", "A"), ("s", "B")]
    assert rd.pair_key("looked", 9, 3) == ("looked", 3, 9) and rd.pair_key("bought", 9, 3) == ("bought", 9, 3)


def test_visits_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    v = rd.Visits()
    for i in range(rd.VISIT_ITEMS + 5):
        v.look(1, ("s", str(i)), float(i))
    assert len(v.recent(1, 30.0)) == rd.VISIT_ITEMS and v.recent(1, 30.0)[0] == ("s", str(rd.VISIT_ITEMS + 4))
    assert v.recent(1, 30.0 + rd.VISIT_IDLE_S) == []  # idle: forgotten
    v.take(30.0 + rd.VISIT_IDLE_S)
    assert len(v) == 0
    monkeypatch.setattr(rd, "VISITS", 3)
    monkeypatch.setattr(rd, "PENDING", 4)
    for session in range(5):
        v.look(session, ("s", "A"), 0.0)
        v.look(session, ("s", "B"), 0.0)
    assert len(v) == 3 and v.recent(0, 0.0) == [] and v.recent(4, 0.0) != []  # the least recent went first
    assert [c.session for c in v.take(0.0)] == [1, 2, 3, 4]  # the newest pending kept
    v.look(4, ("s", "C"), 0.0)
    v.forget(4)
    assert v.take(0.0) == [] and v.recent(4, 0.0) == []


def test_tags_name_neither_the_session_nor_link_pairs() -> None:
    key = rd.tag_key(b"secret")
    first = rd.tag(key, 7, "looked", 1, 2)
    assert first == rd.tag(key, 7, "looked", 1, 2) and 0 <= first < 2**63
    assert len({first, rd.tag(key, 8, "looked", 1, 2), rd.tag(key, 7, "looked", 1, 3),
                rd.tag(key, 7, "bought", 1, 2), rd.tag(rd.tag_key(b"other"), 7, "looked", 1, 2)}) == 5
    assert not rd.shown(K_MIN - 1) and rd.shown(K_MIN)
