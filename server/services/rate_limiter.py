"""Counting the abuse limits of :mod:`server.domain.rate_limits` (sliding windows from the ``limits`` library).

With Redis configured every worker counts in the same windows, so ``--workers 4`` does not quadruple a limit;
without it one process counts in memory. When Redis is away the limiter lets requests through (logged once per
outage): a shop that stops selling because its abuse counter is down would be the bigger harm.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.asyncio import Redis

from server.domain.errors import RateLimited
from server.domain.rate_limits import RULES, resolve
from server.redis_conn import redis_client

log = logging.getLogger("vrstore.rate_limits")


class RateLimiter:
    """``hit(name, who)`` counts one action of client ``who`` and refuses it (429) over the limit."""

    def __init__(self, limits: dict[str, RateLimitItem | None], storage: Storage,
                 redis: Redis | None = None) -> None:
        self._limits = limits
        self._storage = storage
        self._redis = redis  # owned here: closed with the limiter
        self._windows = SlidingWindowCounterRateLimiter(storage)
        self._storage_down = False

    @classmethod
    def configured(cls, overrides: str, redis_url: str | None) -> RateLimiter:
        if not redis_url:
            return cls(resolve(overrides), MemoryStorage())
        redis = redis_client(redis_url)  # fails fast, never retries on its own (see redis_conn)
        storage = RedisStorage("async+" + redis_url, implementation="redispy", wrap_exceptions=True,
                               key_prefix="vrstore:limits",
                               connection_pool=redis.connection_pool)  # type: ignore[arg-type] # passed on to redis-py
        return cls(resolve(overrides), storage, redis)

    async def hit(self, name: str, who: str) -> None:
        item = self._limits[name]
        if item is None or await self._counted(item, name, who):
            return
        raise RateLimited(f"too many requests: at most {item} for {RULES[name].why}",
                          retry_after_s=await self._retry_after(item, name, who))

    async def refuse_if_spent(self, name: str, who: str) -> None:
        """429 when ``who`` has nothing left of ``name``, without counting (a lockout such as share-code misses)."""
        item = self._limits[name]
        if item is None:
            return
        try:
            left = await self._windows.test(item, name, who)
        except StorageError:
            self._down()
            return
        if not left:
            raise RateLimited(f"locked out: {RULES[name].why} ({item}) reached",
                              retry_after_s=await self._retry_after(item, name, who))

    async def _counted(self, item: RateLimitItem, name: str, who: str) -> bool:
        try:
            allowed = await self._windows.hit(item, name, who)
        except StorageError:
            self._down()
            return True
        if self._storage_down:
            self._storage_down = False
            log.warning("rate limits: storage answers again; limits apply")
        return allowed

    async def _retry_after(self, item: RateLimitItem, name: str, who: str) -> int:
        try:
            stats = await self._windows.get_window_stats(item, name, who)
        except StorageError:
            return item.get_expiry()
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _down(self) -> None:
        if not self._storage_down:
            self._storage_down = True
            log.warning("rate limits: storage unreachable; letting requests through until it answers")

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
        if isinstance(self._storage, MemoryStorage) and self._storage.timer is not None:
            self._storage.timer.cancel()  # the memory storage's expiry sweep, a task it starts per call
