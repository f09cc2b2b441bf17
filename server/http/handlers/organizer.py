"""Organizer workflow: discount rules and the live festival dashboard."""

from __future__ import annotations

from datetime import UTC, datetime

from server import keys
from server.contracts import merchant as ms
from server.contracts.forecast import ForecastOut
from server.http.registry import api
from server.http.routing import Call
from server.keys import database_of
from server.load_watch import refresh_forecast
from server.services import access, organizer

F = "/api/v1/festivals/{festival}"


@api.op("GET", F + "/discounts", summary="The festival's discount rules", tag="organizer",
        response=ms.DiscountRules, roles=("organizer",))
async def get_discounts(call: Call[None, None]) -> ms.DiscountRules:
    async with database_of(call.request).read() as db:
        return await organizer.get_discounts(db, call.user, call.path("festival"))


@api.op("PUT", F + "/discounts", summary="Replace the festival's discount rules (apply inside the sale window)",
        tag="organizer", body=ms.DiscountRulesIn, response=ms.DiscountRules, roles=("organizer",))
async def put_discounts(call: Call[ms.DiscountRulesIn, None]) -> ms.DiscountRules:
    async with database_of(call.request).write() as db:
        return await organizer.set_discounts(db, call.user, call.path("festival"), call.body)


@api.op("GET", F + "/stats", summary="Stores with live visitors, build status and sales totals", tag="organizer",
        response=ms.FestivalStats, roles=("organizer",))
async def get_stats(call: Call[None, None]) -> ms.FestivalStats:
    visitors = call.request.app[keys.VISITORS].counts()
    async with database_of(call.request).read() as db:
        return await organizer.festival_stats(db, call.user, call.path("festival"), visitors)


@api.op("GET", F + "/forecast", summary="The next hour of live shoppers and the workers it needs", tag="organizer",
        response=ForecastOut, roles=("organizer",))
async def get_forecast(call: Call[None, None]) -> ForecastOut:
    slug = call.path("festival")
    async with database_of(call.request).read() as db:
        await access.organizer_festival(db, call.user, slug)
    cached = call.request.app[keys.FORECASTS].get(slug)
    if cached is not None and (datetime.now(UTC) - cached.generated_at).total_seconds() < 300:
        return cached
    return await refresh_forecast(call.request.app, slug)
