"""Every error is application/problem+json with a stable type."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from factories import bearer, make_tenant, running_client

from server import keys
from server.settings import Settings

PROBLEM = "application/problem+json"


async def test_unknown_route_is_a_404_problem(client: TestClient[Any, Any]) -> None:
    r = await client.get("/api/v1/nowhere")
    assert r.status == 404 and r.content_type == PROBLEM
    body = await r.json(content_type=PROBLEM)
    assert body["type"].endswith("/not-found") and body["status"] == 404 and body["title"]


async def test_wrong_method_is_a_405_problem_with_allow(client: TestClient[Any, Any]) -> None:
    r = await client.delete("/api/v1/festivals/x")
    assert r.status == 405 and r.content_type == PROBLEM
    assert "GET" in r.headers["Allow"]


async def test_malformed_json_is_400(client: TestClient[Any, Any]) -> None:
    r = await client.post("/api/v1/sessions", data=b'{"display_name": ', headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.content_type == PROBLEM
    assert (await r.json(content_type=PROBLEM))["type"].endswith("/bad-request")


async def test_wrong_types_list_each_bad_field(client: TestClient[Any, Any]) -> None:
    r = await client.post("/api/v1/sessions", json={"display_name": 5, "locale": "xx", "extra": 1})
    assert r.status == 422
    body = await r.json(content_type=PROBLEM)
    locs = sorted(tuple(e["loc"]) for e in body["errors"])
    assert locs == [("body", "display_name"), ("body", "extra"), ("body", "locale")]
    assert all(e["msg"] for e in body["errors"])


async def test_wrong_content_type_is_415(client: TestClient[Any, Any]) -> None:
    r = await client.post("/api/v1/sessions", data="display_name=x", headers={"Content-Type": "text/plain"})
    assert r.status == 415 and r.content_type == PROBLEM


async def test_oversize_body_is_413(client: TestClient[Any, Any], settings: Settings) -> None:
    big = b'{"display_name": "' + b"x" * (settings.max_json_bytes + 10) + b'"}'
    r = await client.post("/api/v1/sessions", data=io.BytesIO(big), headers={"Content-Type": "application/json"})
    assert r.status == 413 and r.content_type == PROBLEM


async def test_semantic_validation_points_at_the_field(client: TestClient[Any, Any], settings: Settings) -> None:
    tenant = await make_tenant(client, settings)
    r = await client.patch("/api/v1/festivals/fest", json={"timezone": "Mars/Olympus"},
                           headers=bearer(tenant.organizer))
    assert r.status == 422
    assert (await r.json(content_type=PROBLEM))["errors"][0]["loc"] == ["body", "timezone"]
    r = await client.patch("/api/v1/festivals/fest", json={"starts_at": "2026-12-01T00:00:00+09:00",
                                                           "ends_at": "2026-11-01T00:00:00+09:00"},
                           headers=bearer(tenant.organizer))
    assert r.status == 422


async def test_duplicate_store_slug_is_409(client: TestClient[Any, Any], settings: Settings) -> None:
    tenant = await make_tenant(client, settings)
    body = {"slug": "fest-store", "name_ko": "가", "name_en": "A", "kind": "brand_shop"}
    r = await client.post("/api/v1/stores", json=body, headers=bearer(tenant.merchant))
    assert r.status == 409 and r.content_type == PROBLEM


async def test_unexpected_exception_is_500_with_logged_id(
    sqlite_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret internal detail")

    from server.app import create_app

    app = create_app(sqlite_settings)
    app.router.add_get("/boom", boom)
    from aiohttp.test_utils import TestServer

    async with TestClient(TestServer(app)) as c:
        with caplog.at_level(logging.ERROR, logger="vrstore.errors"):
            r = await c.get("/boom")
        assert r.status == 500 and r.content_type == PROBLEM
        body = await r.json(content_type=PROBLEM)
        text = await r.text()
    assert "secret internal detail" not in text and "Traceback" not in text
    assert body["error_id"] in caplog.text
    assert keys.METRICS in app


async def test_metrics_count_requests_by_route_and_status(sqlite_settings: Settings) -> None:
    async with running_client(sqlite_settings) as c:
        await c.get("/api/v1/festivals/nope")
        text = await (await c.get("/metrics")).text()
    assert 'vrstore_http_requests_total{method="GET",route="/api/v1/festivals/{festival}",status="404"} 1.0' in text
    assert "vrstore_http_request_seconds_bucket" in text
