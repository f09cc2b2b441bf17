"""Festival analytics: the organizer's overview and CSV, a store's funnel, products, heat map (JSON and PNG over
its floor plan) and CSV. Decode, call services/analytics_reports, encode; the PNG is drawn in the quick pool."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from server import keys
from server.auth import authenticate
from server.contracts import analytics as an
from server.domain.errors import NotFound, Unauthorized
from server.domain.principal import Principal, Role
from server.http.registry import api
from server.http.routing import Call
from server.keys import database_of
from server.services import analytics_live, analytics_png, analytics_reports

F = "/api/v1/festivals/{festival}/analytics"
S = "/api/v1/stores/{store}/analytics"
STORE_ROLES: tuple[Role, ...] = ("merchant", "organizer")


@api.op("GET", F, summary="Festival overview: visitors now and per bucket, queue, orders, revenue, conversion, top "
        "stores and products (buckets < 5 shoppers hidden)", tag="analytics", query=an.RangeQuery,
        response=an.Overview, roles=("organizer",))
async def get_overview(call: Call[None, an.RangeQuery]) -> an.Overview:
    app = call.request.app
    slug = call.path("festival")
    async with database_of(call.request).read() as db:
        await analytics_reports.festival_for(db, call.user, slug)
    queue = int((await app[keys.WAITING_ROOMS].overview(slug)).get("waiting", 0))
    async with database_of(call.request).read() as db:
        return await analytics_reports.overview(db, call.user, slug, call.query, now=datetime.now(UTC),
                                                visitors=app[keys.VISITORS].counts(), queue=queue)


@api.op("GET", F + ".csv", summary="The festival's analytics per bucket, store, kind and key as CSV",
        tag="analytics", query=an.RangeQuery, roles=("organizer",))
async def get_festival_csv(call: Call[None, an.RangeQuery]) -> web.Response:
    async with database_of(call.request).read() as db:
        text = await analytics_reports.export_csv(db, call.user, call.query, now=datetime.now(UTC),
                                                  festival_slug=call.path("festival"))
    return _csv(text, call.path("festival"))


@api.op("GET", S + "/funnel", summary="A store's funnel: visits → product views → add to cart → orders, with "
        "rates (and the day before with compare=true)", tag="analytics", query=an.StoreRangeQuery,
        response=an.Funnel, roles=STORE_ROLES)
async def get_funnel(call: Call[None, an.StoreRangeQuery]) -> an.Funnel:
    async with database_of(call.request).read() as db:
        return await analytics_reports.funnel(db, call.user, call.path("store"), call.query, now=datetime.now(UTC))


@api.op("GET", S + "/products", summary="A store's top products by views and by conversion, and the ones looked "
        "at but not bought", tag="analytics", query=an.RangeQuery, response=an.Products, roles=STORE_ROLES)
async def get_products(call: Call[None, an.RangeQuery]) -> an.Products:
    async with database_of(call.request).read() as db:
        return await analytics_reports.products(db, call.user, call.path("store"), call.query,
                                                now=datetime.now(UTC))


async def _heatmap(call: Call[None, an.RangeQuery]) -> tuple[an.HeatMap, dict[str, Any] | None]:
    slug = call.path("store")
    async with database_of(call.request).read() as db:
        store, _ = await analytics_reports.store_for(db, call.user, slug)
        scene = store.scene_hash
    manifest = await _manifest(call.request, scene)
    async with database_of(call.request).read() as db:
        out = await analytics_reports.heatmap(db, call.user, slug, call.query, now=datetime.now(UTC),
                                              manifest=manifest)
    return out, manifest


async def _manifest(request: web.Request, scene: str | None) -> dict[str, Any] | None:
    if not scene:
        return None
    try:
        data = json.loads(await request.app[keys.STORAGE].read_scene(scene, ".json"))
    except (NotFound, OSError, ValueError):  # no plan to draw on: the cells alone
        return None
    return data if isinstance(data, dict) else None


@api.op("GET", S + "/heatmap", summary="Where shoppers stood: seconds per 0.5 m floor cell and per zone (cells "
        "< 5 shoppers hidden)", tag="analytics", query=an.RangeQuery, response=an.HeatMap, roles=STORE_ROLES)
async def get_heatmap(call: Call[None, an.RangeQuery]) -> an.HeatMap:
    return (await _heatmap(call))[0]


@api.op("GET", S + "/heatmap.png", summary="The heat map drawn over the store's floor plan, with zone labels",
        tag="analytics", query=an.RangeQuery, roles=STORE_ROLES)
async def get_heatmap_png(call: Call[None, an.RangeQuery]) -> web.Response:
    heat, manifest = await _heatmap(call)
    plan = manifest or {}
    walkable = [r for r in plan.get("walkable", []) if isinstance(r, list) and len(r) == 4]
    zones = [(str(z.get("name", "")), z["bounds"]) for z in plan.get("zones", [])
             if isinstance(z, dict) and isinstance(z.get("bounds"), list) and len(z["bounds"]) == 4]
    png = await asyncio.get_running_loop().run_in_executor(
        call.request.app[keys.QUICK_POOL], analytics_png.render,
        [(c.x, c.z, c.seconds) for c in heat.cells], heat.cell_m, heat.bounds, walkable, zones)
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "private, max-age=30"})


@api.op("GET", S + ".csv", summary="The store's analytics per bucket, kind and key as CSV", tag="analytics",
        query=an.RangeQuery, roles=STORE_ROLES)
async def get_store_csv(call: Call[None, an.RangeQuery]) -> web.Response:
    async with database_of(call.request).read() as db:
        text = await analytics_reports.export_csv(db, call.user, call.query, now=datetime.now(UTC),
                                                  store_slug=call.path("store"))
    return _csv(text, call.path("store"))


def _csv(text: str, name: str) -> web.Response:
    safe = "".join(ch for ch in name if ch.isalnum() or ch in "-_") or "analytics"
    return web.Response(text=text, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{safe}-analytics.csv"'})


# ------------------------------------------------------------ the dashboard's live stream

LIVE_PATH = F + "/live"
LIVE_EVERY_S = 1.0  # the tiles move at least this often (the issue asks for ≤ 2 s)
_LEVELS = {0: "normal", 1: "fewer_peers", 2: "slower_far_peers", 3: "closed"}


async def live_stream(request: web.Request) -> web.StreamResponse:
    """``GET /api/v1/festivals/{festival}/analytics/live``: server-sent events, one ``tiles`` event a second
    (``LiveTiles``), until the client goes or the server shuts down. Outside the OpenAPI registry because it never
    ends (a generated-request test would hang on it); docs/API.md describes it. Authorization as for every
    organizer operation; the console reads it with fetch() so that it can send its bearer token."""
    principal = await authenticate(request)
    if principal is None:
        raise Unauthorized("the organizer's token is required")
    slug = request.match_info["festival"]
    app = request.app
    async with database_of(request).read() as db:
        await analytics_reports.festival_for(db, principal, slug)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    streams = app[keys.ANALYTICS_STREAMS]
    task = asyncio.current_task()
    assert task is not None
    streams.add(task)
    try:
        while True:
            tiles = await _tiles(app, principal, slug)
            await response.write(f"event: tiles\ndata: {tiles.model_dump_json()}\n\n".encode())
            await asyncio.sleep(LIVE_EVERY_S)
    except (ConnectionResetError, asyncio.CancelledError):  # the dashboard went, or the server shuts down
        pass
    finally:
        streams.discard(task)
    return response


async def _tiles(app: web.Application, principal: Principal, slug: str) -> an.LiveTiles:
    now = datetime.now(UTC)
    visitors = app[keys.VISITORS].counts()
    async with app[keys.DATABASE].read() as db:
        state = await analytics_live.festival_now(db, principal, slug, visitors, now)
    rooms = app[keys.WAITING_ROOMS]
    queue = int((await rooms.overview(slug)).get("waiting", 0))
    paused = (await rooms.controls(slug)).mode == "paused"
    live = app[keys.LIVE]
    policy = live.admission
    level = _LEVELS.get(int(policy.level), "normal")
    alerts = [an.Alert(kind="build_failed", store=s) for s in state.failed_builds]
    if policy.level > 0:  # the admission policy degrades once ticks run over their budget: the p99 bound
        alerts.append(an.Alert(kind="p99_over_bound"))
    if paused or not policy.admitting:
        alerts.append(an.Alert(kind="admission_paused"))
    if state.declines_spike:
        alerts.append(an.Alert(kind="declines_spike"))
    return an.LiveTiles(
        at=now, visitors=state.visitors, queue=queue, orders_last_minute=state.orders_last_minute,
        orders=state.orders, revenue=state.revenue, currency=state.currency, build_failures=len(state.failed_builds),
        health=an.Health(worker=app[keys.WORKER_ID], level=level, pressure=round(policy.pressure, 3),
                         connections=len(live.conns)),
        alerts=alerts)


async def close_streams(app: web.Application) -> None:
    """on_shutdown: end every open dashboard stream (their handlers return at once)."""
    open_now: set[asyncio.Task[Any]] = app[keys.ANALYTICS_STREAMS]
    streams = list(open_now)
    for task in streams:
        task.cancel()
    await asyncio.gather(*streams, return_exceptions=True)


def install(app: web.Application) -> None:
    app[keys.ANALYTICS_STREAMS] = set()
    app.router.add_get(LIVE_PATH, live_stream)
    app.on_shutdown.append(close_streams)
