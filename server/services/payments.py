"""Payment providers behind one small interface; the built-in ``test`` provider is instant and offline.

Test tokens (like Stripe's test cards): ``tok_decline`` is declined (``card_declined``); every other token is
approved. A provider decides synchronously, inside the checkout's unit of work (see checkout): that unit is
all-or-nothing, so a decision taken there can never leave a charge without an order. A remote provider fits
the same shape by being authorised *before* the checkout (the shopper confirms with the provider, which
hands back a token) and captured after the commit; ``charge`` then only checks the authorisation. It must
treat ``reference`` as its own idempotency key, so a retried checkout never charges twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from server.domain.errors import Unprocessable

DECLINE_TOKEN = "tok_decline"


@dataclass(frozen=True)
class PaymentResult:
    approved: bool
    charge_id: str
    decline_code: str | None = None


class PaymentProvider(Protocol):
    name: str

    def charge(self, amount: int, currency: str, token: str, reference: str) -> PaymentResult:
        """Charge ``amount`` minor units of ``currency`` without blocking; one ``reference`` charges once."""
        ...


class TestProvider:
    """Approves everything except ``tok_decline``; the charge id is derived from the reference."""

    name = "test"
    __test__ = False  # not a pytest test class, whatever its name says

    def charge(self, amount: int, currency: str, token: str, reference: str) -> PaymentResult:
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
