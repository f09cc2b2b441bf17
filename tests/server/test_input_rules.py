"""The rules every request body follows (docs/API.md, Conventions): JSON numbers only where a number is asked
for, no control characters in text, times as ISO 8601 strings with an offset."""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import add_products, bearer, make_tenant
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from server.contracts.carts import Delivery
from server.contracts.foundation import CONTROL_CHARACTERS, JSON_NUMBER, LINES, ONE_LINE
from server.http.registry import api
from server.services.checkout import fulfilment_from_json
from server.settings import Settings

PROBLEM = "application/problem+json"


async def _problem(response: Any) -> dict[str, Any]:
    assert response.content_type == PROBLEM, await response.text()
    return dict(await response.json(content_type=PROBLEM))


def _locs(problem: dict[str, Any]) -> list[list[Any]]:
    return [e["loc"] for e in problem["errors"]]


@pytest.mark.parametrize("value", [True, False, "5", "1e3", 5.5, None, [5]])
async def test_money_and_quantities_take_json_numbers_only(
    client: TestClient[Any, Any], settings: Settings, value: Any
) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 5)])
    for field in ("price", "stock", *(("sale_price",) if value is not None else ())):  # null clears a sale price
        r = await client.patch(f"/api/v1/stores/{t.store}/products/A", json={field: value},
                               headers=bearer(t.merchant))
        assert r.status == 422, (field, await r.text())
        assert _locs(await _problem(r)) == [["body", field]]
    r = await client.post("/api/v1/carts", headers=bearer(t.shopper))
    cart = (await r.json())["id"]
    r = await client.post(f"/api/v1/carts/{cart}/lines", json={"store": t.store, "sku": "A", "quantity": value},
                          headers=bearer(t.shopper))
    assert r.status == 422 and _locs(await _problem(r)) == [["body", "quantity"]]
    if value is not None:  # null clears the cap
        r = await client.patch("/api/v1/festivals/fest", json={"visitor_cap": value}, headers=bearer(t.organizer))
        assert r.status == 422 and _locs(await _problem(r)) == [["body", "visitor_cap"]]
    r = await client.put("/api/v1/festivals/fest/discounts", json={"rules": [{"percent": value}]},
                         headers=bearer(t.organizer))
    assert r.status == 422 and _locs(await _problem(r)) == [["body", "rules", 0, "percent"]]
    # Nothing of the above reached the product.
    product = await (await client.get(f"/api/v1/stores/{t.store}/products/A")).json()
    assert (product["price"], product["sale_price"], product["stock"]) == (1000, None, 5)


async def test_a_number_is_still_a_number(client: TestClient[Any, Any], settings: Settings) -> None:
    """JSON has one number type: 7.0 is the whole number 7 (as JSON Schema's "integer" says), 7.5 is not."""
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 5)])
    r = await client.patch(f"/api/v1/stores/{t.store}/products/A", json={"stock": 7.0, "price": 900},
                           headers=bearer(t.merchant))
    assert r.status == 200, await r.text()
    assert (await r.json())["stock"] == 7
    r = await client.patch(f"/api/v1/stores/{t.store}/products/A", json={"stock": 7.5}, headers=bearer(t.merchant))
    assert r.status == 422 and "fractional" in (await _problem(r))["errors"][0]["msg"]


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\x9b", "\n", "\t"])
async def test_control_characters_in_text_are_refused_naming_the_field(
    client: TestClient[Any, Any], settings: Settings, bad: str
) -> None:
    r = await client.post("/api/v1/sessions", json={"display_name": f"민{bad}지"})
    problem = await _problem(r)
    assert r.status == 422 and _locs(problem) == [["body", "display_name"]]
    assert "control character" in problem["errors"][0]["msg"]
    assert f"U+{ord(bad[0]):04X} at position 1" in problem["errors"][0]["msg"]

    t = await make_tenant(client, settings)
    body = {"slug": "shop2", "name_ko": "가게", "name_en": f"Sh{bad}op", "kind": "brand_shop"}
    r = await client.post("/api/v1/stores", json=body, headers=bearer(t.merchant))
    assert r.status == 422 and _locs(await _problem(r)) == [["body", "name_en"]]
    r = await client.post("/api/v1/festivals/fest/merchants", json={"name": "m", "contact_email": f"a{bad}@b.kr"},
                          headers=bearer(t.organizer))
    assert r.status == 422 and _locs(await _problem(r)) == [["body", "contact_email"]]


async def test_line_breaks_are_allowed_where_text_has_lines(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    body = {"mode": "paused", "message_ko": "잠시 후\n다시 열립니다", "message_en": "Back soon.\r\n\tThanks"}
    r = await client.put("/api/v1/festivals/fest/queue", json=body, headers=bearer(t.organizer))
    assert r.status == 200, await r.text()
    r = await client.put("/api/v1/festivals/fest/queue", json={**body, "message_en": "Back\x00soon"},
                         headers=bearer(t.organizer))
    assert r.status == 422 and _locs(await _problem(r)) == [["body", "message_en"]]


@pytest.mark.parametrize("slot", [0, 1_900_000_000, True, "1900000000", "0001-01-01T00:00:00+23:59",
                                  "9999-12-31T23:59:59-23:59"])
async def test_times_are_iso_strings_not_numbers(client: TestClient[Any, Any], settings: Settings, slot: Any) -> None:
    """A number is no time, and neither is one that leaves the calendar once in UTC (it was a 500: it could not be
    stored)."""
    t = await make_tenant(client, settings)
    r = await client.patch("/api/v1/festivals/fest", json={"starts_at": slot}, headers=bearer(t.organizer))
    assert r.status == 422 and _locs(await _problem(r)) == [["body", "starts_at"]]


async def test_null_only_where_there_is_something_to_clear(client: TestClient[Any, Any], settings: Settings) -> None:
    """A sale price or the visitor cap can be cleared with null; a price, a stock or a name cannot, and the schema
    offers null only where the server takes it."""
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 5)])
    for field in ("price", "stock"):
        r = await client.patch(f"/api/v1/stores/{t.store}/products/A", json={field: None}, headers=bearer(t.merchant))
        problem = await _problem(r)
        assert r.status == 422 and _locs(problem) == [["body", field]] and "not null" in problem["errors"][0]["msg"]
    r = await client.patch(f"/api/v1/stores/{t.store}/products/A", json={"sale_price": None},
                           headers=bearer(t.merchant))
    assert r.status == 200
    for field in ("name_ko", "timezone", "instance_capacity"):
        r = await client.patch("/api/v1/festivals/fest", json={field: None}, headers=bearer(t.organizer))
        assert r.status == 422 and _locs(await _problem(r)) == [["body", field]]
    r = await client.patch("/api/v1/festivals/fest", json={"visitor_cap": None, "timezone": "Europe/Paris"},
                           headers=bearer(t.organizer))
    assert r.status == 200 and (await r.json())["timezone"] == "Europe/Paris"
    schema = (await (await client.get("/api/v1/openapi.json")).json())["components"]["schemas"]
    assert schema["ProductPatch"]["properties"]["price"]["type"] == "integer"  # no null on offer
    assert {"type": "null"} in schema["ProductPatch"]["properties"]["sale_price"]["anyOf"]


def test_what_was_stored_before_the_rules_still_reads() -> None:
    """An order's fulfilment is read back through the request model: an address stored before control characters
    were refused must not make the order unreadable (a 500 on every order list of that store)."""
    stored = ('{"type": "delivery", "address": {"name": "김\\u0000민지", "phone": "010-1234-5678", '
              '"line1": "세종대로\\u001b 110", "city": "서울", "postal_code": "04524"}}')
    fulfilment = fulfilment_from_json(stored)
    assert isinstance(fulfilment, Delivery) and fulfilment.address.name == "김\x00민지"
    with pytest.raises(ValidationError):  # as a request it is refused
        Delivery.model_validate_json(stored)


def _request_models() -> set[type[BaseModel]]:
    """Every model a request body or query is validated with, with the models nested in them."""
    found: set[type[BaseModel]] = set()

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in found:
            found.add(annotation)
            for field in annotation.model_fields.values():
                visit(field.annotation)
        for arg in typing.get_args(annotation):
            visit(arg)

    import server.http.handlers.carts
    import server.http.handlers.foundation
    import server.http.handlers.fulfilment
    import server.http.handlers.merchant
    import server.http.handlers.order_groups
    import server.http.handlers.organizer
    import server.http.handlers.queue  # noqa: F401 - importing a handler module registers its operations

    for op in api.operations:
        visit(op.body)
    return found


def _base_types(annotation: Any) -> set[Any]:
    """``int`` for ``Annotated[int, …] | None``: the plain types a field's annotation allows."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _base_types(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return set().union(*(_base_types(arg) for arg in typing.get_args(annotation)))
    return {annotation}


def _metadata(field: FieldInfo) -> list[Any]:
    """The field's constraints, including those inside ``Annotated`` members of an optional type."""
    found = list(field.metadata)
    for arg in typing.get_args(field.annotation):
        if typing.get_origin(arg) is typing.Annotated:
            for meta in typing.get_args(arg)[1:]:
                found += [meta, *getattr(meta, "metadata", [])]
    return found


def _strict(field: FieldInfo) -> bool:
    return any(m is JSON_NUMBER for m in _metadata(field))


def _text_rule(field: FieldInfo) -> bool:
    """The field refuses control characters: ONE_LINE or LINES, or a pattern that leaves them out (one that lists
    what it allows, or one that names them in what it excludes)."""
    if any(m is ONE_LINE or m is LINES for m in _metadata(field)):
        return True
    patterns = [p for p in (getattr(m, "pattern", None) for m in _metadata(field)) if p]
    return any("[^" not in p or CONTROL_CHARACTERS in p for p in patterns)


def test_every_request_body_field_follows_the_rules() -> None:
    """One guard for all of them: a new integer field that forgets to be strict, or a new text field that forgets
    the control-character rule, fails here rather than in production."""
    lax: list[str] = []
    for model in _request_models():
        for name, field in model.model_fields.items():
            where = f"{model.__name__}.{name}"
            kinds = _base_types(field.annotation)
            if int in kinds and not _strict(field):
                lax.append(f"{where}: int that is not a Whole")
            if str in kinds and not _text_rule(field):
                lax.append(f"{where}: str without the control-character rule")
    assert lax == []
    assert len(_request_models()) > 15  # the walk found the body models
