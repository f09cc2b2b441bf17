"""Cross-site request forgery: a state-changing request that rides on the shopper's session cookie must come
from one of the festival's own pages (its Origin, or failing that Sec-Fetch-Site); bearer calls are untouched."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import bearer, make_tenant

from server.auth import SESSION_COOKIE
from server.http.registry import api
from server.settings import Settings

PROBLEM = "application/problem+json"
EVIL = "https://evil.example"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _cookie(token: str) -> dict[str, str]:
    # Sent as a header so that each request states its credentials (the test client's jar is not involved).
    return {"Cookie": f"{SESSION_COOKIE}={token}"}


async def test_a_cookie_post_from_a_foreign_origin_is_refused_and_changes_nothing(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    t = await make_tenant(client, settings)
    r = await client.post("/api/v1/carts", headers={**_cookie(t.shopper), "Origin": EVIL})
    assert r.status == 403 and r.content_type == PROBLEM
    body = await r.json(content_type=PROBLEM)
    assert body["type"].endswith("/forbidden") and EVIL in body["detail"]
    # Nothing was created: the next cart is the first one (ids are sequential).
    r = await client.post("/api/v1/carts", headers=bearer(t.shopper))
    assert (await r.json())["id"] == 1


@pytest.mark.parametrize("headers", [
    {"Origin": "http://127.0.0.1:8080"},            # one of Settings.allowed_origins
    {"Sec-Fetch-Site": "same-origin"},              # no Origin: the browser's own word that it is same-origin
    {"Sec-Fetch-Site": "none"},                     # typed by the user (no page involved)
])
async def test_a_cookie_post_from_an_allowed_origin_goes_through(
    client: TestClient[Any, Any], settings: Settings, headers: dict[str, str]
) -> None:
    t = await make_tenant(client, settings)
    r = await client.post("/api/v1/carts", headers={**_cookie(t.shopper), **headers})
    assert r.status == 201, await r.text()


async def test_the_host_header_does_not_make_an_origin_our_own(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    """As on the live socket: only the configured origins count (a domain pointed at us sets Host to itself)."""
    t = await make_tenant(client, settings)
    r = await client.post("/api/v1/carts", headers={**_cookie(t.shopper), "Origin": "http://attacker.example",
                                                    "Host": "attacker.example"})
    assert r.status == 403


@pytest.mark.parametrize("headers", [
    {},                                             # neither header: not a page of ours
    {"Origin": "null"},                             # sandboxed frame, data: URL, …
    {"Sec-Fetch-Site": "same-site"},                # a sibling origin (another port or subdomain)
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://127.0.0.1:8080.evil.example"},
])
async def test_a_cookie_post_without_a_trusted_origin_is_refused(
    client: TestClient[Any, Any], settings: Settings, headers: dict[str, str]
) -> None:
    t = await make_tenant(client, settings)
    r = await client.post("/api/v1/carts", headers={**_cookie(t.shopper), **headers})
    assert r.status == 403 and r.content_type == PROBLEM


async def test_bearer_calls_and_cookie_reads_are_not_affected(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    r = await client.post("/api/v1/carts", headers={**bearer(t.shopper), "Origin": EVIL})
    assert r.status == 201
    # With both, the bearer token is what authenticates (server.auth), so the cookie is not what is at stake.
    r = await client.post("/api/v1/carts", headers={**bearer(t.shopper), **_cookie(t.shopper), "Origin": EVIL})
    assert r.status == 201
    r = await client.get("/api/v1/sessions/current", headers={**_cookie(t.shopper), "Origin": EVIL})
    assert r.status == 200
    # No cookie, no session to ride on: a new visitor may start one from anywhere the browser lets it.
    r = await client.post("/api/v1/sessions", json={"display_name": "x"}, headers={"Origin": EVIL})
    assert r.status == 201


async def test_every_state_changing_route_checks_the_origin(sqlite_client: TestClient[Any, Any]) -> None:
    # The client's app filled the registry (create_app imports every handler module).
    unsafe = [op for op in api.operations if op.method in UNSAFE]
    assert len(unsafe) > 20
    for op in unsafe:
        path = re.sub(r"\{[^}]+\}", "1", op.path)
        r = await sqlite_client.request(op.method, path, headers={**_cookie("vrs_whatever"), "Origin": EVIL})
        assert r.status == 403 and r.content_type == PROBLEM, (op.method, op.path, r.status)
