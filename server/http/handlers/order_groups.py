"""Order groups and the buyer's side of orders: the confirmation page's data, the session's order history, the
buyer's cancellation, the merchant's CSV export, and the order page's live event stream.

The stream (``GET /api/v1/order_groups/{g}/events``, text/event-stream, not an API operation: it never ends) sends
the group as it is now whenever one of its orders changes. A change made by this process arrives at once through
the event hooks; one made by another worker is noticed by comparing the orders' last change every
``POLL_S`` seconds (order events do not cross workers), so it arrives within that.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web

from server import keys
from server.auth import authenticate
from server.contracts import carts as cs
from server.domain.errors import NotFound, Unauthorized
from server.domain.events import Event, OrderChanged
from server.http.registry import api
from server.http.routing import Call
from server.ids import parse_db_id
from server.keys import database_of
from server.services import orders, payments

POLL_S = 5.0
KEEPALIVE_S = 15.0


@api.op("GET", "/api/v1/order_groups", summary="The session's order history, newest first", tag="orders",
        query=cs.OrderListQuery, response=cs.OrderGroupList, roles=("shopper",))
async def list_order_groups(call: Call[None, cs.OrderListQuery]) -> cs.OrderGroupList:
    return await orders.history(database_of(call.request), call.user, call.query)


@api.op("GET", "/api/v1/order_groups/{group}", summary="An order group as it is now (members of its cart)",
        tag="orders", response=cs.OrderGroupOut, roles=("shopper",))
async def get_order_group(call: Call[None, None]) -> cs.OrderGroupOut:
    return await orders.get_group(database_of(call.request), call.user, call.path_id("group"))


async def refunds(request: web.Request, out: cs.OrderOut) -> list[Event]:
    """A cancelled order's refund, right after the cancellation committed (the sweep retries a failed one)."""
    if out.status != "cancelled":
        return []
    return await payments.refund_order(database_of(request), request.app[keys.PAYMENTS], out.id)


@api.op("POST", "/api/v1/orders/{order}/cancel", summary="Cancel an order before the store started on it (buyer)",
        tag="orders", response=cs.OrderOut, roles=("shopper",), errors=(409,))
async def cancel_order(call: Call[None, None]) -> cs.OrderOut:
    database = database_of(call.request)
    out, events = await orders.cancel_by_buyer(database, call.user, call.path_id("order"))
    refunded = await refunds(call.request, out)
    await call.request.app[keys.EVENTS].publish_all(events + refunded)
    return out.model_copy(update={"status": "refunded"}) if refunded else out


@api.op("GET", "/api/v1/stores/{store}/orders.csv", summary="Every order of the store as CSV (its merchant)",
        tag="orders", roles=("merchant",))
async def export_store_orders(call: Call[None, None]) -> web.Response:
    data = await orders.store_orders_csv(database_of(call.request), call.user, call.path("store"))
    name = f"orders-{call.path('store')}.csv"
    return web.Response(body=data, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


# --- the live stream ----------------------------------------------------------------------------------------------


async def _send(response: web.StreamResponse, text: str) -> None:
    await response.write(text.encode())


def _frame(group: cs.OrderGroupOut) -> str:
    return f"event: group\ndata: {group.model_dump_json()}\n\n"


async def group_events(request: web.Request) -> web.StreamResponse:
    principal = await authenticate(request)
    if principal is None:
        raise Unauthorized("a shopper session is required")
    group_id = parse_db_id(request.match_info["group"])
    if group_id is None:
        raise NotFound(f"no order group {request.match_info['group']!r}")
    database = database_of(request)
    changed: asyncio.Queue[None] = asyncio.Queue(maxsize=1)
    closing: asyncio.Event = request.app[keys.ORDER_STREAMS]

    async def listener(event: Event) -> None:
        if isinstance(event, OrderChanged) and event.group == group_id and not changed.full():
            changed.put_nowait(None)

    # Listening first, then the change stamp, then the group: a change landing anywhere in between is either in
    # the group read or makes the stamp (or the event) differ, so it is sent. Read the other way round (group,
    # subscribe, stamp), a change in that window left the page on the old status for good (seen in e2e runs).
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    unsubscribe = request.app[keys.EVENTS].subscribe(listener)
    try:
        last = await orders.group_updated(database, group_id)
        group = await orders.get_group(database, principal, group_id)  # 404 for anyone but the cart's members
        await response.prepare(request)
        await _send(response, "retry: 2000\n\n" + _frame(group))
        quiet = 0.0
        while not closing.is_set():
            waiter: Any = asyncio.ensure_future(changed.get())
            stop = asyncio.ensure_future(closing.wait())
            done, _ = await asyncio.wait({waiter, stop}, timeout=POLL_S, return_when=asyncio.FIRST_COMPLETED)
            for task in (waiter, stop):
                if task not in done:
                    task.cancel()
            if stop in done:
                break
            now_updated = await orders.group_updated(database, group_id)
            if waiter in done or now_updated != last:
                last = now_updated
                quiet = 0.0
                await _send(response, _frame(await orders.get_group(database, principal, group_id)))
            else:
                quiet += POLL_S
                if quiet >= KEEPALIVE_S:
                    quiet = 0.0
                    await _send(response, ": keepalive\n\n")
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        unsubscribe()
    if response.prepared:
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
    return response


async def _close_streams(app: web.Application) -> None:
    app[keys.ORDER_STREAMS].set()


def install(app: web.Application) -> None:
    app[keys.ORDER_STREAMS] = asyncio.Event()
    app.on_shutdown.append(_close_streams)
    app.router.add_get("/api/v1/order_groups/{group}/events", group_events)
