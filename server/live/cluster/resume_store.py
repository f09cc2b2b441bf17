"""Where resume tokens live, and cluster-unique peer ids.

A shopper whose connection dropped may resume within the grace period (30 s) with the token from its
``welcome``. With several workers the reconnect may land on another worker - possibly because the first one
died - so the record that lets the new worker restore identity, instance and group must outlive the process
that wrote it: :class:`RedisResumeStore` keeps it in Redis under ``{p}:resume:{token}`` (a JSON string with a
TTL) and hands it out **once** (``GETDEL``: two racing reconnects cannot both resume the same seat).
:class:`LocalResumeStore` is the one-process equivalent.

Peer ids are the ``u16`` ids of the binary pose frames. Two workers placing shoppers in one instance must not
hand out the same id, so ``next_peer_id(store)`` draws from one counter per store (``{p}:peer:{store}``,
``INCR``) and wraps within 1..65535; the caller skips an id still in use in its instance and asks again, as
:class:`~server.live.core.room.Room` does with its local counter today.

Failures: RedisResumeStore raises :class:`ResumeStoreUnavailable` within ``op_timeout_s`` when Redis is away
(a resume then fails like an expired token: the shopper joins afresh).
"""

from __future__ import annotations

import abc
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from redis.asyncio import Redis

from server.live.core.protocol import RealtimeError
from server.redis_conn import REDIS_ERRORS, redis_client

if TYPE_CHECKING:
    from server.settings import Settings

MAX_PEER_ID = 0xFFFF
T = TypeVar("T")


class ResumeStoreUnavailable(RealtimeError):
    """The shared resume store (Redis) cannot be reached right now."""


def wrap_peer_id(n: int) -> int:
    """The n-th id drawn (n ≥ 1) as a peer id in 1..65535."""
    return (n - 1) % MAX_PEER_ID + 1


class ResumeStore(abc.ABC):
    """Resume records by token (taken at most once) and per-store peer id counters."""

    @abc.abstractmethod
    async def put(self, token: str, record: dict[str, Any], ttl_s: float) -> None:
        """Keep ``record`` (JSON-able) under ``token`` for ``ttl_s`` seconds, replacing an older one."""

    @abc.abstractmethod
    async def take(self, token: str) -> dict[str, Any] | None:
        """The record and its removal, atomically; None if unknown, expired or already taken."""

    @abc.abstractmethod
    async def next_peer_id(self, store: str) -> int:
        """The next peer id for ``store`` (1..65535, wrapping; skip ids still in use)."""

    async def close(self) -> None:  # noqa: B027 - optional: only a Redis store has something to close
        """Release resources."""


class LocalResumeStore(ResumeStore):
    """In-process store; ``clock`` is injectable so tests need not wait for expiry."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._records: dict[str, tuple[float, str]] = {}
        self._peers: dict[str, int] = {}

    async def put(self, token: str, record: dict[str, Any], ttl_s: float) -> None:
        """See :meth:`ResumeStore.put`."""
        now = self._clock()
        # Expired records are dropped here, on write, so the dict stays bounded by live tokens.
        self._records = {t: r for t, r in self._records.items() if r[0] > now}
        self._records[token] = (now + ttl_s, json.dumps(record))  # stored encoded: same copy semantics as Redis

    async def take(self, token: str) -> dict[str, Any] | None:
        """See :meth:`ResumeStore.take`."""
        entry = self._records.pop(token, None)
        if entry is None or entry[0] <= self._clock():
            return None
        record: dict[str, Any] = json.loads(entry[1])
        return record

    async def next_peer_id(self, store: str) -> int:
        """See :meth:`ResumeStore.next_peer_id`."""
        self._peers[store] = self._peers.get(store, 0) + 1
        return wrap_peer_id(self._peers[store])


class RedisResumeStore(ResumeStore):
    """Records and counters in Redis, shared by every worker (keys in the module docstring)."""

    def __init__(self, redis: str | Redis, *, prefix: str = "vrstore", op_timeout_s: float = 1.0) -> None:
        self._owns_client = isinstance(redis, str)
        self._redis = redis_client(redis, timeout_s=op_timeout_s) if isinstance(redis, str) else redis
        self._prefix = prefix
        self._timeout = op_timeout_s

    async def _call(self, op: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self._timeout):
                return await op
        except REDIS_ERRORS as exc:
            raise ResumeStoreUnavailable(f"resume store unreachable: {exc!r}") from exc

    async def put(self, token: str, record: dict[str, Any], ttl_s: float) -> None:
        """See :meth:`ResumeStore.put`."""
        await self._call(self._redis.set(f"{self._prefix}:resume:{token}", json.dumps(record),
                                         px=max(1, int(ttl_s * 1000))))

    async def take(self, token: str) -> dict[str, Any] | None:
        """See :meth:`ResumeStore.take`."""
        raw = await self._call(self._redis.getdel(f"{self._prefix}:resume:{token}"))
        if raw is None:
            return None
        record: dict[str, Any] = json.loads(raw)
        return record

    async def next_peer_id(self, store: str) -> int:
        """See :meth:`ResumeStore.next_peer_id`."""
        return wrap_peer_id(int(await self._call(self._redis.incr(f"{self._prefix}:peer:{store}"))))

    async def close(self) -> None:
        """Close the client if this store made it."""
        if self._owns_client:
            await self._redis.aclose()


def make_resume_store(settings: Settings) -> ResumeStore:
    """Redis when ``redis_url`` is set, else in-process."""
    return RedisResumeStore(settings.redis_url) if settings.redis_url else LocalResumeStore()
