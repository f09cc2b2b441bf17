"""Abuse limits across workers: every worker counts in the same Redis windows; Redis away lets requests through."""

from __future__ import annotations

import pytest
from factories import free_port
from redis_server import RedisServer

from server.domain.errors import RateLimited
from server.services.rate_limiter import RateLimiter


async def test_two_workers_share_one_window(redis_server: RedisServer) -> None:
    first = RateLimiter.configured("checkout=4/minute", redis_server.url)
    second = RateLimiter.configured("checkout=4/minute", redis_server.url)
    try:
        for limiter in (first, second, first, second):
            await limiter.hit("checkout", "session:7")
        with pytest.raises(RateLimited) as refused:
            await second.hit("checkout", "session:7")  # 4 a minute in all, not 4 per worker
        assert refused.value.retry_after_s >= 1
        await first.hit("checkout", "session:8")
    finally:
        await first.close()
        await second.close()


async def test_redis_away_lets_requests_through() -> None:
    limiter = RateLimiter.configured("checkout=1/minute", f"redis://127.0.0.1:{free_port()}/0")
    try:
        for _ in range(3):
            await limiter.hit("checkout", "session:1")  # nobody listens there: fail open, quickly
        await limiter.refuse_if_spent("checkout", "session:1")
    finally:
        await limiter.close()
