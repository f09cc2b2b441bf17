"""How the server talks to Redis (live bus, seat ledger, resume tokens, waiting rooms): one client recipe and
one tuple of errors that mean "Redis is away".

redis-py retries failed commands by default (with backoff, seconds in total); the tick loop cannot wait that
long, so every client here fails fast and the owner (bus reader, ledger caller) decides when to try again.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

# OSError covers refused connections and TimeoutError (asyncio.timeout raises the builtin one).
REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)


def redis_client(url: str, *, timeout_s: float = 0.5) -> Redis:
    """A client whose every connect/read gives up after ``timeout_s`` and never retries on its own."""
    client: Redis = Redis.from_url(
        url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 0),
        decode_responses=False,
    )
    return client
