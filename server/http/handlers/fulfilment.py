"""Fulfilment and payment choices: a store's shipping fees and opening hours, pickup slots, a cart's quote, the
payment providers offered, and the Toss webhook. Decode, call a service, encode."""

from __future__ import annotations

from datetime import UTC, datetime

from server import keys
from server.contracts import fulfilment as fs
from server.domain.errors import NotFound
from server.http.handlers.carts import C
from server.http.registry import api
from server.http.routing import Call
from server.keys import database_of
from server.services import carts, payments, pickup, shipping

S = "/api/v1/stores/{store}"


@api.op("GET", S + "/fulfilment", summary="A store's shipping fees and opening hours (public for approved stores)",
        tag="fulfilment", response=fs.StoreFulfilmentOut)
async def get_fulfilment(call: Call[None, None]) -> fs.StoreFulfilmentOut:
    return await shipping.get_store_fulfilment(database_of(call.request), call.principal, call.path("store"))


@api.op("PUT", S + "/fulfilment", summary="Set the store's shipping fees and opening hours (its merchant)",
        tag="fulfilment", body=fs.StoreFulfilmentIn, response=fs.StoreFulfilmentOut, roles=("merchant",))
async def put_fulfilment(call: Call[fs.StoreFulfilmentIn, None]) -> fs.StoreFulfilmentOut:
    return await shipping.put_store_fulfilment(database_of(call.request), call.user, call.path("store"), call.body)


@api.op("GET", S + "/pickup_slots", summary="The store's pickup slots for the next days", tag="fulfilment",
        query=fs.PickupSlotsQuery, response=fs.PickupSlots)
async def store_pickup_slots(call: Call[None, fs.PickupSlotsQuery]) -> fs.PickupSlots:
    return await pickup.store_slots(database_of(call.request), call.principal, call.path("store"), call.query.days)


@api.op("GET", C + "/pickup_slots", summary="Pickup slots every store of the cart offers (members)", tag="carts",
        query=fs.CartSlotsQuery, response=fs.PickupSlots, roles=("shopper",))
async def cart_pickup_slots(call: Call[None, fs.CartSlotsQuery]) -> fs.PickupSlots:
    return await pickup.cart_slots(database_of(call.request), call.user, call.path_id("cart"), call.query.days,
                                   call.query.store)


@api.op("GET", C + "/quote", summary="What a checkout would charge now: goods and shipping per store (members)",
        tag="carts", query=fs.QuoteQuery, response=fs.CartQuote, roles=("shopper",))
async def cart_quote(call: Call[None, fs.QuoteQuery]) -> fs.CartQuote:
    return await carts.get_quote(database_of(call.request), call.user, call.path_id("cart"), call.query)


@api.op("GET", "/api/v1/payments/methods", summary="The payment providers and methods offered", tag="payments",
        response=fs.PaymentChoices)
async def payment_methods(call: Call[None, None]) -> fs.PaymentChoices:
    return call.request.app[keys.PAYMENTS].choices()


@api.op("POST", "/api/v1/payments/toss/webhook", summary="Toss Payments webhook (verified by its signature)",
        tag="payments", response=fs.WebhookAck, raw_body=("application/json",), errors=(401,))
async def toss_webhook(call: Call[None, None]) -> fs.WebhookAck:
    secret = call.request.app[keys.SETTINGS].toss_webhook_secret
    if secret is None:
        raise NotFound("this server takes no Toss webhooks")
    body = await call.request.read()
    payments.verify_signature(secret.get_secret_value(), body, call.request.headers, datetime.now(UTC))
    return await payments.apply_webhook(database_of(call.request), body)
