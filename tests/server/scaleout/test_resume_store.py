"""Resume records taken at most once, expiring, shared by workers; peer ids unique across workers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis_server import RedisServer

from server.live.cluster.resume_store import (
    LocalResumeStore,
    RedisResumeStore,
    ResumeStore,
    ResumeStoreUnavailable,
    make_resume_store,
    wrap_peer_id,
)
from server.redis_conn import MAX_CONNECTIONS
from server.settings import Settings

RECORD = {"store": "s", "instance": 2, "peer_id": 7, "session": "41", "group": "cart-9", "name": "민지"}


@pytest.fixture(params=["local", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ResumeStore]:
    if request.param == "local":
        yield LocalResumeStore()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    redis_store = RedisResumeStore(server.url)
    yield redis_store
    await redis_store.close()


def test_make_resume_store_follows_the_settings() -> None:
    assert isinstance(make_resume_store(Settings(redis_url=None)), LocalResumeStore)
    assert isinstance(make_resume_store(Settings(redis_url="redis://127.0.0.1:1/0")), RedisResumeStore)


async def test_a_token_resumes_once(store: ResumeStore) -> None:
    await store.put("tok", RECORD, ttl_s=30)
    assert await store.take("tok") == RECORD
    assert await store.take("tok") is None
    assert await store.take("never-issued") is None


async def test_peer_ids_count_up_per_store_and_wrap(store: ResumeStore) -> None:
    assert [await store.next_peer_id("a") for _ in range(3)] == [1, 2, 3]
    assert await store.next_peer_id("b") == 1
    assert [wrap_peer_id(n) for n in (65534, 65535, 65536, 65537)] == [65534, 65535, 1, 2]


async def test_a_local_record_expires() -> None:
    now = [100.0]
    store = LocalResumeStore(clock=lambda: now[0])
    await store.put("tok", RECORD, ttl_s=30)
    now[0] += 30.5
    assert await store.take("tok") is None


async def test_a_redis_record_expires_and_racing_workers_resume_it_once(redis_server: RedisServer) -> None:
    one, two = RedisResumeStore(redis_server.url), RedisResumeStore(redis_server.url)
    try:
        await one.put("tok", RECORD, ttl_s=30)
        got = await asyncio.gather(*(s.take("tok") for s in (one, two) for _ in range(10)))
        assert [g for g in got if g is not None] == [RECORD]  # GETDEL: one winner among 20 takers

        await one.put("short", RECORD, ttl_s=0.05)
        client = redis_server.client()
        deadline = time.monotonic() + 30
        while client.exists("vrstore:resume:short"):  # Redis's own expiry, polled with a deadline
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        assert await two.take("short") is None

        ids = await asyncio.gather(*(s.next_peer_id("store") for s in (one, two) for _ in range(50)))
        assert sorted(ids) == list(range(1, 101))  # unique across workers
        # 100 commands at once queue on each client's few sockets instead of opening 100 (see redis_conn)
        assert client.info("clients")["connected_clients"] <= 2 * MAX_CONNECTIONS + 1
        client.set("vrstore:peer:store", 65534)
        assert [await one.next_peer_id("store"), await two.next_peer_id("store")] == [65535, 1]
    finally:
        await one.close()
        await two.close()


async def test_redis_away_is_a_clear_error_not_a_hang(redis_server: RedisServer) -> None:
    store = RedisResumeStore(redis_server.url, op_timeout_s=0.5)
    try:
        redis_server.kill()
        started = time.monotonic()
        with pytest.raises(ResumeStoreUnavailable):
            await store.take("tok")
        with pytest.raises(ResumeStoreUnavailable):
            await store.put("tok", RECORD, ttl_s=30)
        assert time.monotonic() - started < 5.0
    finally:
        await store.close()
