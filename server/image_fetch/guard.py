"""The SSRF guard's network half: an aiohttp session that connects only to addresses the policy allows.

aiohttp's connector connects to exactly the addresses its resolver returns (and to a literal IP as written). The
``GuardedResolver`` resolves the name itself and refuses the whole answer when any address in it is refused, so
the address checked is the address connected to: a DNS answer that changes between a check and the connect
(rebinding) cannot slip in, because there is no second lookup. Literal IPs never reach a resolver; the fetcher
checks every hop's URL with ``FetchPolicy.url_refusal`` before it is requested. No proxy from the environment is
used (``trust_env`` stays off), and no cookies are kept.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from server.domain.fetch_policy import FetchPolicy


class RefusedAddress(OSError):
    """A host resolved to an address the policy refuses; nothing was connected to."""

    def __init__(self, host: str, detail: str) -> None:
        super().__init__(f"{host}: {detail}")
        self.host = host
        self.detail = detail


class GuardedResolver(AbstractResolver):
    """Resolves with ``inner`` (the system resolver by default) and lets through only allowed answers."""

    def __init__(self, policy: FetchPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self.inner = inner or aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        answers = await self.inner.resolve(host, port, family)
        if not answers:
            raise OSError(f"{host} has no address")
        for answer in answers:
            refusal = self.policy.address_refusal(answer["host"], answer["port"])
            if refusal is not None:
                # One bad address spoils the answer: happy eyeballs would otherwise try it too.
                raise RefusedAddress(host, f"{host} resolves to {refusal.detail}")
        return answers

    async def close(self) -> None:
        await self.inner.close()


@dataclass(frozen=True)
class TestNetwork:
    """Test-only: the (address, port) pairs of the test suite's own local server that the guard lets through, and
    a resolver answering for made-up host names. Passed to ``create_app`` as a keyword argument, never read from
    the environment; the app logs a warning when it is given."""

    __test__ = False  # not a pytest test class

    trusted: frozenset[tuple[str, int]] = field(default_factory=frozenset)
    resolver: AbstractResolver | None = None


@asynccontextmanager
async def guarded_session(policy: FetchPolicy, *, connections: int,
                          resolver: AbstractResolver | None = None) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session whose every connection passes the policy (see the module docstring)."""
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(policy, resolver), limit=connections,
                                     limit_per_host=connections)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
                                     auto_decompress=False) as session:
        yield session
