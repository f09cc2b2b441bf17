"""Festivals, merchants, stores and shopper sessions."""

from __future__ import annotations

from aiohttp import web

from server import keys
from server.auth import SESSION_COOKIE
from server.contracts import foundation as schemas
from server.domain.events import StoreSuspended, TokenRevoked
from server.http.registry import api
from server.http.routing import Call, json_response
from server.keys import database_of
from server.services import access, festivals, sessions, stores

F = "/api/v1/festivals/{festival}"


@api.op("GET", "/api/v1/festivals", summary="Every festival (public)", tag="festivals",
        response=schemas.FestivalList)
async def list_festivals(call: Call[None, None]) -> schemas.FestivalList:
    async with database_of(call.request).read() as db:
        return await festivals.list_festivals(db)


@api.op("GET", F, summary="A festival and its approved stores (public)", tag="festivals",
        response=schemas.FestivalOut)
async def get_festival(call: Call[None, None]) -> schemas.FestivalOut:
    async with database_of(call.request).read() as db:
        festival = await access.festival_by_slug(db, call.path("festival"))
        out = await festivals.festival_out(db, festival)
    visitors = call.request.app[keys.VISITORS].counts()
    for store in out.stores:
        store.visitors = visitors.get(store.slug, 0)
    return out


@api.op("PATCH", F, summary="Change a festival's names, time zone, sale window or capacity", tag="festivals",
        body=schemas.FestivalPatch, response=schemas.FestivalOut, roles=("organizer",))
async def patch_festival(call: Call[schemas.FestivalPatch, None]) -> schemas.FestivalOut:
    async with database_of(call.request).write() as db:
        festival = await festivals.update_festival(db, call.user, call.path("festival"), call.body)
        return await festivals.festival_out(db, festival, all_stores=True)


@api.op("POST", F + "/merchants", summary="Invite a merchant; returns its token once", tag="festivals",
        status=201, body=schemas.MerchantCreate, response=schemas.MerchantCreated, roles=("organizer",))
async def invite_merchant(call: Call[schemas.MerchantCreate, None]) -> schemas.MerchantCreated:
    async with database_of(call.request).write() as db:
        return await festivals.invite_merchant(db, call.user, call.path("festival"), call.body)


@api.op("GET", F + "/merchants", summary="The festival's merchants", tag="festivals",
        response=schemas.MerchantList, roles=("organizer",))
async def list_merchants(call: Call[None, None]) -> schemas.MerchantList:
    async with database_of(call.request).read() as db:
        return await festivals.list_merchants(db, call.user, call.path("festival"))


@api.op("POST", F + "/merchants/{merchant}/token", summary="Revoke a merchant's tokens and issue a new one",
        tag="festivals", status=201, response=schemas.MerchantCreated, roles=("organizer",))
async def rotate_merchant_token(call: Call[None, None]) -> schemas.MerchantCreated:
    merchant_id = call.path_id("merchant")
    async with database_of(call.request).write() as db:
        created = await festivals.rotate_merchant_token(db, call.user, call.path("festival"), merchant_id)
    call.request.app[keys.TOKEN_CACHE].clear()  # the old token must stop working here at once
    return created


@api.op("GET", F + "/stores", summary="Every store of the festival, any status (organizer)", tag="festivals",
        response=schemas.StoreList, roles=("organizer",))
async def list_festival_stores(call: Call[None, None]) -> schemas.StoreList:
    async with database_of(call.request).read() as db:
        rows = await stores.list_festival_stores(db, call.user, call.path("festival"))
        return schemas.StoreList(stores=[await stores.store_out(db, s) for s in rows])


@api.op("POST", "/api/v1/stores", summary="Open a store (pending until the organizer approves it)", tag="stores",
        status=201, body=schemas.StoreCreate, response=schemas.StoreOut, roles=("merchant",), errors=(409,))
async def create_store(call: Call[schemas.StoreCreate, None]) -> schemas.StoreOut:
    async with database_of(call.request).write() as db:
        store = await stores.create_store(db, call.user, call.body)
        return await stores.store_out(db, store)


@api.op("GET", "/api/v1/stores", summary="The calling merchant's stores", tag="stores",
        response=schemas.StoreList, roles=("merchant",))
async def list_my_stores(call: Call[None, None]) -> schemas.StoreList:
    async with database_of(call.request).read() as db:
        rows = await stores.list_merchant_stores(db, call.user)
        return schemas.StoreList(stores=[await stores.store_out(db, s) for s in rows])


@api.op("PATCH", "/api/v1/stores/{store}", summary="Rename a store (its merchant)", tag="stores",
        body=schemas.StorePatch, response=schemas.StoreOut, roles=("merchant",))
async def patch_store(call: Call[schemas.StorePatch, None]) -> schemas.StoreOut:
    async with database_of(call.request).write() as db:
        store = await stores.update_store(db, call.user, call.path("store"), call.body)
        return await stores.store_out(db, store)


@api.op("PUT", "/api/v1/stores/{store}/status", summary="Approve or suspend a store (organizer)", tag="stores",
        body=schemas.StoreStatusChange, response=schemas.StoreOut, roles=("organizer",))
async def set_store_status(call: Call[schemas.StoreStatusChange, None]) -> schemas.StoreOut:
    async with database_of(call.request).write() as db:
        store, previous = await stores.set_status(db, call.user, call.path("store"), call.body.status)
        out = await stores.store_out(db, store)
    if previous != store.status:
        call.request.app[keys.BUILDS].enqueue_plaza(store.festival_id)  # its portals follow the approved stores
    if previous != store.status and store.status == "suspended":
        await call.request.app[keys.EVENTS].publish(StoreSuspended(store=store.slug, store_id=store.id))
    return out


@api.op("POST", "/api/v1/sessions", summary="Start a shopper guest session", tag="sessions", status=201,
        body=schemas.SessionCreate, response=schemas.SessionCreated, limit="sessions")
async def create_session(call: Call[schemas.SessionCreate, None]) -> web.Response:
    async with database_of(call.request).write() as db:
        created = await sessions.create_session(db, call.body)
    response = json_response(created, status=201)
    settings = call.request.app[keys.SETTINGS]
    response.set_cookie(SESSION_COOKIE, created.token, httponly=True, samesite="Lax",
                        secure=settings.secure_cookies, max_age=30 * 24 * 3600, path="/")
    return response


@api.op("GET", "/api/v1/sessions/current", summary="Who the caller is", tag="sessions", response=schemas.Me,
        roles=("organizer", "merchant", "shopper"))
async def current_session(call: Call[None, None]) -> schemas.Me:
    async with database_of(call.request).read() as db:
        return await sessions.me(db, call.user)


@api.op("PATCH", "/api/v1/sessions/current", summary="Change the shopper's display name", tag="sessions",
        body=schemas.SessionRename, response=schemas.SessionOut, roles=("shopper",))
async def rename_session(call: Call[schemas.SessionRename, None]) -> schemas.SessionOut:
    async with database_of(call.request).write() as db:
        return await sessions.rename(db, call.user, call.body)


@api.op("DELETE", "/api/v1/sessions/current", summary="Sign out: revoke the token used", tag="sessions",
        status=204, roles=("organizer", "merchant", "shopper"))
async def delete_session(call: Call[None, None]) -> web.Response:
    async with database_of(call.request).write() as db:
        await sessions.revoke(db, call.user)
    call.request.app[keys.TOKEN_CACHE].clear()
    await call.request.app[keys.EVENTS].publish(TokenRevoked(token_id=call.user.token_id))  # its live sockets
    response = web.Response(status=204)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
