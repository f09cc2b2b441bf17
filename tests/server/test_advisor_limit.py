"""The shopping advisor's rate limit (issue 21): the limit docs/API.md states is the one the server keeps, per
session, and per address for callers without one; over it, 429 problem+json with Retry-After."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from factories import add_products, bearer, make_settings, make_tenant, new_shopper, running_client

from server.domain.rate_limits import RULES

API_MD = Path(__file__).resolve().parents[2] / "docs" / "API.md"


def documented() -> tuple[int, str]:
    """The advisor's row of the rate-limit table in docs/API.md: (count, period)."""
    row = re.search(r"^\| `advisor` \| (\d+)/(minute) \|", API_MD.read_text(encoding="utf-8"), re.MULTILINE)
    assert row is not None, "docs/API.md lists no advisor limit"
    return int(row.group(1)), row.group(2)


async def spend(ask: Callable[[], Awaitable[Any]], allowed: int) -> Any:
    """``allowed`` answers, then the refusal. A window counts per wall-clock minute: when the requests straddle a
    minute boundary (a busy machine), the caller tries again with a fresh client instead (returns None)."""
    started = time.time()
    for i in range(allowed):
        r = await ask()
        assert r.status == 200, (i, await r.text())
    refused = await ask()
    if refused.status == 200 and int(time.time() // 60) != int(started // 60):
        return None
    return refused


def assert_refused(r: Any) -> None:
    assert r is not None and r.status == 429 and r.content_type == "application/problem+json"
    assert 1 <= int(r.headers["Retry-After"]) <= 60


async def test_the_advisor_keeps_the_documented_limit(tmp_path: Path) -> None:
    count, period = documented()
    assert RULES["advisor"].default == f"{count}/{period}"
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'vrstore.db'}", forwarded_hops=1)
    async with running_client(settings) as client:
        t = await make_tenant(client, settings)
        await add_products(settings, t.store, [("A", 1000, 5)])
        body = {"message": "과자 추천", "store": t.store}

        refused = None
        while refused is None:  # per session
            token, _ = await new_shopper(client, "asker")
            refused = await spend(lambda token=token: client.post(  # type: ignore[misc]
                "/api/v1/advisor", json=body, headers=bearer(token)), count)
        assert_refused(refused)
        assert (await refused.json())["type"].endswith("/rate-limited")
        other, _ = await new_shopper(client, "other")
        assert (await client.post("/api/v1/advisor", json=body, headers=bearer(other))).status == 200

        refused, n = None, 0
        while refused is None:  # without a session: per address (the one the proxy appended)
            n += 1
            address = {"X-Forwarded-For": f"10.0.0.{n}"}
            refused = await spend(lambda address=address: client.post(  # type: ignore[misc]
                "/api/v1/advisor", json=body, headers=address), count)
        assert_refused(refused)
        assert (await client.post("/api/v1/advisor", json=body, headers={"X-Forwarded-For": "10.0.1.1"})).status == 200
