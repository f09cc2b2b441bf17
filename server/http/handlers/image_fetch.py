"""Image fetches: a merchant asks the server to fetch its catalog's image URLs, watches the outcome of each, and
the fetched images are served by their SHA-256."""

from __future__ import annotations

import asyncio

from aiohttp import web

from server import keys
from server.contracts.image_fetch import ImageFetchOut, ImageFetchQuery, ImageFetchStart
from server.domain.errors import NotFound
from server.http.registry import api
from server.http.routing import Call
from server.ids import parse_db_id
from server.keys import database_of
from server.services import access, assets, image_fetch

S = "/api/v1/stores/{store}"
LATEST = S + "/image-fetches/latest"


@api.op("POST", S + "/image-fetches", summary="Fetch the catalog's image URLs in the background", tag="merchant",
        status=202, query=ImageFetchStart, response=ImageFetchOut, roles=("merchant",), errors=(409,),
        limit="image_fetches")
async def start_image_fetch(call: Call[None, ImageFetchStart]) -> web.Response:
    async with database_of(call.request).read() as db:
        store = await access.merchant_store(db, call.user, call.path("store"))
    out = await call.request.app[keys.IMAGE_FETCHES].start(store, refetch=call.query.refetch)
    return web.Response(body=out.model_dump_json(), status=202, content_type="application/json",
                        headers={"Location": LATEST.format(store=store.slug)})


@api.op("GET", LATEST, summary="The latest image fetch: status, counts per outcome, each URL's outcome (paged)",
        tag="merchant", query=ImageFetchQuery, response=ImageFetchOut, roles=("merchant",))
async def get_image_fetch(call: Call[None, ImageFetchQuery]) -> ImageFetchOut:
    q = call.query
    after = parse_db_id(q.after) if q.after is not None else None  # the pattern admits only valid ids
    async with database_of(call.request).read() as db:
        store = await access.merchant_store(db, call.user, call.path("store"))
        return await image_fetch.latest(db, store, mode=call.request.app[keys.SETTINGS].image_fetch,
                                        after=after or 0, limit=q.limit, outcome=q.outcome)


@api.op("GET", S + "/images/{sha256}", summary="An image fetched from one of the store's catalog URLs",
        tag="stores")
async def get_fetched_image(call: Call[None, None]) -> web.StreamResponse:
    async with database_of(call.request).read() as db:
        store = await access.visible_store(db, call.principal, call.path("store"))
        asset = await image_fetch.stored_image(db, store, call.path("sha256"))
    if asset is None:
        raise NotFound("no such image in this store")
    etag = f'"{asset.sha256}"'
    # Named by its content: it never changes under this URL.
    headers = {"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable"}
    if call.request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    path = call.request.app[keys.STORAGE].asset_path(asset.sha256)
    data = await asyncio.to_thread(path.read_bytes)
    return web.Response(body=data, content_type=assets.image_media_type(data), headers=headers)
