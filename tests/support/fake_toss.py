"""A local stand-in for the Toss Payments API (confirm, cancel), as its public documentation describes it.

A test opens a "payment window" (``window``: the paymentKey Toss would hand the shopper for an orderId and amount),
then the server under test confirms it. The fake checks what Toss checks (Basic auth with the secret key and an
empty password, the amount the window was opened with) and records every call, so tests can see what reached the
provider: confirmations, cancellations (voids and refunds) and their idempotency keys.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

SECRET = "test_sk_fake_for_tests_only"


@dataclass
class TossPayment:
    payment_key: str
    order_id: str
    amount: int
    status: str = "READY"  # READY → DONE → CANCELED (or PARTIAL_CANCELED)
    cancelled: int = 0
    reject: str | None = None  # a code Toss would refuse the confirm with (e.g. REJECT_CARD_COMPANY)


@dataclass
class FakeToss:
    payments: dict[str, TossPayment] = field(default_factory=dict)
    calls: list[tuple[str, str, dict[str, Any], str]] = field(default_factory=list)  # (kind, key, body, idem key)
    confirmed: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    hold_confirms: asyncio.Event | None = None  # while set to an unset Event, confirms wait (a crash test's window)
    fail_confirms: bool = False
    server: TestServer | None = None

    def window(self, payment_key: str, order_id: str, amount: int, *, reject: str | None = None) -> TossPayment:
        payment = TossPayment(payment_key, order_id, amount, reject=reject)
        self.payments[payment_key] = payment
        return payment

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def _authorised(self, request: web.Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{SECRET}:".encode()).decode()
        return request.headers.get("Authorization") == expected

    async def confirm(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": "UNAUTHORIZED_KEY", "message": "bad key"}, status=401)
        body = await request.json()
        self.calls.append(("confirm", body["paymentKey"], body, request.headers.get("Idempotency-Key", "")))
        if self.fail_confirms:
            return web.json_response({"code": "FAILED_INTERNAL_SYSTEM_PROCESSING", "message": "try later"},
                                     status=500)
        payment = self.payments.get(body["paymentKey"])
        if payment is None or payment.order_id != body["orderId"]:
            return web.json_response({"code": "NOT_FOUND_PAYMENT_SESSION", "message": "no such window"}, status=404)
        if payment.amount != body["amount"]:
            return web.json_response({"code": "INVALID_REQUEST", "message": "amount differs"}, status=400)
        if payment.reject:
            return web.json_response({"code": payment.reject, "message": "rejected"}, status=403)
        payment.status = "DONE"
        self.confirmed.set()
        if self.hold_confirms is not None:
            await self.hold_confirms.wait()  # the server under test may die while waiting here
        return web.json_response({"paymentKey": payment.payment_key, "orderId": payment.order_id,
                                  "status": "DONE", "totalAmount": payment.amount, "method": "카드"})

    async def cancel(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": "UNAUTHORIZED_KEY", "message": "bad key"}, status=401)
        key = request.match_info["key"]
        body = await request.json()
        self.calls.append(("cancel", key, body, request.headers.get("Idempotency-Key", "")))
        payment = self.payments.get(key)
        if payment is None or payment.status == "READY":
            return web.json_response({"code": "NOT_FOUND_PAYMENT", "message": "nothing to cancel"}, status=404)
        if payment.status == "CANCELED":
            return web.json_response({"code": "ALREADY_CANCELED_PAYMENT", "message": "already"}, status=400)
        amount = int(body.get("cancelAmount", payment.amount - payment.cancelled))
        payment.cancelled += amount
        payment.status = "CANCELED" if payment.cancelled >= payment.amount else "PARTIAL_CANCELED"
        self.cancelled.set()
        return web.json_response({"paymentKey": key, "orderId": payment.order_id, "status": payment.status,
                                  "totalAmount": payment.amount})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/payments/confirm", self.confirm)
        app.router.add_post("/v1/payments/{key}/cancel", self.cancel)
        return app

    async def start(self, port: int | None = None) -> FakeToss:
        self.server = TestServer(self.app(), host="127.0.0.1", **({"port": port} if port else {}))
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.hold_confirms is not None:
            self.hold_confirms.set()
        if self.server is not None:
            await self.server.close()

    def of(self, kind: str, key: str) -> list[dict[str, Any]]:
        return [body for k, pk, body, _ in self.calls if k == kind and pk == key]
