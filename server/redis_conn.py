"""How the server talks to Redis (live bus, seat ledger, resume tokens, waiting rooms): one client recipe and
one tuple of errors that mean "Redis is away".

redis-py retries failed commands by default (with backoff, seconds in total); the tick loop cannot wait that
long, so every client here fails fast and the owner (bus reader, ledger caller) decides when to try again.

Each client keeps at most ``MAX_CONNECTIONS`` sockets and queues further commands for a free one. The default pool
opens a socket per concurrent command: a burst of joins (100 peer ids at once) opened 100 connections at the
same moment, and on a loaded box some connects missed their deadline. Redis runs one command at a time anyway,
so a few busy sockets carry a burst as fast as many idle ones.
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

# OSError covers refused connections and TimeoutError (asyncio.timeout raises the builtin one).
REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)
MAX_CONNECTIONS = 16


def redis_client(url: str, *, timeout_s: float = 0.5) -> Redis:
    """A client whose every connect/read (and wait for a free socket) gives up after ``timeout_s`` and never
    retries on its own."""
    pool = BlockingConnectionPool.from_url(
        url, max_connections=MAX_CONNECTIONS, timeout=timeout_s,
        socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 0),
        decode_responses=False,
    )
    return Redis.from_pool(pool)
