"""A 405 lists in ``Allow`` exactly the methods its path supports (schemathesis found ``/carts/join`` wrong)."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from aiohttp.test_utils import TestClient

from server.http.registry import api

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allowed(response: Any) -> set[str]:
    return {m.strip() for m in response.headers["Allow"].split(",") if m.strip()}


async def test_carts_join_allows_only_post(sqlite_client: TestClient[Any, Any]) -> None:
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        r = await sqlite_client.request(method, "/api/v1/carts/join")
        assert r.status == 405 and r.content_type == "application/problem+json", method
        assert _allowed(r) == {"POST"}, method


async def test_every_path_answers_405_with_its_own_methods(sqlite_client: TestClient[Any, Any]) -> None:
    # The client's app filled the registry (create_app imports every handler module).
    by_path: dict[str, set[str]] = defaultdict(set)
    for op in api.operations:
        by_path[op.path].add(op.method)
    for template, methods in by_path.items():
        path = re.sub(r"\{[^}]+\}", "1", template)
        for method in set(METHODS) - methods:
            r = await sqlite_client.request(method, path)
            assert r.status == 405, (method, template, r.status)
            assert _allowed(r) == methods, (method, template)


async def test_a_cart_id_that_is_not_a_number_is_simply_not_found(sqlite_client: TestClient[Any, Any]) -> None:
    for path in ("/api/v1/carts/abc", "/api/v1/carts/abc/lines", "/api/v1/carts/%E2%91%A0"):
        r = await sqlite_client.get(path)
        assert r.status in (404, 405) and r.content_type == "application/problem+json", path
