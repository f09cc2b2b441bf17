"""Merchant workflow: catalog, products, layout, model and image uploads, builds, and the store view."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from server import keys, pool_jobs
from server.builds import merchant_turn
from server.contracts import merchant as ms
from server.domain.errors import Forbidden, NotFound, Unprocessable, UnsupportedMedia
from server.domain.events import ProductChanged
from server.domain.layout_choice import custom_layout, read_layout_choice, template_marker
from server.http.registry import api
from server.http.routing import Call
from server.ids import parse_db_id
from server.keys import database_of
from server.services import access, assets, build_records, catalog, stores
from server.services.assets import AssetKind
from server.services.pricing import load_pricing
from storefront_builder.errors import CatalogError, LayoutError
from storefront_builder.layout.auto import MAX_AUTO_PRODUCTS

S = "/api/v1/stores/{store}"
CATALOG_TYPES = ("text/csv", "text/tab-separated-values", "application/json", "application/octet-stream",
                 "text/plain", "application/vnd.ms-excel")
LAYOUT_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
# Binary glTF only: the scene build cannot read .gltf JSON (services/assets.py checks the bytes as well).
MODEL_TYPES = ("model/gltf-binary", "application/octet-stream")
FORMATS = ("json", "csv", "shopify", "google", "korean")


async def _run(request: web.Request, fn: Any, *args: Any) -> Any:
    """A long job (catalog parsing) in the build pool; call it inside the merchant's fair turn."""
    return await asyncio.get_running_loop().run_in_executor(request.app[keys.BUILD_POOL], fn, *args)


async def _run_quick(request: web.Request, fn: Any, *args: Any) -> Any:
    """A short job (an asset check, a layout parse) in the quick pool: it never waits behind a build."""
    return await asyncio.get_running_loop().run_in_executor(request.app[keys.QUICK_POOL], fn, *args)


@api.op("GET", S, summary="A store, its current scene and where its products are (public once approved)",
        tag="stores", response=ms.StoreDetail)
async def get_store(call: Call[None, None]) -> ms.StoreDetail:
    now = datetime.now(UTC)
    async with database_of(call.request).read() as db:
        store = await access.visible_store(db, call.principal, call.path("store"))
        pricing = await load_pricing(db, store.festival_id)
        count = await catalog.active_count(db, store)
        base = await stores.store_out(db, store)
    return ms.StoreDetail(
        **base.model_dump(), product_count=count, snapshot=f"/api/v1/stores/{store.slug}/snapshot",
        products=f"/api/v1/stores/{store.slug}/products", sale_ends_at=pricing.ends_at,
        sale_open=pricing.window_open(now),
    )


@api.op("GET", S + "/snapshot", summary="Every active product with its price now, in one cached document",
        tag="stores", response=ms.ProductSnapshot)
async def get_snapshot(call: Call[None, None]) -> web.StreamResponse:
    request = call.request
    async with database_of(request).read() as db:
        store = await access.visible_store(db, call.principal, call.path("store"))
    snapshot = await request.app[keys.SNAPSHOTS].get(store)
    # no-cache: the browser keeps it and asks again with If-None-Match; an unchanged store costs a 304.
    headers = {"ETag": snapshot.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if snapshot.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        return web.Response(body=snapshot.gzipped, content_type="application/json",
                            headers=headers | {"Content-Encoding": "gzip"})
    body = await asyncio.to_thread(gzip.decompress, snapshot.gzipped)  # zlib lets the loop run meanwhile
    return web.Response(body=body, content_type="application/json", headers=headers)


@api.op("GET", S + "/products", summary="The store's products on sale, a page at a time (with include_hidden, "
        "the hidden ones too: merchant and organizer)", tag="stores", query=ms.ProductPageQuery,
        response=ms.ProductPage, errors=(403,))
async def list_products(call: Call[None, ms.ProductPageQuery]) -> ms.ProductPage:
    after = 0
    if call.query.after is not None:
        parsed = parse_db_id(call.query.after)
        if parsed is None:
            raise Unprocessable("invalid query", errors=[{"loc": ["query", "after"], "msg": "not a page cursor"}])
        after = parsed
    now = datetime.now(UTC)
    async with database_of(call.request).read() as db:
        store = await access.visible_store(db, call.principal, call.path("store"))
        manager = access.can_manage_store(call.principal, store)
        if call.query.include_hidden and not manager:
            raise Forbidden("only the store's merchant or the festival's organizer may list hidden products")
        pricing = await load_pricing(db, store.festival_id)
        rows, next_after = await catalog.product_page(db, store, after=after, limit=call.query.limit,
                                                      include_hidden=call.query.include_hidden)
        items = await catalog.products_out(db, store, rows, pricing, now, manager=manager)
    return ms.ProductPage(items=items, next=None if next_after is None else str(next_after))


@api.op("PUT", S + "/catalog", summary="Replace the store's catalog (JSON, CSV, Shopify, Google feed, CP949 CSV)",
        tag="merchant", response=ms.ImportReport, roles=("merchant",), raw_body=CATALOG_TYPES, errors=(413,),
        limit="uploads")
async def put_catalog(call: Call[None, None]) -> ms.ImportReport:
    request = call.request
    fmt = request.query.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise Unprocessable("unknown catalog format", errors=[{"loc": ["query", "format"], "msg": f"one of {FORMATS}"}])
    async with database_of(request).write() as db:
        store = await access.merchant_store(db, call.user, call.path("store"))
    storage = request.app[keys.STORAGE]
    upload = await storage.receive(request, request.app[keys.SETTINGS].max_upload_bytes)
    rows = upload.path.with_suffix(".rows")
    try:
        # Parsing takes the build pool in this merchant's fair turn (see fair_slots); the rows come back as a
        # file that is written to the database in batches, so checkouts and other merchants keep going.
        async with request.app[keys.BUILDS].slots.turn(merchant_turn(store.merchant_id)):
            staged = await _run(request, pool_jobs.stage_catalog_file, str(upload.path), fmt, store.currency,
                                str(rows))
        report = await catalog.replace_staged(database_of(request), store, staged, rows)
        # Whether the file's image URLs can be fetched (POST …/image-fetches) is the server's setting.
        return report.model_copy(update={"images_fetch": request.app[keys.SETTINGS].image_fetch})
    except CatalogError as exc:
        raise Unprocessable(str(exc), errors=[{"loc": ["body"], "msg": str(exc), "code": exc.code,
                                               "msg_ko": exc.message_ko, "params": exc.params}]) from None
    finally:
        upload.path.unlink(missing_ok=True)
        rows.unlink(missing_ok=True)


@api.op("PATCH", S + "/products/{sku}", summary="Change a product's price, sale price or stock (live, no rebuild)",
        tag="merchant", body=ms.ProductPatch, response=ms.ProductOut, roles=("merchant",))
async def patch_product(call: Call[ms.ProductPatch, None]) -> ms.ProductOut:
    async with database_of(call.request).write() as db:
        store = await access.merchant_store(db, call.user, call.path("store"))
        out = await catalog.patch_product(db, store, call.path("sku"), call.body)
    if not (out.active and out.status == "active"):
        return out  # a hidden product's price is nothing shoppers in the store may hear of
    await call.request.app[keys.EVENTS].publish(ProductChanged(
        store=store.slug, store_id=store.id, sku=out.sku, price=out.price, sale_price=out.sale_price,
        unit_price=out.unit_price, stock=out.stock, currency=out.currency))
    return out


@api.op("GET", S + "/products/{sku}", summary="One product with its live price and stock", tag="stores",
        response=ms.ProductOut)
async def get_product(call: Call[None, None]) -> ms.ProductOut:
    async with database_of(call.request).read() as db:
        store = await access.visible_store(db, call.principal, call.path("store"))
        manager = access.can_manage_store(call.principal, store)
        row = await catalog.product_by_sku(db, store, call.path("sku"), shelf_only=not manager)
        pricing = await load_pricing(db, store.festival_id)
        [product] = await catalog.products_out(db, store, [row], pricing, datetime.now(UTC), manager=manager)
        return product


@api.op("PUT", S + "/layout", summary="Set the store layout: a YAML or JSON layout, or {\"template\": kind}",
        tag="merchant", body=ms.LayoutPut, response=ms.LayoutOut, roles=("merchant",), raw_body=LAYOUT_TYPES,
        limit="uploads")
async def put_layout(call: Call[ms.LayoutPut | None, None]) -> ms.LayoutOut:
    request = call.request
    async with database_of(request).write() as db:
        await access.merchant_store(db, call.user, call.path("store"))
    if call.body is None:  # a YAML upload
        stored = await _parse_layout(request, await request.read(), "yaml")
        stored_json, out = custom_layout(stored), ms.LayoutOut(source="custom", layout=stored)
    elif call.body.template is not None and not call.body.model_extra:
        stored_json = template_marker(call.body.template)
        out = ms.LayoutOut(source="template", template=call.body.template)
    else:
        stored = await _parse_layout(request, call.body.model_dump_json(exclude_none=True).encode(), "json")
        stored_json, out = custom_layout(stored), ms.LayoutOut(source="custom", layout=stored)
    async with database_of(request).write() as db:
        await stores.set_layout(db, call.user, call.path("store"), stored_json)
    return out


async def _parse_layout(request: web.Request, data: bytes, fmt: str) -> dict[str, Any]:
    try:
        parsed: dict[str, Any] = await _run_quick(request, pool_jobs.parse_layout_text, data, fmt)
        return parsed
    except LayoutError as exc:
        errors = getattr(exc, "errors", None) or [{"loc": list(exc.loc), "msg": str(exc)}]
        raise Unprocessable(f"invalid layout: {exc}", errors=[
            {"loc": ["body", *e.get("loc", [])], "msg": e.get("msg", str(exc))} for e in errors]) from None


@api.op("GET", S + "/layout", summary="The store's layout choice", tag="merchant", response=ms.LayoutOut,
        roles=("merchant",))
async def get_layout(call: Call[None, None]) -> ms.LayoutOut:
    async with database_of(call.request).read() as db:
        store = await access.merchant_store(db, call.user, call.path("store"))
    choice = read_layout_choice(store.layout_json, store.kind)
    return ms.LayoutOut(source=choice.source, template=choice.template, layout=choice.layout)


async def _put_asset(call: Call[None, None], kind: AssetKind) -> ms.AssetOut:
    request = call.request
    settings = request.app[keys.SETTINGS]
    allowed = MODEL_TYPES if kind == "model" else IMAGE_TYPES
    if request.content_type not in allowed:
        raise UnsupportedMedia(f"send the {kind} as one of {', '.join(allowed)}")
    async with database_of(request).write() as db:
        store = await access.merchant_store(db, call.user, call.path("store"))
        await catalog.product_by_sku(db, store, call.path("sku"))
    storage = request.app[keys.STORAGE]
    limit = settings.max_model_bytes if kind == "model" else settings.max_image_bytes
    upload = await storage.receive(request, limit)
    try:
        report = await _run_quick(request, assets.check_upload, str(upload.path), kind)
        if not report.ok:
            errors = [{"loc": ["body"], "msg": issue.message, "code": issue.code} for issue in report.errors]
            if "not_glb" in report.codes():  # not a format we take at all, judged by the bytes
                raise UnsupportedMedia(f"the {kind} is not binary glTF (.glb)", errors=errors)
            raise Unprocessable(f"the {kind} was rejected", errors=errors)
        storage.keep_asset(upload)
    finally:
        upload.path.unlink(missing_ok=True)
    async with database_of(request).write() as db:
        store = await access.merchant_store(db, call.user, call.path("store"))
        row = await assets.attach(db, store, call.path("sku"), kind, sha256=upload.sha256,
                                  media_type=assets.media_type(report), size=upload.size)
    return ms.AssetOut(sku=row.sku, kind=kind, sha256=upload.sha256, size=upload.size,
                       report=report.model_dump(mode="json"))


@api.op("PUT", S + "/products/{sku}/model", summary="Attach a GLB model to a product (validated)", tag="merchant",
        response=ms.AssetOut, roles=("merchant",), raw_body=MODEL_TYPES, errors=(413,), limit="uploads")
async def put_model(call: Call[None, None]) -> ms.AssetOut:
    return await _put_asset(call, "model")


@api.op("PUT", S + "/products/{sku}/image", summary="Attach an image to a product (PNG, JPEG or WebP)",
        tag="merchant", response=ms.AssetOut, roles=("merchant",), raw_body=IMAGE_TYPES, errors=(413,),
        limit="uploads")
async def put_image(call: Call[None, None]) -> ms.AssetOut:
    return await _put_asset(call, "image")


@api.op("GET", S + "/products/{sku}/image", summary="The product image", tag="stores")
async def get_image(call: Call[None, None]) -> web.StreamResponse:
    async with database_of(call.request).read() as db:
        store = await access.visible_store(db, call.principal, call.path("store"))
        asset = await assets.product_image(db, store, call.path("sku"),
                                           shelf_only=not access.can_manage_store(call.principal, store))
    if asset is None:
        raise NotFound("the product has no image")
    path = call.request.app[keys.STORAGE].asset_path(asset.sha256)
    etag = f'"{asset.sha256}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if call.request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    data = await asyncio.to_thread(path.read_bytes)
    return web.Response(body=data, content_type=assets.image_media_type(data), headers=headers)


@api.op("POST", S + "/builds", summary="Start a scene build (runs in the background)", tag="merchant", status=202,
        response=ms.BuildOut, roles=("merchant",), errors=(409,), limit="builds")
async def start_build(call: Call[None, None]) -> web.Response:
    async with database_of(call.request).write() as db:
        store = await access.merchant_store(db, call.user, call.path("store"))
        count = await catalog.shelf_count(db, store)  # auto-layout gives a product's variants one slot
        if not count:
            raise Unprocessable("upload a catalog before building", errors=[{"loc": ["catalog"], "msg": "empty"}])
        if count > MAX_AUTO_PRODUCTS and read_layout_choice(store.layout_json, store.kind).layout is None:
            raise Unprocessable(
                f"{count:,} products are more than auto-layout lays out ({MAX_AUTO_PRODUCTS:,}): split the catalog "
                "over several stores, or upload a layout that shows a selection",
                errors=[{"loc": ["catalog"], "msg": f"{count} products; auto-layout takes {MAX_AUTO_PRODUCTS}"}])
    build = await call.request.app[keys.BUILDS].enqueue(store)
    out = build_records.build_out(build, store.slug, call.request.app[keys.BUILDS].live.get(build.id))
    return web.Response(body=out.model_dump_json(), status=202, content_type="application/json",
                        headers={"Location": f"/api/v1/builds/{build.id}"})


@api.op("GET", "/api/v1/builds/{build}", summary="A build's status, progress and report", tag="merchant",
        response=ms.BuildOut, roles=("merchant", "organizer"))
async def get_build(call: Call[None, None]) -> ms.BuildOut:
    async with database_of(call.request).read() as db:
        build, store_slug = await build_records.find_build(db, call.user, call.path("build"))
        return build_records.build_out(build, store_slug, call.request.app[keys.BUILDS].live.get(build.id))
