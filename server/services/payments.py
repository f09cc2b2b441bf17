"""Payment providers behind one small interface; the built-in ``test`` provider is instant and offline.

Test tokens (like Stripe's test cards): ``tok_decline`` is declined (``card_declined``); every other token is
approved. A real provider plugs in by implementing ``PaymentProvider`` and registering under a name; it must
treat ``reference`` as its own idempotency key, so a retried checkout never charges twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from server.errors import ServiceError, Unprocessable

DECLINE_TOKEN = "tok_decline"


@dataclass(frozen=True)
class PaymentResult:
    approved: bool
    charge_id: str
    decline_code: str | None = None


class PaymentProvider(Protocol):
    name: str

    async def charge(self, amount: int, currency: str, token: str, reference: str) -> PaymentResult:
        """Charge ``amount`` minor units of ``currency``; the same ``reference`` must never charge twice."""
        ...


class PaymentDeclined(ServiceError):
    """402: the provider said no; nothing was charged and no stock was taken."""

    status, slug, title = 402, "payment-declined", "Payment declined"


class TestProvider:
    """Approves everything except ``tok_decline``; the charge id is derived from the reference."""

    name = "test"
    __test__ = False  # not a pytest test class, whatever its name says

    immediate = True  # decides without I/O, so the checkout may charge inside its database call

    async def charge(self, amount: int, currency: str, token: str, reference: str) -> PaymentResult:
        return self.charge_now(amount, currency, token, reference)

    def charge_now(self, amount: int, currency: str, token: str, reference: str) -> PaymentResult:
        """The same decision, synchronously (see ``immediate``)."""
        charge_id = "ch_test_" + hashlib.sha256(reference.encode()).hexdigest()[:24]
        if token == DECLINE_TOKEN:
            return PaymentResult(False, charge_id, "card_declined")
        return PaymentResult(True, charge_id)


PROVIDERS: dict[str, PaymentProvider] = {"test": TestProvider()}


def provider(name: str) -> PaymentProvider:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise Unprocessable(f"unknown payment provider {name!r}",
                            errors=[{"loc": ["body", "payment", "provider"], "msg": "unknown provider"}]) from None
