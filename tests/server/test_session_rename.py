"""A shopper changes the display name its session was started with (the store page's "Change name")."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from factories import bearer, make_tenant

from server.settings import Settings


async def test_a_shopper_renames_its_session(client: TestClient[Any, Any]) -> None:
    r = await client.post("/api/v1/sessions", json={"display_name": "빨간 여우 12", "locale": "ko"})
    assert r.status == 201
    same_site = {"Sec-Fetch-Site": "same-origin"}  # as the store page's own request (the cookie is the session)
    r = await client.patch("/api/v1/sessions/current", json={"display_name": "민지"}, headers=same_site)
    assert r.status == 200, await r.text()
    assert (await r.json())["display_name"] == "민지"
    me = await (await client.get("/api/v1/sessions/current")).json()
    assert me["session"]["display_name"] == "민지"


async def test_a_rename_follows_the_session_rules(client: TestClient[Any, Any], settings: Settings) -> None:
    tenant = await make_tenant(client, settings, "fest")
    for bad in ("", "x" * 41, "줄\n바꿈"):
        r = await client.patch("/api/v1/sessions/current", json={"display_name": bad}, headers=bearer(tenant.shopper))
        assert r.status == 422, bad
        assert r.content_type == "application/problem+json"
    for other in (tenant.merchant, tenant.organizer):  # only a shopper has a display name
        r = await client.patch("/api/v1/sessions/current", json={"display_name": "x"}, headers=bearer(other))
        assert r.status == 403
    assert (await client.patch("/api/v1/sessions/current", json={"display_name": "x"})).status == 401
