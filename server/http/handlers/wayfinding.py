"""Wayfinding (docs/API.md, Wayfinding): the walk to a product on a store's floor, or across the plaza to its store.

The database says which scene and where the product is; the walk itself is A* over the scene's floor, run in the
quick pool (``services/wayfinding.py``) so that it never holds the event loop.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from server import keys
from server.contracts import wayfinding as cw
from server.domain.errors import NotFound
from server.http.registry import api
from server.http.routing import Call
from server.keys import database_of
from server.services import wayfinding
from server.services.wayfinding import Target


async def _walk(request: web.Request, start: str, target: Target) -> cw.PathOut:
    app = request.app
    manifest = app[keys.STORAGE].scene_path(target.scene_hash, ".json")
    door_to = target.product_store if target.elsewhere else None
    try:
        result = await asyncio.get_running_loop().run_in_executor(
            app[keys.QUICK_POOL], wayfinding.walk_in_scene, str(manifest), wayfinding.parse_point(start),
            target.product, door_to)
    except FileNotFoundError:
        raise NotFound("the scene's manifest is missing") from None
    return wayfinding.answer(target, result)


@api.op("GET", "/api/v1/stores/{store}/path", summary="The walk from a point of the store's floor to a product (or, "
        "for a product of another store, to the way out towards it)", tag="wayfinding", query=cw.PathQuery,
        response=cw.PathOut)
async def get_store_path(call: Call[None, cw.PathQuery]) -> cw.PathOut:
    target = await wayfinding.store_target(database_of(call.request), call.path("store"), call.query)
    return await _walk(call.request, call.query.start, target)


@api.op("GET", "/api/v1/festivals/{festival}/plaza/path", summary="The walk across the festival plaza to the "
        "portal of the store a product is in", tag="wayfinding", query=cw.PlazaPathQuery, response=cw.PathOut)
async def get_plaza_path(call: Call[None, cw.PlazaPathQuery]) -> cw.PathOut:
    target = await wayfinding.plaza_target(database_of(call.request), call.path("festival"), call.query)
    return await _walk(call.request, call.query.start, target)
