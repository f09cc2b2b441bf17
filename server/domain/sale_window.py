"""The festival's sale window: the one rule for "is the sale on now"."""

from __future__ import annotations

from datetime import datetime


def within_sale_window(starts_at: datetime | None, ends_at: datetime | None, now: datetime) -> bool:
    """True from ``starts_at`` (inclusive) until ``ends_at`` (exclusive); a missing bound is open-ended."""
    if starts_at is not None and now < starts_at:
        return False
    return ends_at is None or now < ends_at


def festival_started(starts_at: datetime | None, now: datetime) -> bool:
    """Whether the sale has begun (or has no start): until then the waiting line is a pre-queue, drawn at opening."""
    return starts_at is None or now >= starts_at
