"""Recommendations: products looked at and bought together, popular now in a store with the shopper's own shelf,
and the shopper's choice to turn personalisation off (docs/API.md, Recommendations; docs/ANALYTICS.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from server import keys
from server.contracts import recommend as cr
from server.domain.errors import Unprocessable
from server.http.registry import api
from server.http.routing import Call
from server.keys import database_of
from server.services import recommend

S = "/api/v1/stores/{store}"
PERSONALISE_HEADER = "X-Vrstore-Personalise"  # "off": this answer is not personalised (docs/API.md)


def asks_not_to_personalise(request: web.Request) -> bool:
    value = request.headers.get(PERSONALISE_HEADER)
    if value is not None and value not in ("on", "off"):
        raise Unprocessable(f"{PERSONALISE_HEADER} must be on or off",
                            errors=[{"loc": ["header", PERSONALISE_HEADER], "msg": "expected on or off"}])
    return value == "off"


@api.op("GET", S + "/products/{sku}/recommendations", summary="Products shoppers looked at or bought with this "
        "one (pairs made by at least 5 shoppers)", tag="recommendations", query=cr.RecommendQuery,
        response=cr.Recommendations)
async def get_recommendations(call: Call[None, cr.RecommendQuery]) -> cr.Recommendations:
    return await recommend.recommendations(database_of(call.request), call.path("store"), call.path("sku"),
                                           call.query.limit, datetime.now(UTC))


@api.op("GET", S + "/popular", summary="Popular now in the store (the last hour), and the shopper's own shelf from "
        "this visit's looks", tag="recommendations", query=cr.RecommendQuery, response=cr.Popular)
async def get_popular(call: Call[None, cr.RecommendQuery]) -> cr.Popular:
    database = database_of(call.request)
    recorder = call.request.app.get(keys.RECOMMEND)
    session = call.principal.session_id if call.principal is not None else None
    off = asks_not_to_personalise(call.request)
    looks = None
    if recorder is not None and session is not None and not off and await recommend.personalised(database, session):
        looks = recorder.visits.recent(session, datetime.now(UTC).timestamp())
    return await recommend.popular(database, call.path("store"), call.query.limit, datetime.now(UTC), looks)


@api.op("GET", "/api/v1/sessions/current/personalisation", summary="Whether recommendations may use this "
        "session's own looks, cart lines and orders", tag="recommendations", response=cr.Personalisation,
        roles=("shopper",))
async def get_personalisation(call: Call[None, None]) -> cr.Personalisation:
    session = call.user.session_id
    assert session is not None  # a shopper principal has its session
    return cr.Personalisation(enabled=await recommend.personalised(database_of(call.request), session))


@api.op("PUT", "/api/v1/sessions/current/personalisation", summary="Turn personalisation off (or on again) for this "
        "session: no co-occurrence counting, no personal shelf", tag="recommendations", body=cr.Personalisation,
        response=cr.Personalisation, roles=("shopper",))
async def put_personalisation(call: Call[cr.Personalisation, None]) -> cr.Personalisation:
    session = call.user.session_id
    assert session is not None
    await recommend.set_personalised(database_of(call.request), session, call.body.enabled, datetime.now(UTC))
    recorder = call.request.app.get(keys.RECOMMEND)
    if recorder is not None and not call.body.enabled:
        recorder.forget(session)  # this worker's memory now; other workers drop its pairs when they count them
    return cr.Personalisation(enabled=call.body.enabled)
