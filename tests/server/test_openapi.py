"""The OpenAPI document is generated from the handlers' models and validates as OpenAPI 3.1."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate

from server.http.registry import api


async def test_openapi_document_validates(sqlite_client: TestClient[Any, Any]) -> None:
    r = await sqlite_client.get("/api/v1/openapi.json")
    assert r.status == 200
    doc = await r.json()
    assert doc["openapi"] == "3.1.0"
    validate(doc)
    operations = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    assert ("POST", "/api/v1/festivals/{festival}/merchants") in operations
    assert len(operations) == len(api.operations)
    invite = doc["paths"]["/api/v1/festivals/{festival}/merchants"]["post"]
    assert invite["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/MerchantCreate")
    assert {"401", "403", "404", "422"} <= set(invite["responses"])


async def test_docs_page_is_served(sqlite_client: TestClient[Any, Any]) -> None:
    r = await sqlite_client.get("/api/docs")
    assert r.status == 200 and "openapi.json" in await r.text()


async def test_health_and_readiness(sqlite_client: TestClient[Any, Any]) -> None:
    assert (await sqlite_client.get("/healthz")).status == 200
    ready = await sqlite_client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["database"] == "ok"
