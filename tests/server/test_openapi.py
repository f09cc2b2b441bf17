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


async def test_parameters_state_the_rules_the_server_applies(sqlite_client: TestClient[Any, Any]) -> None:
    """Query parameters carry their model's own schema (a string "limit" would invite limit=abc), and the headers
    handlers require are declared, so that a client, or a fuzzer, can send what the server takes."""
    doc = await (await sqlite_client.get("/api/v1/openapi.json")).json()
    products = {p["name"]: p for p in doc["paths"]["/api/v1/stores/{store}/products"]["get"]["parameters"]}
    assert products["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}
    assert products["after"]["schema"]["pattern"].endswith("|214748364[0-7])$")
    orders = {p["name"]: p for p in doc["paths"]["/api/v1/stores/{store}/orders"]["get"]["parameters"]}
    assert orders["before"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    checkout = doc["paths"]["/api/v1/carts/{cart}/checkout"]["post"]["parameters"]
    key = next(p for p in checkout if p["name"] == "Idempotency-Key")
    assert key["in"] == "header" and key["required"] and key["schema"]["pattern"] == "^[!-~]{1,255}$"
    # Request bodies say what the server refuses: control characters in text, numbers out of bounds.
    session = doc["components"]["schemas"]["SessionCreate"]["properties"]["display_name"]
    # … and a required text with nothing but spaces, which the server strips to nothing.
    assert session["pattern"] == "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"

    def keys(node: Any) -> set[str]:
        if isinstance(node, dict):
            return set(node) | set().union(*(keys(v) for v in node.values()))
        return set().union(*(keys(v) for v in node)) if isinstance(node, list) else set()

    # pydantic writes a bound given outside a validated type as "ge"/"le", which JSON Schema does not know.
    assert not keys(doc["components"]["schemas"]) & {"ge", "le", "gt", "lt"}
