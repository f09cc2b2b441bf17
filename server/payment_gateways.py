"""The payment providers this server offers, built from the settings, and the sweep that finishes what a crash left.

- ``test`` (``VRSTORE_TEST_PAYMENTS``, on by default): the built-in provider of services/payments.py.
- ``toss`` (when ``VRSTORE_TOSS_SECRET_KEY`` is set): Toss Payments (https://docs.tosspayments.com), written
  against its public API. The shopper approves in Toss's payment window, which hands the client a ``paymentKey``
  for the ``orderId`` and amount it was opened with; the checkout then *confirms* it
  (``POST /v1/payments/confirm {paymentKey, orderId, amount}``, HTTP Basic with the secret key and an empty
  password, our payment reference as ``Idempotency-Key``). Toss re-checks the amount against the window's, and we
  check the answer's ``totalAmount`` against ours. Toss's confirm both approves and captures (it has no separate
  capture), so our *authorise* is the confirm and our *capture* has nothing left to do; a *void* or a *refund* is
  ``POST /v1/payments/{paymentKey}/cancel`` (with ``cancelAmount`` for one order of several). A confirm that got no
  answer is voided by the sweep, so no charge outlives a checkout that never wrote its order.

This module and image_fetch/ hold the outbound HTTP of the server (aiohttp's client); services see the providers
only through the ``PaymentProvider`` protocol.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web

from server import keys
from server.contracts import carts as cs
from server.contracts import fulfilment as fs
from server.domain.errors import Unavailable
from server.services import payments as ledger
from server.services.payments import Authorisation, AuthRequest, Held, Payments, TestProvider
from server.settings import Settings

log = logging.getLogger("vrstore.payments")

TIMEOUT_S = 10.0
# Toss answers these for a payment that was never approved or is already cancelled: a void has nothing to do.
NOTHING_TO_VOID = {"NOT_FOUND_PAYMENT", "ALREADY_CANCELED_PAYMENT", "NOT_FOUND_PAYMENT_SESSION"}
OUR_FAULT = {"UNAUTHORIZED_KEY", "INVALID_API_KEY", "INCORRECT_BASIC_AUTH_FORMAT"}


class TossPayments:
    """Toss Payments through its confirm and cancel APIs."""

    name = "toss"
    immediate = False
    methods = cs.PAYMENT_METHODS

    def __init__(self, secret_key: str, client_key: str | None, api_url: str) -> None:
        self._auth = "Basic " + base64.b64encode(f"{secret_key}:".encode()).decode()
        self.client_key = client_key
        self.api_url = api_url.rstrip("/")
        self._http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def _post(self, path: str, body: dict[str, Any], idempotency_key: str) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": self._auth, "Idempotency-Key": idempotency_key}
        try:
            async with self._session().post(self.api_url + path, json=body, headers=headers) as response:
                data = await response.json(content_type=None)
                return response.status, data if isinstance(data, dict) else {}
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise Unavailable(f"the payment provider did not answer ({type(exc).__name__})") from None

    def authorise_now(self, request: AuthRequest) -> Authorisation:
        raise TypeError("Toss is asked over the network: use authorise()")

    async def authorise(self, request: AuthRequest) -> Authorisation:
        if not request.order_id:
            return Authorisation(False, request.token, "missing_order_id")
        status, data = await self._post("/v1/payments/confirm", {
            "paymentKey": request.token, "orderId": request.order_id, "amount": request.amount}, request.reference)
        if status == 200:
            if data.get("totalAmount") != request.amount or data.get("orderId") != request.order_id:
                # Never keep money we did not ask for: the sweep (or the caller) voids this row's payment.
                log.error("Toss confirmed %s for order %s; we asked %s for %s", data.get("totalAmount"),
                          data.get("orderId"), request.amount, request.order_id)
                raise Unavailable("the payment provider confirmed another amount; it is being cancelled")
            return Authorisation(True, str(data.get("paymentKey") or request.token))
        code = str(data.get("code") or f"http_{status}")
        if status >= 500 or status == 429 or code in OUR_FAULT:
            raise Unavailable(f"the payment provider cannot confirm payments now ({code})")
        return Authorisation(False, request.token, code)

    async def capture(self, held: Held) -> None:
        return None  # the confirm captured it

    async def _cancel(self, held: Held, body: dict[str, Any], key: str) -> None:
        if not held.provider_key:
            return
        status, data = await self._post(f"/v1/payments/{held.provider_key}/cancel", body, key)
        if status == 200 or data.get("code") in NOTHING_TO_VOID:
            return
        raise Unavailable(f"the payment provider did not cancel ({data.get('code') or status})")

    async def void(self, held: Held) -> None:
        await self._cancel(held, {"cancelReason": "주문이 완료되지 않아 결제를 취소합니다"}, "void-" + held.reference)

    async def refund(self, held: Held, amount: int, key: str) -> None:
        await self._cancel(held, {"cancelReason": "주문 취소", "cancelAmount": amount}, key + "-" + held.reference)

    def choice(self) -> fs.PaymentChoice:
        return fs.PaymentChoice(provider=self.name, methods=list(self.methods), client_key=self.client_key)


def build_payments(settings: Settings) -> Payments:
    payments = Payments()
    if settings.test_payments:
        payments.providers["test"] = TestProvider()
    if settings.toss_secret_key is not None:
        payments.providers["toss"] = TossPayments(settings.toss_secret_key.get_secret_value(),
                                                  settings.toss_client_key, settings.toss_api_url)
    return payments


def sweep_every(settings: Settings) -> float:
    """Often enough that a crash's authorisation is voided soon after it can no longer be a checkout in progress."""
    return min(30.0, max(0.5, settings.idempotency_takeover_s / 2))


async def _sweeping(app: web.Application, payments: Payments) -> None:
    settings = app[keys.SETTINGS]
    older_than = timedelta(seconds=settings.idempotency_takeover_s)
    while True:
        try:
            report = await ledger.sweep(app[keys.DATABASE], payments, older_than=older_than)
            await app[keys.EVENTS].publish_all(report.events)
        except Exception:  # the database or the provider may be away for a moment: the next round tries again
            log.warning("payment sweep failed", exc_info=True)
        await asyncio.sleep(sweep_every(settings))


async def payments_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx (after the database): the providers, and the sweep from start-up on."""
    payments = build_payments(app[keys.SETTINGS])
    app[keys.PAYMENTS] = payments
    task = asyncio.create_task(_sweeping(app, payments), name="payment-sweep")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        for provider in payments.providers.values():
            if isinstance(provider, TossPayments):
                await provider.close()
