"""Group carts, checkout and orders: decode, call a service, encode; events go out after commit."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server import keys
from server.contracts import carts as cs
from server.domain.errors import BadRequest, NotFound
from server.domain.events import CheckoutEnded
from server.http.problems import domain_problem
from server.http.registry import api
from server.http.routing import Call, client_of, json_response
from server.keys import database_of
from server.services import carts, checkout, orders, payments

# A cart id is digits: without the pattern "/carts/join" would also match "/carts/{cart}", and a 405 there would
# offer GET (the router's Allow is the union of every route whose path matches).
C = "/api/v1/carts/{cart:[0-9]+}"


def _if_match(call: Call[Any, Any]) -> int | None:
    """``If-Match: 3``, ``"3"`` or ``W/"3"`` → 3; absent → None (unconditional)."""
    raw = call.request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise BadRequest(f"If-Match must be a cart version such as \"3\", not {raw!r}")
    return int(value)


def _cart(out: cs.CartOut, status: int = 200) -> web.Response:
    return json_response(out, status=status, headers={"ETag": f'"{out.version}"'})


async def _changed(call: Call[Any, Any], changed: carts.Changed, status: int = 200) -> web.Response:
    await call.request.app[keys.EVENTS].publish_all(changed.events)
    return _cart(changed.cart, status)


@api.op("POST", "/api/v1/carts", summary="Start a group cart (the caller owns it)", tag="carts", status=201,
        response=cs.CartCreated, roles=("shopper",))
async def create_cart(call: Call[None, None]) -> cs.CartCreated:
    return await carts.create_cart(database_of(call.request), call.user)


@api.op("POST", "/api/v1/carts/join", summary="Join a cart by its share code (idempotent)", tag="carts",
        body=cs.JoinCart, response=cs.CartOut, roles=("shopper",), errors=(409,), limit="share_codes")
async def join_cart(call: Call[cs.JoinCart, None]) -> web.Response:
    # Share codes are short enough to read aloud, so guessing is slowed twice: every try counts (the operation's
    # limit) and wrong ones lock the session, and its address, out for a while.
    limiter, request = call.request.app[keys.RATE_LIMITER], call.request
    misses = [(rule, client_of(request, call.user, rule)) for rule in _MISSES]
    for rule, who in misses:
        await limiter.refuse_if_spent(rule, who)
    try:
        joined = await carts.join_cart(database_of(request), call.user, call.body.share_code)
    except NotFound:
        for rule, who in misses:
            await limiter.hit(rule, who)
        raise
    return await _changed(call, joined)


_MISSES = ("share_code_misses", "share_code_misses_by_address")


@api.op("GET", C, summary="A cart with prices now (members only); ETag is its version", tag="carts",
        response=cs.CartOut, roles=("shopper",))
async def get_cart(call: Call[None, None]) -> web.Response:
    cart_id = call.path_id("cart")
    return _cart(await carts.get_cart(database_of(call.request), call.user, cart_id))


@api.op("POST", C + "/share_code", summary="Rotate the share code (owner only)", tag="carts",
        response=cs.CartOut, roles=("shopper",), errors=(409,))
async def rotate_share_code(call: Call[None, None]) -> web.Response:
    cart_id = call.path_id("cart")
    return await _changed(call, await carts.rotate_share_code(database_of(call.request), call.user, cart_id))


@api.op("POST", C + "/lines", summary="Add units of a product (merges with the same store+sku)", tag="carts",
        status=201, body=cs.LineAdd, response=cs.CartOut, roles=("shopper",), errors=(409,))
async def add_line(call: Call[cs.LineAdd, None]) -> web.Response:
    cart_id = call.path_id("cart")
    changed = await carts.add_line(database_of(call.request), call.user, cart_id, call.body, _if_match(call))
    return await _changed(call, changed, 201)


@api.op("PATCH", C + "/lines/{line}", summary="Set a line's quantity", tag="carts", body=cs.LinePatch,
        response=cs.CartOut, roles=("shopper",), errors=(409,))
async def patch_line(call: Call[cs.LinePatch, None]) -> web.Response:
    cart_id, line_id = call.path_id("cart"), call.path_id("line")
    changed = await carts.set_quantity(database_of(call.request), call.user, cart_id, line_id,
                                       call.body.quantity, _if_match(call))
    return await _changed(call, changed)


@api.op("DELETE", C + "/lines/{line}", summary="Remove a line", tag="carts", response=cs.CartOut,
        roles=("shopper",), errors=(409,))
async def delete_line(call: Call[None, None]) -> web.Response:
    cart_id, line_id = call.path_id("cart"), call.path_id("line")
    changed = await carts.remove_line(database_of(call.request), call.user, cart_id, line_id, _if_match(call))
    return await _changed(call, changed)


@api.op("POST", C + "/checkout", summary="Check out (any member; Idempotency-Key header required)", tag="carts",
        status=201, body=cs.CheckoutIn, response=cs.OrderGroupOut, roles=("shopper",), errors=(402, 409),
        limit="checkout")
async def checkout_cart(call: Call[cs.CheckoutIn, None]) -> web.Response:
    cart_id = call.path_id("cart")
    app = call.request.app
    result = await checkout.checkout(database_of(call.request), app[keys.PAYMENTS], call.user, cart_id,
                                     call.request.headers.get("Idempotency-Key"), call.body)
    app[keys.METRICS].checkouts.labels(result.outcome).inc()
    if not result.replayed:
        ended = CheckoutEnded(cart=cart_id, outcome=result.outcome, session=call.user.session_id)
        await app[keys.EVENTS].publish(ended)  # for analytics: refusals publish no other event
    await app[keys.EVENTS].publish_all(result.events)
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    if result.refusal is not None:
        response = domain_problem(result.refusal, call.request.path)
        response.headers.update(headers)
        return response
    return web.Response(body=result.order_group, status=checkout.PAID, content_type="application/json",
                        headers=headers)


@api.op("GET", "/api/v1/orders/{order}", summary="An order (the shopper who placed it)", tag="orders",
        response=cs.OrderOut, roles=("shopper",))
async def get_order(call: Call[None, None]) -> cs.OrderOut:
    order_id = call.path_id("order")
    return await orders.get_order(database_of(call.request), call.user, order_id)


@api.op("GET", "/api/v1/stores/{store}/orders", summary="The store's orders, newest first (its merchant)",
        tag="orders", query=cs.OrderListQuery, response=cs.OrderList, roles=("merchant",))
async def list_store_orders(call: Call[None, cs.OrderListQuery]) -> cs.OrderList:
    return await orders.store_orders(database_of(call.request), call.user, call.path("store"), call.query)


@api.op("POST", "/api/v1/orders/{order}/status", summary="Move an order along its state machine (merchant)",
        tag="orders", body=cs.OrderStatusChange, response=cs.OrderOut, roles=("merchant",), errors=(409,))
async def set_order_status(call: Call[cs.OrderStatusChange, None]) -> cs.OrderOut:
    order_id = call.path_id("order")
    out, events = await orders.set_status(database_of(call.request), call.user, order_id, call.body.status)
    if out.status == "cancelled":  # the money goes back once the provider refunded it (the sweep retries a failure)
        refunded = await payments.refund_order(database_of(call.request), call.request.app[keys.PAYMENTS], order_id)
        out = out.model_copy(update={"status": "refunded"}) if refunded else out
        events += refunded
    await call.request.app[keys.EVENTS].publish_all(events)
    return out
