"""The live WebSocket endpoint end to end: checks before the upgrade, presence and poses, abuse closes,
a stalled client among many, reconnect, product and cart events, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets
from aiohttp.test_utils import TestClient, TestServer
from factories import Tenant, bearer, make_tenant

from server import keys
from server.app import create_app
from server.domain.events import CartChanged, ProductChanged
from server.live.client import LiveClient
from server.settings import Settings


@pytest.fixture
async def live_server(sqlite_settings: Settings) -> AsyncIterator[tuple[TestClient[Any, Any], Tenant, str]]:
    async with TestClient(TestServer(create_app(sqlite_settings))) as client:
        tenant = await make_tenant(client, sqlite_settings)
        yield client, tenant, str(client.make_url("")).rstrip("/")


async def session(client: TestClient[Any, Any], name: str = "손님") -> str:
    r = await client.post("/api/v1/sessions", json={"display_name": name})
    client.session.cookie_jar.clear()
    return str((await r.json())["token"])


async def test_checks_before_upgrade(live_server: tuple[TestClient[Any, Any], Tenant, str]) -> None:
    client, t, _ = live_server
    r = await client.get(f"/api/v1/live?store={t.store}", headers={**bearer(t.shopper), "Origin": "https://evil.example"})
    assert r.status == 403 and r.content_type == "application/problem+json"
    r = await client.get(f"/api/v1/live?store={t.store}")
    assert r.status == 401
    r = await client.get("/api/v1/live?store=nope", headers=bearer(t.shopper))
    assert r.status == 404
    r = await client.get(f"/api/v1/live?store={t.store}", headers=bearer(t.merchant))
    assert r.status == 401  # merchants preview scenes over REST; the live room is for shoppers


async def test_two_shoppers_see_each_other_move(live_server: tuple[TestClient[Any, Any], Tenant, str]) -> None:
    client, t, url = live_server
    a = await LiveClient.connect(url, t.store, t.shopper, origin="http://127.0.0.1:8080")
    b = await LiveClient.connect(url, t.store, await session(client, "지수"))
    try:
        assert a.welcome["store"] == t.store and a.welcome["instance"] == 1
        await a.send_pose(1.0, 1.6, 2.0)
        await b.wait_for(lambda c: c.peers.get(a.peer_id) == (100, 160, 200))
        await b.send_pose(-3.0, 1.6, 0.5)
        await a.wait_for(lambda c: c.peers.get(b.peer_id) == (-300, 160, 50))
        assert max(b.latencies_ms) < 1000
        r = await client.get("/api/v1/festivals/fest")
        assert (await r.json())["stores"][0]["visitors"] == 2
    finally:
        await a.close()
        await b.close()


async def test_oversize_flood_and_invalid_messages_close(live_server: tuple[TestClient[Any, Any], Tenant, str]) -> None:
    client, t, url = live_server
    big = await LiveClient.connect(url, t.store, await session(client))
    await big.ws.send("x" * (64 * 1024 + 1))
    await asyncio.wait_for(big.closed.wait(), 5)
    assert big.close_code == 1009

    bad = await LiveClient.connect(url, t.store, await session(client))
    for _ in range(30):
        if bad.closed.is_set():
            break
        await bad.send({"type": "chat", "text": ""})
    await asyncio.wait_for(bad.closed.wait(), 5)
    assert bad.close_code == 4002
    assert bad.of_type("error"), "an invalid message gets an error before the close"

    flood = await LiveClient.connect(url, t.store, await session(client))
    for i in range(400):
        if flood.closed.is_set():
            break
        await flood.send({"type": "ping", "t": i})
    await asyncio.wait_for(flood.closed.wait(), 5)
    assert flood.close_code == 4003
    metrics = await (await client.get("/metrics")).text()
    assert 'vrstore_live_closes_total{code="4003"}' in metrics
    for c in (big, bad, flood):
        await c.close()


async def test_hello_is_required(live_server: tuple[TestClient[Any, Any], Tenant, str]) -> None:
    _, t, url = live_server
    ws = await websockets.connect(url.replace("http", "ws") + f"/api/v1/live?store={t.store}",
                                  additional_headers=bearer(t.shopper))
    try:
        await ws.send(json.dumps({"type": "ping", "t": 1}))
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 4000
    finally:
        await ws.close()


async def test_a_stalled_client_does_not_slow_the_others(
    live_server: tuple[TestClient[Any, Any], Tenant, str]
) -> None:
    client, t, url = live_server
    tokens = [await session(client, f"g{i}") for i in range(50)]
    # One shopper whose socket is never read: websockets stops reading once its small queue is full.
    stalled = await LiveClient.connect(url, t.store, tokens[0], decode_ticks=False, max_queue=1)
    stalled._reader.cancel()  # type: ignore[union-attr]  # from now on nothing reads this socket
    others = [await LiveClient.connect(url, t.store, tok, keep_ticks=False) for tok in tokens[1:]]
    try:
        start = [c.tick_count for c in others]
        for step in range(30):  # 3 s of movement at 10 Hz, paced by the server's own ticks
            await asyncio.gather(*(c.send_pose(i * 0.5, 1.6, step * 0.1) for i, c in enumerate(others)))
            await others[0].wait_for(lambda c, n=start[0] + step + 1: c.tick_count >= n, timeout=5)
        received = [c.tick_count - s for c, s in zip(others, start, strict=True)]
        assert min(received) >= 25, received  # every other shopper kept getting ~10 ticks/s
        latencies = sorted(x for c in others for x in c.latencies_ms[-200:])
        assert latencies and statistics.quantiles(latencies, n=100)[98] < 500
    finally:
        for c in others:
            await c.close()
        stalled.ws.transport.abort()


async def test_reconnect_within_grace_keeps_identity(live_server: tuple[TestClient[Any, Any], Tenant, str]) -> None:
    client, t, url = live_server
    watcher = await LiveClient.connect(url, t.store, await session(client))
    token = await session(client, "돌아옴")
    first = await LiveClient.connect(url, t.store, token)
    await first.send_pose(0.5, 1.6, 0.5)
    await watcher.wait_for(lambda c: first.peer_id in c.peers)
    resume, peer_id = first.welcome["resume"], first.peer_id
    await first.close_abnormally()
    again = await LiveClient.connect(url, t.store, token, resume=resume)
    assert again.peer_id == peer_id and again.welcome["resumed"] is True
    ticks_before = len(watcher.ticks)
    await again.send_pose(0.7, 1.6, 0.5)
    await watcher.wait_for(lambda c: c.peers.get(peer_id) == (70, 160, 50))
    assert all(peer_id not in tick.left for tick in watcher.ticks[ticks_before - 5:])
    await again.close()
    await watcher.close()


async def test_product_and_cart_events_reach_the_room(live_server: tuple[TestClient[Any, Any], Tenant, str]) -> None:
    client, t, url = live_server
    a = await LiveClient.connect(url, t.store, t.shopper)
    try:
        events = client.server.app[keys.EVENTS]
        await events.publish(ProductChanged(store=t.store, store_id=1, sku="A1", unit_price=900, price=1000,
                                            sale_price=None, stock=3, currency="KRW"))
        await a.wait_for(lambda c: bool(c.of_type("product")))
        assert a.of_type("product")[0]["sku"] == "A1" and a.of_type("product")[0]["stock"] == 3
        session_id = int(a.welcome["you"].get("session", 0) or 0) or None
        me = await (await client.get("/api/v1/sessions/current", headers=bearer(t.shopper))).json()
        await events.publish(CartChanged(cart=7, version=3, change={"type": "line_added"},
                                         session_ids=(me["session"]["id"],), by_session=me["session"]["id"],
                                         by_name="민지"))
        await a.wait_for(lambda c: bool(c.of_type("cart")))
        assert a.of_type("cart")[0]["version"] == 3 and session_id is None
    finally:
        await a.close()


async def test_suspending_the_store_closes_it(live_server: tuple[TestClient[Any, Any], Tenant, str]) -> None:
    client, t, url = live_server
    a = await LiveClient.connect(url, t.store, t.shopper)
    r = await client.put(f"/api/v1/stores/{t.store}/status", json={"status": "suspended"}, headers=bearer(t.organizer))
    assert r.status == 200
    await asyncio.wait_for(a.closed.wait(), 5)
    assert a.close_code == 4006
    await a.close()
    assert any(n.get("kind") == "store_suspended" for n in a.of_type("notice"))


async def test_shutdown_sends_going_down_then_1001(sqlite_settings: Settings) -> None:
    server = TestServer(create_app(sqlite_settings))
    client = TestClient(server)
    await client.start_server()
    t = await make_tenant(client, sqlite_settings)
    a = await LiveClient.connect(str(client.make_url("")).rstrip("/"), t.store, t.shopper)
    assert keys.LIVE in client.server.app
    await client.close()
    await asyncio.wait_for(a.closed.wait(), 10)
    assert any(n.get("kind") == "going_down" for n in a.of_type("notice"))
    assert a.close_code == 1001
    await a.close()


async def test_a_big_build_does_not_stall_the_event_loop(
    live_server: tuple[TestClient[Any, Any], Tenant, str]
) -> None:
    """A 5,000-product build runs in the process pool while WebSocket pings come back within 50 ms."""
    import io
    import time

    from storefront_builder.catalog.sample import sample_catalog_json

    client, t, url = live_server
    data = sample_catalog_json("department_store", 5000).encode()
    r = await client.put(f"/api/v1/stores/{t.store}/catalog", data=io.BytesIO(data),
                         headers={**bearer(t.merchant), "Content-Type": "application/json"})
    assert (await r.json())["imported"] == 5000
    a = await LiveClient.connect(url, t.store, t.shopper)
    manager = client.server.app[keys.BUILDS]
    r = await client.post(f"/api/v1/stores/{t.store}/builds", headers=bearer(t.merchant))
    assert r.status == 202
    rtts: list[float] = []
    try:
        while not manager.idle.is_set():
            sent = time.perf_counter()
            pong = await a.ws.ping()  # an RFC 6455 ping: answered by the server's event loop itself
            await asyncio.wait_for(pong, 5)
            rtts.append((time.perf_counter() - sent) * 1000)
            with contextlib.suppress(TimeoutError):  # probe again in 10 ms unless the build is done (a fast
                await asyncio.wait_for(manager.idle.wait(), 0.01)  # machine builds 5,000 products in ~0.5 s)
    finally:
        await a.close()
    build = await (await client.get(r.headers["Location"], headers=bearer(t.merchant))).json()
    assert build["status"] == "succeeded", build
    assert len(rtts) >= 10, "the build finished before the loop could be probed"
    assert sorted(rtts)[len(rtts) * 95 // 100] < 50, rtts


async def test_sale_window_closing_is_announced(sqlite_settings: Settings) -> None:
    sqlite_settings.sale_window_poll_s = 0.05
    async with TestClient(TestServer(create_app(sqlite_settings))) as client:
        t = await make_tenant(client, sqlite_settings)
        window = {"starts_at": "2020-01-01T00:00:00+09:00", "ends_at": "2099-01-01T00:00:00+09:00"}
        await client.patch("/api/v1/festivals/fest", json=window, headers=bearer(t.organizer))
        a = await LiveClient.connect(str(client.make_url("")).rstrip("/"), t.store, t.shopper)
        try:
            for _ in range(2):  # a whole round after the opening: the watcher has seen the window open
                await asyncio.wait_for(client.server.app[keys.LIVE].sale_window_round(), 10)
            await client.patch("/api/v1/festivals/fest", json={"ends_at": "2020-06-01T00:00:00+09:00"},
                               headers=bearer(t.organizer))
            await a.wait_for(lambda c: any(n.get("kind") == "festival_closing" for n in c.of_type("notice")))
        finally:
            await a.close()


async def test_group_members_see_each_others_cart_changes_live(
    live_server: tuple[TestClient[Any, Any], Tenant, str]
) -> None:
    """Two members in the store: every change reaches both live connections with consecutive versions."""
    from factories import add_products

    client, t, url = live_server
    await add_products(client.server.app[keys.SETTINGS], t.store, [("A1", 1000, 10), ("B2", 2500, 10)])
    other = await session(client, "지호")
    cart = await (await client.post("/api/v1/carts", headers=bearer(t.shopper))).json()
    r = await client.post("/api/v1/carts/join", json={"share_code": cart["share_code"]}, headers=bearer(other))
    assert r.status == 200, await r.text()
    a = await LiveClient.connect(url, t.store, t.shopper, group=str(cart["id"]))
    b = await LiveClient.connect(url, t.store, other, group=str(cart["id"]))
    try:
        assert a.welcome["you"].get("group") == str(cart["id"])  # membership was checked, so grouped
        r = await client.post(f"/api/v1/carts/{cart['id']}/lines", json={"store": t.store, "sku": "A1", "quantity": 2},
                              headers=bearer(t.shopper))
        assert r.status in (200, 201), await r.text()
        r = await client.post(f"/api/v1/carts/{cart['id']}/lines", json={"store": t.store, "sku": "B2", "quantity": 1},
                              headers=bearer(other))
        assert r.status in (200, 201), await r.text()
        final = (await (await client.get(f"/api/v1/carts/{cart['id']}", headers=bearer(other))).json())["version"]
        for c in (a, b):
            await c.wait_for(lambda c: any(m["version"] == final for m in c.of_type("cart")))
            versions = [m["version"] for m in c.of_type("cart")]
            assert versions == sorted(versions) and versions[-1] == final and len(versions) >= 2
        names = {m["by"]["name"] for m in a.of_type("cart")}
        assert "지호" in names
    finally:
        await a.close()
        await b.close()


async def test_heartbeats_close_a_silent_peer_and_keep_a_live_one(sqlite_settings: Settings) -> None:
    settings = sqlite_settings.model_copy(update={"live_heartbeat_s": 0.3, "live_pong_timeout_s": 0.3})
    async with TestClient(TestServer(create_app(settings))) as client:
        t = await make_tenant(client, settings)
        url = str(client.make_url("")).rstrip("/")
        alive = await LiveClient.connect(url, t.store, t.shopper)  # websockets answers pings by itself
        # A peer that never answers pings: aiohttp's client without autoping, reading but never ponging.
        dead = await client.ws_connect(f"/api/v1/live?store={t.store}", autoping=False,
                                               headers=bearer(await session(client, "잠수")))
        try:
            await dead.send_str(json.dumps({"type": "hello", "v": 1}))
            pings = 0
            while True:
                msg = await asyncio.wait_for(dead.receive(), 10)
                if msg.type.name == "PING":
                    pings += 1
                elif msg.type.name in ("CLOSE", "CLOSED", "CLOSING"):
                    break
            assert pings >= 1 and dead.close_code == 4010
            live = client.app[keys.LIVE]

            def pong_seen() -> bool:
                return any(c.pinged_at is not None and c.last_rx > c.pinged_at for c in live.conns.values())

            swept = asyncio.Event()  # nothing reaches the idle client, so wake up on the server's sweeps
            sweep = live.sweep_liveness

            def sweep_and_tell(now: float) -> None:
                sweep(now)
                swept.set()

            live.sweep_liveness = sweep_and_tell  # type: ignore[method-assign]
            async with asyncio.timeout(10):  # the silent-but-alive peer gets pinged and answers
                while not pong_seen():
                    swept.clear()
                    await swept.wait()
            assert not alive.closed.is_set() and len(live.conns) == 1
        finally:
            await dead.close()
            await alive.close()


async def test_every_festival_has_its_own_plaza_and_its_own_visitor_cap(
    live_server: tuple[TestClient[Any, Any], Tenant, str], sqlite_settings: Settings,
) -> None:
    from factories import create_festival

    from server.live.core.protocol import CloseCode

    client, t, url = live_server
    autumn_organizer = await create_festival(sqlite_settings, slug="autumn")
    # Two festivals: "the plaza" no longer names one, so the shopper must say which.
    r = await client.get("/api/v1/live?store=plaza", headers=bearer(t.shopper))
    assert r.status == 404 and "festival" in (await r.json())["detail"]
    r = await client.patch("/api/v1/festivals/fest", json={"visitor_cap": 1}, headers=bearer(t.organizer))
    assert r.status == 200, await r.text()
    spring = await LiveClient.connect(url, "plaza", t.shopper, festival="fest")
    autumn = await LiveClient.connect(url, "plaza", await session(client, "가을"), festival="autumn")
    try:
        assert spring.welcome["store"] == "plaza:fest" and autumn.welcome["store"] == "plaza:autumn"
        await spring.send_pose(1.0, 1.6, 2.0)
        # The spring festival is full (cap 1): a newcomer to its store is sent to its waiting line...
        with pytest.raises(ConnectionError, match=str(int(CloseCode.BUSY))):
            await LiveClient.connect(url, t.store, await session(client, "셋째"))
        # ...while the other festival, in the same process, still admits (its own cap is unset).
        third = await LiveClient.connect(url, "plaza", await session(client, "넷째"), festival="autumn")
        await third.close()
        assert autumn_organizer and spring.peers.get(autumn.peer_id) is None  # plazas never mix
    finally:
        await spring.close()
        await autumn.close()


async def test_compression_is_never_negotiated_so_raw_frames_stay_valid(
    live_server: tuple[TestClient[Any, Any], Tenant, str],
) -> None:
    """wire.py writes whole frames onto the transport: a client offering permessage-deflate gets none."""
    client, t, url = live_server
    a = await LiveClient.connect(url, t.store, t.shopper, compression="deflate")
    b = await LiveClient.connect(url, t.store, await session(client, "지수"), compression="deflate")
    try:
        assert a.ws.response is not None and a.ws.response.headers.get("Sec-WebSocket-Extensions") is None
        await a.send_pose(1.0, 1.6, 2.0)
        await b.wait_for(lambda c: c.peers.get(a.peer_id) == (100, 160, 200))
    finally:
        await a.close()
        await b.close()


async def test_when_load_closes_admission_newcomers_wait_while_admitted_shoppers_keep_their_poses(
    live_server: tuple[TestClient[Any, Any], Tenant, str],
) -> None:
    import dataclasses

    from server.live.core.admission import Level

    client, t, url = live_server
    live = client.app[keys.LIVE]
    # Two shoppers are below the floor under which there is always room: this test wants the rule above it.
    live.admission.config = dataclasses.replace(live.admission.config, always_admit_below=0)
    a = await LiveClient.connect(url, t.store, t.shopper)
    b_token = await session(client, "지수")
    b = await LiveClient.connect(url, t.store, b_token)
    try:
        # Ticks that take most of the budget: the policy steps up and shuts the door to newcomers.
        for i in range(30):
            live.measure_load(live.now() + i * 0.1, took=0.06, lag=0.0)
        assert live.admission.level is Level.CLOSED
        metrics = await (await client.get("/metrics")).text()
        assert "vrstore_live_admission_level 3.0" in metrics
        with pytest.raises(ConnectionError, match="4011"):
            await LiveClient.connect(url, t.store, await session(client, "셋째"))
        # Those inside still see each other move.
        await a.send_pose(2.0, 1.6, 2.0)
        await b.wait_for(lambda c: c.peers.get(a.peer_id) == (200, 160, 200))
        # A shopper coming back to a seat within its grace is one of them, not a newcomer.
        resume, peer_id = b.welcome["resume"], b.peer_id
        await b.close_abnormally()
        b = await LiveClient.connect(url, t.store, b_token, resume=resume)
        assert b.peer_id == peer_id and b.welcome["resumed"] is True
    finally:
        await a.close()
        await b.close()


async def wait_until(predicate: Any, what: str, within_s: float = 10.0) -> Any:
    """Poll an async predicate (the admitter works once a second) until it holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        result = await predicate()
        if result:
            return result
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_a_full_festival_queues_newcomers_fifo_and_lets_them_in_as_seats_free(
    live_server: tuple[TestClient[Any, Any], Tenant, str],
) -> None:
    client, t, url = live_server
    r = await client.patch("/api/v1/festivals/fest", json={"visitor_cap": 1}, headers=bearer(t.organizer))
    assert r.status == 200
    inside = await LiveClient.connect(url, t.store, t.shopper)
    b_token, c_token = await session(client, "둘째"), await session(client, "셋째")
    try:
        with pytest.raises(ConnectionError, match="4011"):  # full: the newcomer is told to wait
            await LiveClient.connect(url, t.store, b_token)
        b = await (await client.post("/api/v1/festivals/fest/queue", headers=bearer(b_token))).json()
        c = await (await client.post("/api/v1/festivals/fest/queue", headers=bearer(c_token))).json()
        assert (b["phase"], b["position"], c["position"]) == ("waiting", 1, 2)
        again = await (await client.post("/api/v1/festivals/fest/queue", headers=bearer(b_token))).json()
        assert again["ticket"] == b["ticket"] and again["position"] == 1  # a second tab keeps the place
        # A ticket is worth nothing to another session.
        r = await client.get(f"/api/v1/festivals/fest/queue/{b['ticket']}", headers=bearer(c_token))
        assert r.status == 404 and r.content_type == "application/problem+json"
        view = await (await client.get("/api/v1/festivals/fest/queue", headers=bearer(t.organizer))).json()
        assert view["waiting"] == 2 and view["mode"] == "auto"
        await inside.close()  # a seat frees up: the first in line is admitted, not the second

        async def admitted(token: str, ticket: str) -> dict[str, Any] | None:
            got = await (await client.get(f"/api/v1/festivals/fest/queue/{ticket}", headers=bearer(token))).json()
            return got if got["phase"] == "admitted" else None

        b_now = await wait_until(lambda: admitted(b_token, b["ticket"]), "the first in line to be admitted")
        assert 0 < b_now["admitted_for_s"] <= 60
        c_now = await (await client.get(f"/api/v1/festivals/fest/queue/{c['ticket']}", headers=bearer(c_token))).json()
        assert (c_now["phase"], c_now["position"]) == ("waiting", 1)
        entered = await LiveClient.connect(url, t.store, b_token)
        await entered.close()
    finally:
        await inside.close()


async def test_the_organizer_pauses_admission_with_a_message(
    live_server: tuple[TestClient[Any, Any], Tenant, str],
) -> None:
    client, t, _ = live_server
    r = await client.put("/api/v1/festivals/fest/queue", json={"mode": "paused", "message_ko": "잠시 후 재개합니다",
                                                                "message_en": "Back shortly"},
                         headers=bearer(t.organizer))
    assert r.status == 200 and (await r.json())["mode"] == "paused"
    r = await client.put("/api/v1/festivals/fest/queue", json={"mode": "paused"}, headers=bearer(t.shopper))
    assert r.status == 403
    ticket = await (await client.post("/api/v1/festivals/fest/queue", headers=bearer(t.shopper))).json()
    assert ticket["paused"] is True and ticket["eta_s"] is None and ticket["message"]["en"] == "Back shortly"
    r = await client.put("/api/v1/festivals/fest/queue", json={"mode": "sometimes"}, headers=bearer(t.organizer))
    assert r.status == 422
