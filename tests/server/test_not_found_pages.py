"""Friendly 404s: a browser that asks for a page we do not have gets a small page in Korean and English with a
way back to the lobby; an unknown store's address gets the store's version of it; API clients keep problem+json."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from factories import bearer, make_tenant

from server.settings import Settings

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PROBLEM = "application/problem+json"
PAGE_NOT_FOUND = ("페이지를 찾을 수 없습니다", "Page not found")
STORE_NOT_FOUND = ("이 매장을 찾을 수 없습니다", "Store not found")


async def _page(client: TestClient[Any, Any], path: str, **headers: str) -> str:
    r = await client.get(path, headers={**BROWSER, **headers})
    assert r.status == 404, path
    assert r.content_type == "text/html" and r.charset == "utf-8", path
    assert "Content-Security-Policy" in r.headers and r.headers["X-Content-Type-Options"] == "nosniff"
    html = await r.text()
    assert '<html lang="ko">' in html and 'lang="en"' in html, path
    assert 'href="/"' in html, "a way back to the lobby"
    return html


async def test_a_browser_gets_a_page_for_an_unknown_address(sqlite_client: TestClient[Any, Any]) -> None:
    for path in ("/nope", "/festival/nope", "/orders/not-a-number", "/web/nope.js", "/store/bad%20slug"):
        html = await _page(sqlite_client, path)
        if path.startswith("/store/"):
            assert all(text in html for text in STORE_NOT_FOUND), path
        else:
            assert all(text in html for text in PAGE_NOT_FOUND), path
            assert STORE_NOT_FOUND[0] not in html, path
    # Korean first: the Korean heading comes before the English one.
    html = await _page(sqlite_client, "/nope")
    assert html.index(PAGE_NOT_FOUND[0]) < html.index(PAGE_NOT_FOUND[1])
    head = await sqlite_client.head("/nope", headers=BROWSER)
    assert head.status == 404 and head.content_type == "text/html"


async def test_api_clients_keep_problem_json(sqlite_client: TestClient[Any, Any]) -> None:
    for path, headers in (("/api/v1/nowhere", BROWSER), ("/api/v1/festivals/nope", BROWSER), ("/nope", {}),
                          ("/nope", {"Accept": "application/json"}), ("/store/does-not-exist", {"Accept": "*/*"})):
        r = await sqlite_client.get(path, headers=headers)
        assert r.status == 404 and r.content_type == PROBLEM, (path, headers)
        assert (await r.json(content_type=PROBLEM))["type"].endswith("/not-found")
    # Only a page is turned into a page: a form post to an unknown address stays a problem.
    r = await sqlite_client.post("/nope", headers=BROWSER, data=b"")
    assert r.status in (403, 404, 405) and r.content_type == PROBLEM


async def test_the_store_page_is_only_for_a_store_shoppers_may_visit(client: TestClient[Any, Any],
                                                                       settings: Settings) -> None:
    tenant = await make_tenant(client, settings)
    r = await client.get(f"/store/{tenant.store}", headers=BROWSER)
    assert r.status == 200 and 'id="progress"' in await r.text()
    assert (await client.get("/store/plaza", headers=BROWSER)).status == 200  # the festival plaza, not a store
    html = await _page(client, "/store/does-not-exist")
    assert all(text in html for text in STORE_NOT_FOUND)
    assert "main.js" not in html and "progressbar" not in html, "no empty store page behind it"
    # A suspended store is closed to shoppers: its address says so, as the API does.
    r = await client.put(f"/api/v1/stores/{tenant.store}/status", json={"status": "suspended"},
                         headers=bearer(tenant.organizer))
    assert r.status == 200
    html = await _page(client, f"/store/{tenant.store}")
    assert all(text in html for text in STORE_NOT_FOUND)

