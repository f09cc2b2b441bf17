"""What the live endpoint checks before and right after the upgrade (issue 16): the Origin against the configured
origins only, a suspended store's 409, and a ``hello`` whose ``group`` no id column could hold."""

from __future__ import annotations

import base64
import logging
import os
from typing import TYPE_CHECKING

import pytest
from factories import bearer

from server.live.client import LiveClient

if TYPE_CHECKING:
    from conftest import Mall


def upgrade_headers(token: str, origin: str, host: str | None = None) -> dict[str, str]:
    """A browser's WebSocket handshake (RFC 6455 §4.1)."""
    headers = {**bearer(token), "Origin": origin, "Connection": "Upgrade", "Upgrade": "websocket",
               "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()}
    return headers if host is None else {**headers, "Host": host}


async def test_the_origin_must_be_configured_whatever_the_host_header_says(mall: Mall) -> None:
    t = mall.tenant
    path = f"/api/v1/live?store={t.store}"
    # A page on evil.example whose request also names evil.example as its Host: "same origin" by the Host header.
    r = await mall.client.get(path, headers=upgrade_headers(t.shopper, "http://evil.example", "evil.example"))
    assert r.status == 403 and r.content_type == "application/problem+json"
    assert "evil.example" in (await r.json())["detail"]
    # The server's own address is no exception: only VRSTORE_ALLOWED_ORIGINS opens the socket.
    own = f"http://{mall.client.host}:{mall.client.port}"
    r = await mall.client.get(path, headers=upgrade_headers(t.shopper, own))
    assert r.status == 403 and r.content_type == "application/problem+json"
    allowed = await LiveClient.connect(mall.url, t.store, t.shopper, origin="http://localhost:8080")
    await allowed.close()


async def test_a_suspended_stores_live_join_answers_409_and_an_unapproved_one_404(mall: Mall) -> None:
    t, client = mall.tenant, mall.client
    r = await client.post("/api/v1/stores", json={"slug": "later", "name_ko": "나중", "name_en": "Later",
                                                  "kind": "convenience_store"}, headers=bearer(t.merchant))
    assert r.status == 201, await r.text()
    r = await client.get("/api/v1/live?store=later", headers=bearer(t.shopper))
    assert r.status == 404 and r.content_type == "application/problem+json"  # pending: nothing to enter yet
    r = await client.put(f"/api/v1/stores/{t.store}/status", json={"status": "suspended"}, headers=bearer(t.organizer))
    assert r.status == 200, await r.text()
    r = await client.get(f"/api/v1/live?store={t.store}", headers=bearer(t.shopper))
    assert r.status == 409 and r.content_type == "application/problem+json"
    assert (await r.json())["type"].endswith("/conflict")
    r = await client.put(f"/api/v1/stores/{t.store}/status", json={"status": "approved"}, headers=bearer(t.organizer))
    assert r.status == 200
    back = await LiveClient.connect(mall.url, t.store, t.shopper)
    await back.close()


@pytest.mark.parametrize("group", ["1" * 30, "9" * 11, "2147483648", "0"])
async def test_a_hello_with_a_group_no_cart_can_have_joins_without_one(
    mall: Mall, group: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Such a group once reached the database as an integer and overflowed (a traceback after the upgrade)."""
    with caplog.at_level(logging.ERROR):
        c = await LiveClient.connect(mall.url, mall.tenant.store, mall.tenant.shopper, group=group)
        try:
            assert c.welcome["you"].get("group") is None  # not a member of any such cart: placed alone
            await c.send({"type": "ping", "t": 1.0})
            await c.wait_for(lambda c: bool(c.of_type("pong")))
        finally:
            await c.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
