"""The bus across processes: ``PUBLISH``/``SUBSCRIBE`` on one Redis (issue 8).

One ``RedisBus`` per process holds one PubSub connection. Its single reader task reads every message and
offers it to the bounded queue of each local subscription of that topic (the oldest is dropped when a queue is
full, as in :class:`~server.live.cluster.bus.LocalBus`). A Redis topic is subscribed while at least one local
subscription wants it; the last one to close unsubscribes it. Publishing uses the client's connection pool.

Failure semantics (the reason this module is more than a thin wrapper):

* ``available`` is True only while the PubSub connection is up **and** every live topic is confirmed
  subscribed; :meth:`on_state` callbacks and :meth:`wait_state` report each change.
* ``publish`` raises :class:`~server.live.cluster.bus.BusUnavailable` - immediately, without I/O, while the bus
  is unavailable; after at most ``op_timeout_s`` when Redis stops answering. A failed publish also marks the
  bus unavailable and makes the reader reconnect, so one dead Redis costs the tick loop one timeout, not one
  per message. Only before the very first connection attempt has finished does ``publish`` wait for it.
* ``subscribe`` never fails because Redis is away: the subscription is registered and starts receiving once
  Redis is back. While Redis is up it returns after Redis confirmed the ``SUBSCRIBE`` (messages published
  afterwards, from any process, reach it).
* The reader reconnects with capped exponential backoff (with jitter, so N workers do not reconnect in step),
  re-subscribes every live topic, and detects a silent peer by ``PING`` after ``ping_interval_s`` of silence.
  Messages published while the bus was down are lost (at-most-once; the receivers re-read the truth).
* ``publish`` returns what Redis returns: how many bus *connections* (processes) got the message, not how many
  subscriptions; 0 is not an error.

The connection starts with the first ``publish``, ``subscribe``, ``on_state`` or ``wait_state``; at start-up
``async with asyncio.timeout(t): await bus.wait_state(True)`` waits for it. ``close`` cancels the reader task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError

from server.live.cluster.bus import (
    Bus,
    BusClosed,
    BusUnavailable,
    LocalBus,
    Message,
    QueueSubscription,
    StateCallback,
    Subscription,
    drop_subscription,
)
from server.redis_conn import REDIS_ERRORS, redis_client

if TYPE_CHECKING:
    from server.settings import Settings

log = logging.getLogger("vrstore.bus")


class _Reconnect(Exception):
    """The reader must drop its connection and start over (a send failed, or Redis stopped answering)."""


_CONNECTION_LOST: tuple[type[Exception], ...] = (*REDIS_ERRORS, _Reconnect)


class RedisBus(Bus):
    """Publish/subscribe through Redis; see the module docstring for what happens when Redis goes away."""

    def __init__(
        self, redis: str | Redis, *, queue_size: int = 256, op_timeout_s: float = 0.5,
        connect_timeout_s: float = 2.0, ping_interval_s: float = 5.0, backoff_s: tuple[float, float] = (0.05, 2.0),
        poll_s: float = 0.25,
    ) -> None:
        self.queue_size = queue_size
        self.reconnects = 0  # connections opened after the first one
        self._owns_client = isinstance(redis, str)
        self._redis = redis_client(redis, timeout_s=op_timeout_s) if isinstance(redis, str) else redis
        self._op_timeout = op_timeout_s
        self._connect_timeout = connect_timeout_s
        self._ping_interval = ping_interval_s
        self._backoff = backoff_s
        self._poll = poll_s
        # A private channel keeps the connection in subscribed mode even with no topics, so PING always answers
        # the same way and the reader always has something to read.
        self._control = f"vrstore:bus:{uuid.uuid4().hex}"
        self._subs: dict[str, set[QueueSubscription]] = {}
        self._pubsub: PubSub | None = None  # the connection in use; None while down
        # Redis confirms each (un)subscribed channel in order: one future per channel sent, resolved when its
        # confirmation is read.
        self._acks: deque[asyncio.Future[None]] = deque()
        self._send_lock = asyncio.Lock()
        self._available = False
        self._reconnect = False
        self._callbacks: list[StateCallback] = []
        self._first_attempt = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._closed = False

    # ------------------------------------------------------------ health

    @property
    def available(self) -> bool:
        """See :attr:`Bus.available`."""
        return self._available

    def on_state(self, callback: StateCallback) -> Callable[[], None]:
        """See :meth:`Bus.on_state`; also starts the connection."""
        self._start()
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    def _set_available(self, up: bool) -> None:
        if up == self._available:
            return
        self._available = up
        if self._closed:
            return
        if up:
            log.info("redis bus connected (%d topics)", len(self._subs))
        else:
            log.warning("redis bus unavailable")
        for callback in list(self._callbacks):
            try:
                callback(up)
            except Exception:  # one broken listener must not stop the others hearing about it
                log.exception("bus state callback failed")

    def _start(self) -> None:
        if self._reader is None and not self._closed:
            self._reader = asyncio.get_running_loop().create_task(self._run(), name="redis-bus-reader")

    def _suspect(self) -> None:
        """A command failed: stop using the connection now, let the reader reconnect and re-subscribe."""
        self._pubsub = None
        self._reconnect = True
        self._set_available(False)

    # ------------------------------------------------------------ Bus

    async def publish(self, topic: str, data: bytes) -> int:
        """See :class:`Bus` and the module docstring: raises BusUnavailable instead of waiting for Redis."""
        return int(await self._command(lambda: self._redis.publish(topic, data)))

    async def publish_many(self, messages: list[tuple[str, bytes]]) -> None:
        """See :meth:`Bus.publish_many`: one pipeline (no MULTI), so a tick's pose batches cost one round trip."""

        async def send() -> None:
            pipe = self._redis.pipeline(transaction=False)
            for topic, data in messages:
                pipe.publish(topic, data)
            await pipe.execute()

        if messages:
            await self._command(send)

    async def _command(self, send: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``send`` (once more if a pooled connection predates a Redis restart) under the failure rules."""
        if self._closed:
            raise BusClosed("bus closed")
        self._start()
        if not self._first_attempt.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._connect_timeout):
                    await self._first_attempt.wait()
        if not self._available:
            raise BusUnavailable("redis is unreachable")
        try:
            async with asyncio.timeout(self._op_timeout):
                try:
                    return await send()
                except RedisConnectionError:
                    return await send()
        except REDIS_ERRORS as exc:
            self._suspect()
            raise BusUnavailable(f"publish to redis failed: {exc!r}") from exc

    async def subscribe(self, *topics: str) -> Subscription:
        """See :class:`Bus` and the module docstring: works (later) even while Redis is away."""
        if self._closed:
            raise BusClosed("bus closed")
        if not topics:
            raise ValueError("subscribe to at least one topic")
        self._start()
        sub = QueueSubscription(frozenset(topics), self.queue_size, self._detach)
        new = [t for t in sub.topics if t not in self._subs]
        for t in sub.topics:
            self._subs.setdefault(t, set()).add(sub)
        if not self._first_attempt.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._connect_timeout):
                    await self._first_attempt.wait()
        acks = await self._send("SUBSCRIBE", new) if new else []
        if acks:
            with contextlib.suppress(TimeoutError):  # unconfirmed: it is registered and follows reconnects
                async with asyncio.timeout(self._connect_timeout):
                    await asyncio.gather(*acks)
        return sub

    async def _detach(self, sub: QueueSubscription) -> None:
        gone = drop_subscription(self._subs, sub)
        if gone and not self._closed:
            await self._send("UNSUBSCRIBE", gone)

    async def close(self) -> None:
        """See :meth:`Bus.close`: also stops the reader task and closes the connections."""
        if self._closed:
            return
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        self._available = False
        for sub in {s for subs in self._subs.values() for s in subs}:
            await sub.close()
        if self._owns_client:
            with contextlib.suppress(*REDIS_ERRORS):
                await self._redis.aclose()

    # ------------------------------------------------------------ the connection

    async def _send(self, command: str, topics: list[str]) -> list[asyncio.Future[None]]:
        """(Un)subscribe ``topics`` on the live connection; returns the confirmations to wait for (none if down).

        Under the lock, each topic is re-checked against the subscriptions of the moment, so a subscribe and an
        unsubscribe of one topic racing each other leave Redis in the state the last local change asked for.
        """
        async with self._send_lock:
            pubsub = self._pubsub
            if pubsub is None:
                return []  # the reader subscribes every live topic when it reconnects
            wanted = [t for t in topics if (t in self._subs) == (command == "SUBSCRIBE")]
            if not wanted:
                return []
            acks = [asyncio.get_running_loop().create_future() for _ in wanted]
            self._acks.extend(acks)  # before sending: the reader may read the reply before we run again
            try:
                async with asyncio.timeout(self._op_timeout):
                    await pubsub.execute_command(command, *wanted)
            except REDIS_ERRORS:
                self._suspect()
                return []
            return acks

    async def _run(self) -> None:
        """The reader: connect, re-subscribe, read until the connection fails, back off, again."""
        attempt = 0
        while not self._closed:
            pubsub = self._redis.pubsub()
            try:
                await self._open(pubsub)
                attempt = 0
                await self._read(pubsub)
            except _CONNECTION_LOST as exc:
                log.debug("redis bus connection failed: %r", exc)
            except Exception:  # a bug here must not leave the process without a bus for good
                log.exception("redis bus reader failed")
            finally:
                await self._teardown(pubsub)
                self._first_attempt.set()
            low, high = self._backoff
            await asyncio.sleep(min(high, low * 2 ** min(attempt, 20)) * random.uniform(0.5, 1.0))
            attempt += 1

    async def _open(self, pubsub: PubSub) -> None:
        async with asyncio.timeout(self._connect_timeout):
            async with self._send_lock:
                await pubsub.connect()  # type: ignore[no-untyped-call]
                topics = [self._control, *self._subs]
                acks = [asyncio.get_running_loop().create_future() for _ in topics]
                self._acks.clear()
                self._acks.extend(acks)
                await pubsub.execute_command("SUBSCRIBE", *topics)
                self._pubsub = pubsub
                self._reconnect = False
            while not acks[-1].done():  # confirmations come in order: the last one means all are in
                self._handle(await pubsub.get_message(timeout=self._poll))
        if self._first_attempt.is_set():
            self.reconnects += 1
        self._first_attempt.set()
        self._set_available(True)

    async def _read(self, pubsub: PubSub) -> None:
        loop = asyncio.get_running_loop()
        heard = loop.time()
        ping_sent: float | None = None
        while True:
            if self._reconnect or self._pubsub is not pubsub:
                raise _Reconnect("a command on the connection failed")
            msg = await pubsub.get_message(timeout=self._poll)
            now = loop.time()
            if msg is not None:
                heard, ping_sent = now, None
                self._handle(msg)
            elif ping_sent is not None and now - ping_sent > self._connect_timeout:
                raise _Reconnect("redis did not answer PING")
            elif ping_sent is None and now - heard > self._ping_interval:
                ping_sent = now  # a half-open TCP connection reads as silence: ask for an answer
                async with self._send_lock, asyncio.timeout(self._op_timeout):
                    await pubsub.execute_command("PING")

    def _handle(self, msg: dict[str, Any] | None) -> None:
        if msg is None:
            return
        kind = msg["type"]
        if kind == "message":
            topic = msg["channel"].decode()
            subs = self._subs.get(topic)
            if subs:
                message = Message(topic, msg["data"])
                for sub in list(subs):
                    sub.offer(message)
        elif kind in ("subscribe", "unsubscribe") and self._acks:
            ack = self._acks.popleft()
            if not ack.done():
                ack.set_result(None)

    async def _teardown(self, pubsub: PubSub) -> None:
        if self._pubsub is pubsub:
            self._pubsub = None
        for ack in self._acks:
            if not ack.done():
                ack.set_result(None)  # the subscriber stops waiting; its topic is re-subscribed on reconnect
        self._acks.clear()
        self._set_available(False)
        with contextlib.suppress(*REDIS_ERRORS):
            await pubsub.aclose()


def make_bus(settings: Settings, *, queue_size: int = 256) -> Bus:
    """The bus the settings ask for: Redis when ``redis_url`` is set, else in-process. It lives here, beside
    the one implementation that imports the other, so that ``bus`` never imports ``redis_bus`` (no cycle)."""
    if not settings.redis_url:
        return LocalBus(queue_size=queue_size)
    return RedisBus(settings.redis_url, queue_size=queue_size)
