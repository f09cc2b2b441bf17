"""``GET /api/v1/live?store={s}``: the WebSocket endpoint. Checks happen before the upgrade; after it
this handler only decodes frames, calls the hub through ``Live`` and lets ``Live`` queue the answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from aiohttp import WSMsgType, web

from server import keys
from server.auth import authenticate, resolve_token
from server.domain.errors import Conflict, Forbidden, NotFound, Unauthorized
from server.ids import parse_db_id
from server.live.core.bounds import Bounds
from server.live.core.protocol import CloseCode, JoinRefused, ProtocolError, parse_hello
from server.live.frame_sink import LiveSocket
from server.live.ports import PLAZA, Admissions, StoreScene
from server.live.service import Connection, Live
from server.live.wire import drop_close_error

MAX_MESSAGE_BYTES = 64 * 1024
HELLO_TIMEOUT_S = 10.0


async def live_handler(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.SETTINGS]
    origin = request.headers.get("Origin")
    # Browsers always send Origin: only the configured origins may open the socket (VRSTORE_ALLOWED_ORIGINS).
    # Not also "the page's own origin" judged by the Host header: Host names whatever the request was sent to
    # (an attacker's domain pointed at this server, say), so it says nothing about whose page this is.
    # Non-browser clients (load generator, native apps) send no Origin and authenticate by token.
    if origin is not None and origin not in settings.allowed_origins:
        raise Forbidden(f"origin {origin!r} is not allowed")
    principal = await authenticate(request)
    if principal is None and (query_token := request.query.get("token")):
        principal = await resolve_token(request, query_token)
    if principal is None or principal.session_id is None:
        raise Unauthorized("a shopper session is required for the live connection")
    store_slug = request.query.get("store", "")
    festival = request.query.get("festival") or None
    name, found = await request.app[keys.LIVE_DATA].join_context(principal.session_id, store_slug, festival)
    if name is None:
        raise Unauthorized("the shopper session has ended")
    if found is None:
        if store_slug == PLAZA and festival is None:
            raise NotFound("there are several festivals: name one with ?festival=<slug> to enter its plaza")
        raise NotFound(f"no open store {store_slug!r}")
    if found.suspended:
        raise Conflict(f"the store {store_slug!r} is suspended")
    live = request.app[keys.LIVE]
    bounds = await live.scene_bounds.of(found.room, found.scene_hash)

    # No aiohttp heartbeat and no autoping: Live.sweep_liveness pings, and pongs (like every frame) only stamp
    # the connection in the loop below, the cheapest place to notice that a peer is alive and reading.
    ws = LiveSocket(heartbeat=None, autoping=False, max_msg_size=MAX_MESSAGE_BYTES, compress=False)
    try:
        await ws.prepare(request)
    except ConnectionResetError:  # the client gave up during the handshake: nothing to clean up
        return ws
    conn = live.open(ws, request.transport, token_id=principal.token_id)
    try:
        if await _join(request, live, conn, found, str(principal.session_id), name, bounds):
            on_pose = _pose_handler(live, conn)
            assert ws.frames is not None  # prepared
            ws.frames.on_binary = on_pose  # from now on a pose is handled as it is parsed (frame_sink.py)
            # A task of its own: each frame received wakes only this loop's coroutine. Run here, inside the handler,
            # every wake-up also resumed the whole middleware chain's coroutines (7 % of the loop at 2,200
            # shoppers, bench/live_profile.py). Cancelling the handler (shutdown) cancels the task it awaits.
            await asyncio.create_task(_read(ws, live, conn, on_pose), name=f"live-read-{conn.id}")
    finally:
        # Judged here, also when cancelled: a server that cancels handlers on connection loss (aiohttp's test
        # server does) may cancel this one after a clean close ended the read task but before it resumed.
        live.closed(conn, graceful=ws.close_code == 1000)
        drop_close_error(ws)
        if ws.frames is not None:
            ws.frames.on_binary = None  # its handler holds the connection, which holds ws: a reference cycle
    return ws


def _pose_handler(live: Live, conn: Connection) -> Callable[[bytes], None]:
    """What a pose frame from ``conn`` does, wherever it arrives: handed over by the frame sink as it is parsed,
    or by ``_read`` when it had to queue behind another message."""
    handle_pose, deliver, clock, conn_id = live.hub.handle_pose, live.deliver, live.now, conn.id

    def on_pose(data: bytes) -> None:
        conn.last_rx = now = clock()
        deliver(handle_pose(conn_id, data, now=now))

    return on_pose


async def _read(ws: web.WebSocketResponse, live: Live, conn: Connection, on_pose: Callable[[bytes], None]) -> None:
    """Hand every frame of a seated connection to the hub until the socket ends (most poses arrive without
    passing here: the frame sink hands them to ``on_pose`` directly)."""
    async for msg in ws:
        kind = msg.type
        if kind is WSMsgType.BINARY:
            on_pose(msg.data)
            continue
        conn.last_rx = now = live.now()
        if kind is WSMsgType.TEXT:
            live.deliver(live.hub.handle(conn.id, msg.data, now=now))
        elif kind is WSMsgType.PONG:
            conn.ponged_at = now
        elif kind is WSMsgType.PING:
            await ws.pong(msg.data)
        else:
            break


async def _join(request: web.Request, live: Live, conn: Connection, found: StoreScene, session: str,
                name: str, bounds: Bounds | None) -> bool:
    store = found.room
    try:
        async with asyncio.timeout(HELLO_TIMEOUT_S):  # not wait_for: see sqlite_writer.unit
            msg = await conn.ws.receive()
    except TimeoutError:
        await conn.ws.close(code=CloseCode.HELLO_TIMEOUT, message=b"hello_timeout")
        return False
    if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
        return False
    try:
        hello = parse_hello(msg.data)
    except ProtocolError as exc:
        await conn.ws.close(code=CloseCode.PROTOCOL_ERROR, message=str(exc).encode()[:120])
        return False
    group = hello.group if hello.group and await _is_member(request, hello.group, int(session)) else None
    if live.hub.local_seat(store, session, hello.resume) is None and await _must_queue(request, live, found, session):
        # No newcomer fits now (measured load, the festival's cap, or others already waiting): they wait in the
        # festival's line instead of everyone inside slowing down.
        return await _refuse(conn, JoinRefused(CloseCode.BUSY, "busy"))
    try:
        # Across workers the shared ledger picks the instance (and a restored seat keeps its identity);
        # in one process the hub's own rule does (Placement() is empty).
        place = await live.cluster.place(store, session=session, group=group, resume=hello.resume,
                                         festival=found.festival, festival_cap=found.visitor_cap)
    except JoinRefused as exc:
        return await _refuse(conn, exc)
    if place.group is not None and group is None:
        group = place.group
    if conn.closing:  # closed while it waited (its session revoked, the server going down): take no seat
        live.cluster.abandon(store, place)
        return False
    try:
        joined = live.hub.join(conn.id, store=store, session=session, name=name, now=live.now(),
                               scene=found.scene, group=group, resume=hello.resume, instance=place.instance,
                               peer_id=place.peer_id, token=place.token, festival=found.festival,
                               festival_cap=found.visitor_cap, bounds=bounds)
    except JoinRefused as exc:
        live.cluster.abandon(store, place)
        return await _refuse(conn, exc)
    live.deliver(joined.actions)
    live.cluster.admitted(store, place, joined, session=session, group=group)
    live.entered(conn, store, session, found.festival, resumed=joined.resumed)
    if not joined.resumed:
        live.arrivals[found.festival] += 1  # the per-minute load the forecast learns from
    return True


async def _must_queue(request: web.Request, live: Live, found: StoreScene, session: str) -> bool:
    cap = found.visitor_cap
    full = cap is not None and await live.cluster.festival_seats(found.festival) >= cap
    admissions: Admissions = request.app[keys.WAITING_ROOMS]
    return await admissions.must_queue(found.festival, int(session), admitting=live.admission.admit_one(),
                                       full=full)


async def _refuse(conn: Connection, exc: JoinRefused) -> bool:
    await conn.ws.send_str(json.dumps({"type": "error", "code": exc.reason, "message": str(exc)}))
    await conn.ws.close(code=int(exc.close_code), message=exc.reason.encode()[:120])
    return False


async def _is_member(request: web.Request, cart: str, session_id: int) -> bool:
    """Only a member of the cart may be placed with its group."""
    cart_id = parse_db_id(cart)
    return cart_id is not None and await request.app[keys.LIVE_DATA].is_cart_member(cart_id, session_id)


def install(app: web.Application) -> None:
    app.router.add_get("/api/v1/live", live_handler)
