"""Two workers behave as one live service (issue 8): shoppers on different workers see each other and share a
cart, capacity holds across workers, Redis dies and comes back, a worker dies and its shoppers resume.

Real processes on a real ``redis-server`` and PostgreSQL: ``vrstore serve --workers 2`` on one port where the
test must prove the kernel spread shoppers over workers, else two ``vrstore serve`` processes on two ports, so
the test decides who lands where."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from factories import LiveServer, add_products, create_festival, make_settings, start_live_server, stop_live_server
from redis_server import RedisServer

from server.live.client import LiveClient
from server.live.core.protocol import CloseCode
from server.process.single import WORKER_HEADER

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
WAIT_S = 30.0
SKU = "TEA-1"


@dataclass
class Festa:
    """One approved store with one product, reachable over REST at ``url`` (any worker)."""

    url: str
    store: str
    http: aiohttp.ClientSession
    organizer: str = ""

    async def shopper(self, name: str = "손님") -> str:
        async with self.http.post(f"{self.url}/api/v1/sessions", json={"display_name": name}) as r:
            assert r.status == 201, await r.text()
            return str((await r.json())["token"])

    async def request(self, method: str, path: str, token: str, json: Any = None) -> dict[str, Any]:
        async with self.http.request(method, f"{self.url}{path}", json=json,
                                     headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status in (200, 201), await r.text()
            body: dict[str, Any] = await r.json()
            return body

    async def shared_cart(self, owner: str, *friends: str) -> int:
        cart = await self.request("POST", "/api/v1/carts", owner)
        for friend in friends:
            await self.request("POST", "/api/v1/carts/join", friend, {"share_code": cart["share_code"]})
        return int(cart["id"])

    async def add_line(self, token: str, cart: int) -> int:
        body = await self.request("POST", f"/api/v1/carts/{cart}/lines", token,
                                  {"store": self.store, "sku": SKU, "quantity": 1})
        return int(body["version"])


@asynccontextmanager
async def festa(tmp_path: Path, db: str, url: str) -> AsyncIterator[Festa]:
    settings = make_settings(tmp_path, db)
    organizer = await create_festival(settings, "fest")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        f = Festa(url, "fest-store", http, organizer)
        merchant = await f.request("POST", "/api/v1/festivals/fest/merchants", organizer, {"name": "상점"})
        await f.request("POST", "/api/v1/stores", merchant["token"],
                        {"slug": f.store, "name_ko": "가게", "name_en": "Shop", "kind": "convenience_store"})
        await f.request("PUT", f"/api/v1/stores/{f.store}/status", organizer, {"status": "approved"})
        await add_products(settings, f.store, [(SKU, 3000, 1000)])
        yield f


@asynccontextmanager
async def servers(tmp_path: Path, redis: RedisServer, db: str, n: int, **env: str) -> AsyncIterator[list[LiveServer]]:
    """``n`` separate ``vrstore serve`` processes on one Redis and one database (started one after the other:
    the first one migrates the schema)."""
    started: list[LiveServer] = []
    try:
        for i in range(n):
            folder = tmp_path / f"worker{i}"
            folder.mkdir()
            started.append(await asyncio.to_thread(
                start_live_server, folder,
                extra_env={"VRSTORE_DATABASE_URL": db, "VRSTORE_REDIS_URL": redis.url, **env}))
        yield started
    finally:
        for s in started:
            await asyncio.to_thread(stop_live_server, s)


@asynccontextmanager
async def postgres(tmp_path: Path) -> AsyncIterator[str]:
    from factories import database_url

    async with database_url("postgres", tmp_path) as db:
        yield db


async def both(*waits: Any) -> None:
    await asyncio.gather(*waits)


async def test_shoppers_on_two_workers_of_one_port_see_each_other_and_share_a_cart(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(postgres(tmp_path))
        live = await asyncio.to_thread(start_live_server, tmp_path, command=("serve", "--workers", "2"),
                                       extra_env={"VRSTORE_DATABASE_URL": db, "VRSTORE_REDIS_URL": redis_server.url})
        stack.push_async_callback(asyncio.to_thread, stop_live_server, live)
        f = await stack.enter_async_context(festa(tmp_path, db, live.url))
        ta, tb = await f.shopper("민지"), await f.shopper("Jun")
        cart = await f.shared_cart(ta, tb)
        a = await LiveClient.connect(live.url, f.store, ta, group=str(cart))
        stack.push_async_callback(a.close)
        worker_a = a.ws.response.headers[WORKER_HEADER]  # type: ignore[union-attr]
        # The kernel spreads connections over the workers: reconnect b until it lands on the other one.
        deadline = time.monotonic() + WAIT_S
        while True:
            assert time.monotonic() < deadline, "every connection landed on one worker"
            b = await LiveClient.connect(live.url, f.store, tb, group=str(cart))
            if b.ws.response.headers[WORKER_HEADER] != worker_a:  # type: ignore[union-attr]
                break
            await b.close()  # a graceful leave: its seat is dropped at once
        stack.push_async_callback(b.close)
        assert a.welcome["instance"] == b.welcome["instance"] == 1 and a.peer_id != b.peer_id

        await a.send_pose(1.0, 1.6, 2.0)
        await b.wait_for(lambda c: c.peers.get(a.peer_id) == (100, 160, 200), timeout=WAIT_S)
        await b.send_pose(-3.0, 1.6, 0.5)
        await a.wait_for(lambda c: c.peers.get(b.peer_id) == (-300, 160, 50), timeout=WAIT_S)
        assert any(p.name == "민지" for t in b.ticks for p in t.joined)

        version = await f.add_line(ta, cart)

        def told(c: LiveClient) -> bool:
            return any(m["cart"] == str(cart) and m["version"] == version for m in c.of_type("cart"))

        await both(a.wait_for(told, timeout=WAIT_S), b.wait_for(told, timeout=WAIT_S))


async def test_capacity_holds_across_workers(tmp_path: Path, redis_server: RedisServer) -> None:
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(postgres(tmp_path))
        workers = await stack.enter_async_context(servers(
            tmp_path, redis_server, db, 2, VRSTORE_INSTANCE_CAPACITY="5", VRSTORE_MAX_INSTANCES="1"))
        f = await stack.enter_async_context(festa(tmp_path, db, workers[0].url))
        tokens = [await f.shopper(f"손님 {i}") for i in range(20)]

        async def attempt(i: int) -> LiveClient | None:
            try:
                c = await LiveClient.connect(workers[i % 2].url, f.store, tokens[i])
            except ConnectionError as exc:
                assert f"close code {int(CloseCode.STORE_FULL)}" in str(exc)
                return None
            stack.push_async_callback(c.close)
            return c

        outcomes = await asyncio.gather(*(attempt(i) for i in range(20)))
        admitted = [c for c in outcomes if isinstance(c, LiveClient)]
        assert len(admitted) == 5
        assert all(c.welcome["instance"] == 1 for c in admitted)
        assert len({c.peer_id for c in admitted}) == 5  # peer ids are unique across the workers
        # the refused ones were closed with STORE_FULL, as is the next one
        assert all(o is None for o in outcomes if not isinstance(o, LiveClient))
        with pytest.raises(ConnectionError, match=str(int(CloseCode.STORE_FULL))):
            await LiveClient.connect(workers[1].url, f.store, await f.shopper())
        # a seat given back on one worker is free for the other
        await admitted[0].close()
        token = await f.shopper()
        async with asyncio.timeout(WAIT_S):
            while True:  # the seat returns to the ledger once worker 0 has seen the close: until then, full
                try:
                    late = await LiveClient.connect(workers[1].url, f.store, token)
                    break
                except ConnectionError as exc:
                    assert str(int(CloseCode.STORE_FULL)) in str(exc)
        stack.push_async_callback(late.close)
        with pytest.raises(ConnectionError, match=str(int(CloseCode.STORE_FULL))):
            await LiveClient.connect(workers[0].url, f.store, await f.shopper())


async def test_redis_killed_and_restarted_mid_session(tmp_path: Path, redis_server: RedisServer) -> None:
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(postgres(tmp_path))
        workers = await stack.enter_async_context(servers(tmp_path, redis_server, db, 2))
        f = await stack.enter_async_context(festa(tmp_path, db, workers[0].url))
        ta, tb = await f.shopper("민지"), await f.shopper("Jun")
        cart = await f.shared_cart(ta, tb)
        a = await LiveClient.connect(workers[0].url, f.store, ta, group=str(cart))
        stack.push_async_callback(a.close)
        b = await LiveClient.connect(workers[1].url, f.store, tb, group=str(cart))
        stack.push_async_callback(b.close)
        await a.send_pose(1.0)
        await b.wait_for(lambda c: a.peer_id in c.peers, timeout=WAIT_S)

        def notice(kind: str) -> Any:
            return lambda c: any(m["kind"] == kind for m in c.of_type("notice"))

        redis_server.kill()
        await both(a.wait_for(notice("live_degraded"), timeout=WAIT_S),
                   b.wait_for(notice("live_degraded"), timeout=WAIT_S))
        # REST and the cart live on PostgreSQL: they keep working
        version = await f.add_line(tb, cart)
        await f.add_line(ta, cart)
        version += 1

        await asyncio.to_thread(redis_server.start)
        restarted = time.monotonic()

        def converged(c: LiveClient) -> bool:
            return any(m["version"] == version and m["change"].get("op") == "resync" for m in c.of_type("cart"))

        await both(a.wait_for(notice("live_restored"), timeout=WAIT_S), b.wait_for(converged, timeout=WAIT_S),
                   a.wait_for(converged, timeout=WAIT_S))
        assert time.monotonic() - restarted < 5.0
        # live state recovered: poses cross workers again
        await a.send_pose(4.0)
        await b.wait_for(lambda c: c.peers.get(a.peer_id, (0,))[0] == 400, timeout=WAIT_S)


async def test_a_killed_workers_shopper_resumes_on_the_other(tmp_path: Path, redis_server: RedisServer) -> None:
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(postgres(tmp_path))
        workers = await stack.enter_async_context(servers(tmp_path, redis_server, db, 2))
        f = await stack.enter_async_context(festa(tmp_path, db, workers[0].url))
        ta, tb = await f.shopper("민지"), await f.shopper("Jun")
        a = await LiveClient.connect(workers[0].url, f.store, ta)
        b = await LiveClient.connect(workers[1].url, f.store, tb)
        stack.push_async_callback(b.close)
        await a.send_pose(1.0)
        await b.wait_for(lambda c: c.peers.get(a.peer_id) == (100, 160, 0), timeout=WAIT_S)
        token = a.welcome["resume"]
        with redis_server.client() as r:  # the record that outlives the worker is written
            deadline = time.monotonic() + WAIT_S
            while not r.exists(f"vrstore:resume:{token}"):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)

        workers[0].process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(workers[0].process.wait, WAIT_S)
        await a.closed.wait()
        again = await LiveClient.connect(workers[1].url, f.store, ta, resume=token)
        stack.push_async_callback(again.close)
        assert again.welcome["resumed"] is True and again.peer_id == a.peer_id
        assert again.welcome["resume"] == token
        await again.send_pose(2.5)
        await b.wait_for(lambda c: c.peers.get(a.peer_id) == (250, 160, 0), timeout=WAIT_S)
        await b.send_pose(-1.0)
        await again.wait_for(lambda c: c.peers.get(b.peer_id) == (-100, 160, 0), timeout=WAIT_S)
        assert all(a.peer_id not in t.left for t in b.ticks)  # nobody saw it leave
        assert sum(1 for t in b.ticks for p in t.joined if p.id == a.peer_id) == 1  # nor join again


async def test_the_waiting_line_is_one_across_workers_and_survives_a_killed_worker(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(postgres(tmp_path))
        # Workers on separate data directories share the signing key through the setting, as they must.
        workers = await stack.enter_async_context(servers(tmp_path, redis_server, db, 2,
                                                          VRSTORE_SECRET_KEY="s" * 40))
        f = await stack.enter_async_context(festa(tmp_path, db, workers[0].url))
        queue = "/api/v1/festivals/fest/queue"
        await f.request("PUT", queue, f.organizer, {"mode": "paused"})  # on worker 0; both obey
        shoppers = [await f.shopper(f"손님{i}") for i in range(4)]
        with pytest.raises(ConnectionError, match=str(int(CloseCode.BUSY))):
            await LiveClient.connect(workers[1].url, f.store, shoppers[0])
        tickets = []
        for i, token in enumerate(shoppers):  # arrivals alternate between the workers
            url = workers[i % 2].url
            async with f.http.post(f"{url}{queue}", headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == 201, await r.text()
                tickets.append((await r.json())["ticket"])

        async def status(url: str, i: int) -> dict[str, Any]:
            async with f.http.get(f"{url}{queue}/{tickets[i]}",
                                  headers={"Authorization": f"Bearer {shoppers[i]}"}) as r:
                assert r.status == 200, await r.text()
                return dict(await r.json())

        assert [(await status(workers[1].url, i))["position"] for i in range(4)] == [1, 2, 3, 4]
        workers[0].process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(workers[0].process.wait, WAIT_S)
        # The worker that took half the tickets is gone; every place is still there.
        assert [(await status(workers[1].url, i))["position"] for i in range(4)] == [1, 2, 3, 4]
        async with f.http.put(f"{workers[1].url}{queue}", json={"mode": "auto"},
                              headers={"Authorization": f"Bearer {f.organizer}"}) as r:
            assert r.status == 200
        deadline = time.monotonic() + WAIT_S
        while (await status(workers[1].url, 0))["phase"] != "admitted":
            assert time.monotonic() < deadline, "the first in line was never admitted"
            await asyncio.sleep(0.1)
        entered = await LiveClient.connect(workers[1].url, f.store, shoppers[0])
        stack.push_async_callback(entered.close)


async def test_signing_out_on_one_worker_closes_the_live_socket_on_the_other(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """The revocation travels on the bus (issue 16); with the bus down, the periodic re-check still closes it."""
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(postgres(tmp_path))
        workers = await stack.enter_async_context(servers(tmp_path, redis_server, db, 2))
        f = await stack.enter_async_context(festa(tmp_path, db, workers[0].url))
        ta, tb, tc = await f.shopper("민지"), await f.shopper("Jun"), await f.shopper("지수")
        a = await LiveClient.connect(workers[0].url, f.store, ta)
        stack.push_async_callback(a.close)
        b = await LiveClient.connect(workers[0].url, f.store, tb)
        stack.push_async_callback(b.close)
        c = await LiveClient.connect(workers[1].url, f.store, tc)
        stack.push_async_callback(c.close)
        await a.send_pose(1.0)
        await c.wait_for(lambda c: a.peer_id in c.peers, timeout=WAIT_S)

        async def sign_out(token: str) -> float:
            async with f.http.delete(f"{workers[1].url}/api/v1/sessions/current",
                                     headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == 204
            return time.monotonic()

        signed_out = await sign_out(ta)  # on worker 1; a's socket is on worker 0
        await asyncio.wait_for(a.closed.wait(), WAIT_S)
        assert a.close_code == int(CloseCode.UNAUTHORIZED) and time.monotonic() - signed_out < 3.0
        await c.wait_for(lambda c: any(a.peer_id in t.left for t in c.ticks), timeout=WAIT_S)  # seat gone too

        redis_server.kill()  # no bus: worker 0 hears nothing of the next sign-out
        await b.wait_for(lambda c: any(n["kind"] == "live_degraded" for n in c.of_type("notice")), timeout=WAIT_S)
        signed_out = await sign_out(tb)
        await asyncio.wait_for(b.closed.wait(), WAIT_S)
        assert b.close_code == int(CloseCode.UNAUTHORIZED) and time.monotonic() - signed_out < 12.0
        assert not c.closed.is_set()
