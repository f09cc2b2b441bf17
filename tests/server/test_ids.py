"""Ids in paths: one parser; a malformed id (non-ASCII digits, signs, huge numbers) is a 404, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import bearer, make_tenant

from server.ids import MAX_DB_ID, parse_db_id
from server.settings import Settings


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", 1), ("42", 42), (str(MAX_DB_ID), MAX_DB_ID),
    ("0", None), (str(MAX_DB_ID + 1), None), ("99999999999", None), ("", None), ("-1", None), ("+1", None),
    (" 1", None), ("1 ", None), ("1.0", None), ("0x1", None), ("³", None), ("①", None), ("١٢", None),
    ("１２", None), ("1\n", None),
])
def test_parse_db_id_takes_ascii_digits_in_range_only(raw: str, expected: int | None) -> None:
    assert parse_db_id(raw) == expected


BAD_IDS = ["%C2%B3", "%E2%91%A0", "-1", "0", "99999999999", "1.5"]


async def test_no_malformed_id_in_a_path_is_a_server_error(sqlite_client: TestClient[Any, Any],
                                                             sqlite_settings: Settings) -> None:
    t = await make_tenant(sqlite_client, sqlite_settings)
    shopper, merchant, organizer = bearer(t.shopper), bearer(t.merchant), bearer(t.organizer)
    r = await sqlite_client.post("/api/v1/carts", headers=shopper)
    assert r.status == 201, await r.text()
    cart = (await r.json())["id"]
    for bad in BAD_IDS:
        calls = [
            ("GET", f"/api/v1/carts/{bad}", shopper, None),
            ("POST", f"/api/v1/carts/{bad}/share_code", shopper, None),
            ("POST", f"/api/v1/carts/{bad}/lines", shopper, {"store": t.store, "sku": "X", "quantity": 1}),
            ("PATCH", f"/api/v1/carts/{cart}/lines/{bad}", shopper, {"quantity": 1}),
            ("DELETE", f"/api/v1/carts/{bad}/lines/1", shopper, None),
            ("GET", f"/api/v1/orders/{bad}", shopper, None),
            ("POST", f"/api/v1/orders/{bad}/status", merchant, {"status": "shipped"}),
            ("POST", f"/api/v1/festivals/{t.festival}/merchants/{bad}/token", organizer, None),
        ]
        for method, path, auth, body in calls:
            r = await sqlite_client.request(method, path, headers=auth, json=body)
            assert r.status == 404, (method, path, r.status, await r.text())
            assert r.content_type == "application/problem+json"


@pytest.mark.parametrize("if_match", ["³", '"①"', 'W/"٣"', "abc", "-1"])
async def test_an_if_match_that_is_no_version_is_a_400(if_match: str, sqlite_client: TestClient[Any, Any],
                                                        sqlite_settings: Settings) -> None:
    t = await make_tenant(sqlite_client, sqlite_settings)
    r = await sqlite_client.post("/api/v1/carts", headers=bearer(t.shopper))
    cart = (await r.json())["id"]
    for method, path in (("POST", f"/api/v1/carts/{cart}/lines"), ("PATCH", f"/api/v1/carts/{cart}/lines/1"),
                         ("DELETE", f"/api/v1/carts/{cart}/lines/1")):
        body = {"store": t.store, "sku": "X", "quantity": 1} if method == "POST" else {"quantity": 1}
        r = await sqlite_client.request(method, path, headers={**bearer(t.shopper), "If-Match": if_match},
                                        json=None if method == "DELETE" else body)
        assert r.status == 400, (method, await r.text())
