"""LocalBus: topics, fan-out, bounded queues that drop the oldest, closing."""

from __future__ import annotations

import asyncio

import pytest

from server.live.cluster.bus import Bus, BusClosed, LocalBus, Message, cart_topic, poses_topic, store_topic


def test_topic_names() -> None:
    assert (store_topic("s1"), cart_topic("c9"), poses_topic("s1", 2)) == ("store:s1", "cart:c9",
                                                                         "instance:s1:2:poses")


async def test_publish_reaches_every_subscriber_of_the_topic_in_order() -> None:
    bus: Bus = LocalBus()
    a = await bus.subscribe("store:1", "cart:2")
    b = await bus.subscribe("store:1")
    assert await bus.publish("store:1", b"x") == 2
    assert await bus.publish("cart:2", b"y") == 1
    assert await bus.publish("nobody", b"z") == 0
    assert [await a.get(), await a.get()] == [Message("store:1", b"x"), Message("cart:2", b"y")]
    assert await b.get() == Message("store:1", b"x")
    await bus.close()


async def test_a_waiting_subscriber_wakes_on_publish_and_on_close() -> None:
    bus = LocalBus()
    sub = await bus.subscribe("t")
    waiter = asyncio.ensure_future(sub.get())
    await asyncio.sleep(0)  # let the waiter block on the empty queue
    await bus.publish("t", b"1")
    assert (await waiter).data == b"1"
    waiter = asyncio.ensure_future(sub.get())
    await asyncio.sleep(0)
    await sub.close()
    with pytest.raises(BusClosed):
        await waiter
    assert await bus.publish("t", b"2") == 0  # unsubscribed


async def test_slow_subscriber_loses_the_oldest_messages() -> None:
    bus = LocalBus(queue_size=3)
    async with await bus.subscribe("t") as sub:
        for i in range(5):
            await bus.publish("t", bytes([i]))
        assert [(await sub.get()).data for _ in range(3)] == [b"\x02", b"\x03", b"\x04"]
        assert getattr(sub, "dropped") == 2  # noqa: B009


async def test_async_iteration_ends_when_closed() -> None:
    bus = LocalBus()
    sub = await bus.subscribe("t")
    await bus.publish("t", b"a")
    got = []
    async for msg in sub:
        got.append(msg.data)
        await bus.close()
    assert got == [b"a"]
    with pytest.raises(BusClosed):
        await bus.publish("t", b"b")
    with pytest.raises(BusClosed):
        await bus.subscribe("t")


async def test_the_local_bus_is_always_available() -> None:
    bus = LocalBus()
    calls: list[bool] = []
    off = bus.on_state(calls.append)
    assert bus.available
    await bus.wait_state(True)  # returns at once
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):  # never becomes unavailable: the wait is bounded by the caller
            await bus.wait_state(False)
    off()
    assert calls == []
