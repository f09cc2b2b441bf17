"""The principal behind a request: its bearer token or session cookie, resolved (and cached) by hash.

The lookup is by hash (indexed) and the match is re-checked with ``hmac.compare_digest``. What a token is
and who a principal is are in ``server.domain.principal``.
"""

from __future__ import annotations

import hmac
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from server import keys
from server.domain.principal import Principal, hash_token
from server.persistence.statements import TOKEN_BY_HASH

SESSION_COOKIE = "vrstore_session"


_PRINCIPAL_KEY: web.RequestKey[Principal | None] = web.RequestKey("principal", object)  # type: ignore[arg-type]


def token_from_request(request: web.Request) -> str | None:
    """Bearer header first; the shopper's HttpOnly cookie second."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return ""  # present but unusable: treated as an invalid token, not as anonymous
    return request.cookies.get(SESSION_COOKIE)


class TokenCache:
    """Recently resolved tokens, so a busy shopper does not cost a database read per request.

    Entries live ``ttl`` seconds; any revocation in this process clears the cache at once. Another
    process learns of a revocation within ``ttl`` (documented in docs/API.md).

    Expired entries are dropped as new ones come (oldest first: entries are kept in expiry order), so the cache
    holds the tokens of the last ``ttl`` seconds. It used to keep every guest of a busy day, about 450 bytes
    each, until 50,000 had piled up."""

    def __init__(self, ttl: float = 5.0, size: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None or entry[0] < self.clock():
            return None
        return entry[1]

    def put(self, digest: str, principal: Principal) -> None:
        now = self.clock()
        entries = self._entries
        while entries and (next(iter(entries.values()))[0] < now or len(entries) >= self.size):
            entries.popitem(last=False)
        entries[digest] = (now + self.ttl, principal)
        entries.move_to_end(digest)  # a refreshed entry expires last

    def clear(self) -> None:
        self._entries.clear()




def _token_row(conn: Connection, digest: str) -> Any:
    # One prebuilt Core statement in one thread hop: this runs for every request that misses the cache.
    return TOKEN_BY_HASH.first(conn, {"p_hash": digest})


async def resolve_token(request: web.Request, token: str) -> Principal | None:
    """The principal for a token, or None when it is unknown or revoked."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    cache = request.app.get(keys.TOKEN_CACHE)
    if cache is not None and (cached := cache.get(digest)) is not None:
        return cached
    row = await request.app[keys.DATABASE].read_sync(_token_row, digest)
    if row is None:
        return None
    token_id, token_hash, role, festival_id, merchant_id, session_id, revoked_at = row
    if revoked_at is not None or not hmac.compare_digest(token_hash, digest):
        return None
    principal = Principal(role, token_id, festival_id, merchant_id, session_id)  # role: the column holds a Role
    if cache is not None:
        cache.put(digest, principal)
    return principal


async def authenticate(request: web.Request) -> Principal | None:
    """The request's principal (cached on the request); raises 401 for a token that is wrong."""
    from server.domain.errors import Unauthorized

    if _PRINCIPAL_KEY in request:
        return request[_PRINCIPAL_KEY]
    token = token_from_request(request)
    principal = None
    if token is not None:
        principal = await resolve_token(request, token)
        if principal is None and request.headers.get("Authorization"):
            raise Unauthorized("the bearer token is invalid or revoked")
    request[_PRINCIPAL_KEY] = principal
    return principal
