"""When an order may be picked up: the one rule for a pickup slot.

A slot is a time the shop promises to have the order ready, so it must still be ahead of us, and no further ahead
than a shop plans its counter (``PICKUP_HORIZON``). It is not bound to the festival's sale window: the window
decides the price at the moment of purchase, while the goods are collected at the store, which stays open after
the festival. A slot in 1970 or in 9999 is a client bug, never an order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

PICKUP_HORIZON = timedelta(days=90)


def pickup_slot_problem(slot: datetime, now: datetime) -> str | None:
    """Why ``slot`` (timezone-aware) cannot be a pickup slot at ``now``, or None when it can."""
    if slot <= now:
        return f"is in the past ({slot.isoformat()}); pick a time after {now.isoformat(timespec='seconds')}"
    if slot - now > PICKUP_HORIZON:
        latest = (now + PICKUP_HORIZON).isoformat(timespec="seconds")
        return f"is more than {PICKUP_HORIZON.days} days ahead ({slot.isoformat()}); pick a time before {latest}"
    return None
