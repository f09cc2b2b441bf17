"""Publish/subscribe of bytes on topic strings between the parts of the server and between its processes.

:class:`LocalBus` delivers within one process and is the default. :class:`~server.live.cluster.redis_bus.RedisBus`
(issue 8) maps ``publish`` to ``PUBLISH topic data`` and ``subscribe`` to one ``SUBSCRIBE`` per topic on a shared
``redis.asyncio`` PubSub connection whose reader task feeds the same bounded per-subscription queues; that is
why the interface is only bytes + exact topic names, fire-and-forget, no acknowledgements and no history.
:func:`~server.live.cluster.redis_bus.make_bus` picks one from the settings.

A bus can be unavailable (Redis down): :attr:`Bus.available`, :meth:`Bus.on_state` and :meth:`Bus.wait_state`
let the live layer tell shoppers "live degraded" / "live restored". The local bus is always available.

Delivery is at-most-once and a slow subscriber loses its OLDEST messages (its queue is bounded): everything
on the bus is either soft state (poses, presence) or a "version v is out" hint whose receiver re-reads the
truth from the database when it sees a gap.

Topics (build them with the helpers, never by hand): ``store:{id}`` product/notice events of a store,
``cart:{id}`` cart version events, ``instance:{store}:{n}:poses`` one batched pose message per instance per
tick, ``festival`` festival-wide notices.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import NamedTuple

from server.live.core.protocol import RealtimeError


class BusClosed(RealtimeError):
    """The bus (or the subscription) was closed."""


class BusUnavailable(RealtimeError):
    """The bus cannot reach its broker right now (Redis down); ``publish`` raises it without waiting."""


class Message(NamedTuple):
    """One delivery: the topic it was published on and its payload."""

    topic: str
    data: bytes


def store_topic(store: str) -> str:
    """Topic of a store's product and notice events."""
    return f"store:{store}"


def cart_topic(cart: str) -> str:
    """Topic of a cart's version events."""
    return f"cart:{cart}"


def poses_topic(store: str, instance: int) -> str:
    """Topic of an instance's batched poses (one message per tick)."""
    return f"instance:{store}:{instance}:poses"


FESTIVAL_TOPIC = "festival"

StateCallback = Callable[[bool], None]


class Subscription(abc.ABC):
    """Messages on a set of topics, in publish order per topic; iterate with ``async for``."""

    topics: frozenset[str]

    @abc.abstractmethod
    async def get(self) -> Message:
        """The next message; raises BusClosed once closed and drained."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop receiving; a pending ``get`` raises BusClosed."""

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Message:
        try:
            return await self.get()
        except BusClosed:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class Bus(abc.ABC):
    """Fire-and-forget publish/subscribe of bytes on exact topic names."""

    @abc.abstractmethod
    async def publish(self, topic: str, data: bytes) -> int:
        """Publish ``data`` on ``topic``; returns how many subscriptions it reached (0 is not an error)."""

    async def publish_many(self, messages: list[tuple[str, bytes]]) -> None:
        """Publish several (topic, data) messages in order; a broker bus sends them in one round trip."""
        for topic, data in messages:
            await self.publish(topic, data)

    @abc.abstractmethod
    async def subscribe(self, *topics: str) -> Subscription:
        """Start receiving messages published on any of ``topics`` from now on."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close every subscription and refuse further use."""

    @property
    def available(self) -> bool:
        """Whether publish and delivery work right now (always for an in-process bus)."""
        return True

    def on_state(self, callback: StateCallback) -> Callable[[], None]:
        """Call ``callback(available)`` on every availability change; returns the function that unregisters it.

        Callbacks run on the event loop, must not block and must not raise.
        """
        return lambda: None

    async def wait_state(self, available: bool) -> None:
        """Return once :attr:`available` equals ``available`` (bound it with ``asyncio.timeout``)."""
        if self.available is available:
            return
        reached = asyncio.Event()
        off = self.on_state(lambda up: reached.set() if up is available else None)
        try:
            await reached.wait()
        finally:
            off()


_CLOSED = Message("", b"")  # sentinel that wakes a waiting ``get`` on close


class QueueSubscription(Subscription):
    """A subscription fed by its bus through a bounded queue; ``detach`` tells the bus it closed."""

    def __init__(
        self, topics: frozenset[str], maxsize: int, detach: Callable[[QueueSubscription], Awaitable[None]]
    ) -> None:
        self.topics = topics
        self.dropped = 0
        self._detach = detach
        self._queue: asyncio.Queue[Message] = asyncio.Queue(maxsize)
        self._closed = False

    def offer(self, msg: Message) -> None:
        """Enqueue without waiting; a full queue loses its oldest message (soft state, latest wins)."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(msg)

    async def get(self) -> Message:
        if self._closed and self._queue.empty():
            raise BusClosed("subscription closed")
        msg = await self._queue.get()
        if msg is _CLOSED:
            raise BusClosed("subscription closed")
        return msg

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._detach(self)
        with contextlib.suppress(asyncio.QueueEmpty):
            while True:  # pending messages are dropped: a closed subscriber wants none of them
                self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)


def drop_subscription(index: dict[str, set[QueueSubscription]], sub: QueueSubscription) -> list[str]:
    """Remove ``sub`` from a topic → subscriptions index; returns the topics nobody wants any more."""
    gone = []
    for t in sub.topics:
        subs = index.get(t)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del index[t]
                gone.append(t)
    return gone


class LocalBus(Bus):
    """In-process bus: ``publish`` hands the message to each subscription's bounded queue at once."""

    def __init__(self, *, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self._subs: dict[str, set[QueueSubscription]] = {}
        self._closed = False

    async def publish(self, topic: str, data: bytes) -> int:
        """See :meth:`Bus.publish`."""
        if self._closed:
            raise BusClosed("bus closed")
        subs = self._subs.get(topic, ())
        msg = Message(topic, data)
        for sub in list(subs):
            sub.offer(msg)
        return len(subs)

    async def subscribe(self, *topics: str) -> Subscription:
        """See :meth:`Bus.subscribe`."""
        if self._closed:
            raise BusClosed("bus closed")
        if not topics:
            raise ValueError("subscribe to at least one topic")
        sub = QueueSubscription(frozenset(topics), self.queue_size, self._detach)
        for t in sub.topics:
            self._subs.setdefault(t, set()).add(sub)
        return sub

    async def _detach(self, sub: QueueSubscription) -> None:
        self.unsubscribe(sub)

    def unsubscribe(self, sub: QueueSubscription) -> None:
        """Detach a subscription (called by its ``close``)."""
        drop_subscription(self._subs, sub)

    async def close(self) -> None:
        """See :meth:`Bus.close`."""
        self._closed = True
        for sub in {s for subs in self._subs.values() for s in subs}:
            await sub.close()
