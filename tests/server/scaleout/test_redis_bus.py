"""RedisBus against a real redis-server: delivery across buses, dynamic topics, bounded queues, and what
happens when Redis is killed and comes back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis_server import RedisServer

from server.live.cluster.bus import BusClosed, BusUnavailable, LocalBus, Message
from server.live.cluster.redis_bus import RedisBus, make_bus
from server.settings import Settings

WAIT_S = 20.0  # generous: the machine is shared; every wait below ends as soon as its condition holds


@pytest.fixture
async def buses(redis_server: RedisServer) -> AsyncIterator[tuple[RedisBus, RedisBus]]:
    """Two buses on one Redis, as two worker processes would have."""
    a, b = RedisBus(redis_server.url, backoff_s=(0.02, 0.2)), RedisBus(redis_server.url, backoff_s=(0.02, 0.2))
    try:
        async with asyncio.timeout(WAIT_S):
            await a.wait_state(True)
            await b.wait_state(True)
        yield a, b
    finally:
        await a.close()
        await b.close()


async def get(sub: object) -> Message:
    async with asyncio.timeout(WAIT_S):
        return await sub.get()  # type: ignore[attr-defined, no-any-return]


async def test_make_bus_follows_the_settings(redis_server: RedisServer) -> None:
    assert isinstance(make_bus(Settings(redis_url=None)), LocalBus)
    bus = make_bus(Settings(redis_url=redis_server.url))
    assert isinstance(bus, RedisBus)
    await bus.close()


async def test_a_message_crosses_buses_in_order_to_every_subscriber(buses: tuple[RedisBus, RedisBus]) -> None:
    a, b = buses
    one = await b.subscribe("store:1", "cart:2")
    two = await b.subscribe("store:1")
    assert await a.publish("store:1", b"x") == 1  # one bus connection (process) subscribed, two subscriptions
    assert await a.publish("cart:2", b"y") == 1
    assert await a.publish("nobody", b"z") == 0
    assert [await get(one), await get(one)] == [Message("store:1", b"x"), Message("cart:2", b"y")]
    assert await get(two) == Message("store:1", b"x")
    local = await a.subscribe("store:1")  # a bus also hears itself, as LocalBus does
    await b.publish("store:1", b"w")
    assert (await get(local)).data == b"w"
    assert (await get(one)).data == b"w"


async def test_publish_many_sends_a_ticks_batches_in_order(buses: tuple[RedisBus, RedisBus]) -> None:
    a, b = buses
    sub = await b.subscribe("instance:s:1:poses", "instance:s:2:poses")
    await a.publish_many([("instance:s:1:poses", b"1a"), ("instance:s:2:poses", b"2a"),
                          ("instance:s:1:poses", b"1b"), ("nobody", b"z")])
    assert [await get(sub) for _ in range(3)] == [
        Message("instance:s:1:poses", b"1a"), Message("instance:s:2:poses", b"2a"),
        Message("instance:s:1:poses", b"1b")]
    await a.publish_many([])  # nothing to send is not an error


async def test_topics_are_subscribed_while_someone_wants_them(
    buses: tuple[RedisBus, RedisBus], redis_server: RedisServer
) -> None:
    a, b = buses
    first = await b.subscribe("t")
    second = await b.subscribe("t")
    await first.close()
    assert await a.publish("t", b"1") == 1  # still wanted by the second subscription
    assert (await get(second)).data == b"1"
    await second.close()
    assert await a.publish("t", b"2") == 0  # the last one left: Redis was told to unsubscribe
    with pytest.raises(BusClosed):
        await second.get()
    channels = {c.decode() for c in redis_server.client().pubsub_channels()}
    assert "t" not in channels and not any(c.startswith("instance:") for c in channels)
    again = await b.subscribe("t")  # and back
    assert await a.publish("t", b"3") == 1
    assert (await get(again)).data == b"3"


async def test_a_slow_subscriber_loses_the_oldest_messages(redis_server: RedisServer) -> None:
    publisher, bus = RedisBus(redis_server.url), RedisBus(redis_server.url, queue_size=3)
    try:
        slow = await bus.subscribe("t")
        marker = await bus.subscribe("done")
        for i in range(5):
            await publisher.publish("t", bytes([i]))
        await publisher.publish("done", b"")
        await get(marker)  # per connection Redis keeps order: every "t" message was read before this one
        assert [(await get(slow)).data for _ in range(3)] == [b"\x02", b"\x03", b"\x04"]
        assert getattr(slow, "dropped") == 2  # noqa: B009
    finally:
        await publisher.close()
        await bus.close()


async def test_redis_killed_then_restarted_the_bus_degrades_fast_and_heals_by_itself(
    buses: tuple[RedisBus, RedisBus], redis_server: RedisServer
) -> None:
    a, b = buses
    changes: list[bool] = []
    b.on_state(changes.append)
    sub = await b.subscribe("instance:s:1:poses")
    await a.publish("instance:s:1:poses", b"before")
    assert (await get(sub)).data == b"before"

    redis_server.kill()
    async with asyncio.timeout(WAIT_S):
        await b.wait_state(False)  # the reader noticed the dropped connection
    assert not b.available and changes == [False]
    started = time.monotonic()
    for _ in range(20):  # a's reader may not have noticed yet: the first publish fails by itself, then none wait
        with pytest.raises(BusUnavailable):
            await a.publish("instance:s:1:poses", b"lost")
    assert time.monotonic() - started < 5.0  # bounded by one op timeout (0.5 s), not 20 of them
    with pytest.raises(BusUnavailable):  # a tick's pose batches fail the same way, without waiting
        await a.publish_many([("instance:s:1:poses", b"lost")])
    assert not a.available
    late = await b.subscribe("cart:9")  # subscribing while Redis is down is accepted …

    redis_server.start()
    async with asyncio.timeout(WAIT_S):
        await a.wait_state(True)
        await b.wait_state(True)
    assert changes == [False, True] and b.reconnects >= 1
    # … and both subscriptions receive again, re-subscribed by the bus, not by the caller
    assert await a.publish("instance:s:1:poses", b"after") == 1
    assert await a.publish("cart:9", b"v2") == 1
    assert (await get(sub)).data == b"after"
    assert (await get(late)).data == b"v2"


async def test_a_redis_that_stops_answering_is_noticed_without_a_closed_socket(redis_server: RedisServer) -> None:
    a = RedisBus(redis_server.url, op_timeout_s=0.5, backoff_s=(0.02, 0.2))
    b = RedisBus(redis_server.url, ping_interval_s=0.3, connect_timeout_s=1.0, backoff_s=(0.02, 0.2))
    try:
        sub = await b.subscribe("t")
        async with asyncio.timeout(WAIT_S):
            await a.wait_state(True)
        redis_server.pause()
        started = time.monotonic()
        with pytest.raises(BusUnavailable):
            await a.publish("t", b"hung")  # times out once …
        with pytest.raises(BusUnavailable):
            await a.publish("t", b"hung")  # … and then fails without waiting
        assert time.monotonic() - started < 5.0 and not a.available
        async with asyncio.timeout(WAIT_S):
            await b.wait_state(False)  # silence, then an unanswered PING
        redis_server.resume()
        async with asyncio.timeout(WAIT_S):
            await a.wait_state(True)
            await b.wait_state(True)
        assert await a.publish("t", b"back") == 1
        assert (await get(sub)).data == b"back"
    finally:
        redis_server.resume()
        await a.close()
        await b.close()


async def test_a_bus_started_while_redis_is_down_connects_when_it_comes_up(redis_server: RedisServer) -> None:
    redis_server.kill()
    bus = RedisBus(redis_server.url, backoff_s=(0.02, 0.2))
    try:
        sub = await bus.subscribe("festival")
        with pytest.raises(BusUnavailable):
            await bus.publish("festival", b"x")
        redis_server.start()
        async with asyncio.timeout(WAIT_S):
            await bus.wait_state(True)
        assert await bus.publish("festival", b"y") == 1
        assert (await get(sub)).data == b"y"
    finally:
        await bus.close()


async def test_close_cancels_the_reader_and_refuses_use(redis_server: RedisServer) -> None:
    bus = RedisBus(redis_server.url)
    sub = await bus.subscribe("t")
    reader = bus._reader
    assert reader is not None and not reader.done()
    await bus.close()
    assert reader.done() and not bus.available
    with pytest.raises(BusClosed):
        await sub.get()
    with pytest.raises(BusClosed):
        await bus.publish("t", b"")
    with pytest.raises(BusClosed):
        await bus.subscribe("t")
