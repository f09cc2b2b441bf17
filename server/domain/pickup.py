"""When an order may be picked up: the one rule for a pickup slot, and the slots a store's opening hours offer.

A slot is a time the shop promises to have the order ready, so it must still be ahead of us, and no further ahead
than a shop plans its counter (``PICKUP_HORIZON``). It is not bound to the festival's sale window: the window
decides the price at the moment of purchase, while the goods are collected at the store, which stays open after
the festival. A slot in 1970 or in 9999 is a client bug, never an order.

Slots come from the store's weekly opening hours, read in the festival's time zone: every ``SLOT_MINUTES`` from an
opening time, as long as the whole slot ends by the closing time, and at least ``LEAD`` from now (a shop needs
that long to pack an order). A store that set no hours offers no pickup. A slot a client sends must be one of
them: there is no default slot, ever (a pickup once booked itself for 1:29 a.m.).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

PICKUP_HORIZON = timedelta(days=90)
SLOT_MINUTES = 30
LEAD = timedelta(minutes=30)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
MAX_INTERVALS_PER_DAY = 4
DAY_MINUTES = 24 * 60


def pickup_slot_problem(slot: datetime, now: datetime) -> str | None:
    """Why ``slot`` (timezone-aware) cannot be a pickup slot at ``now``, or None when it can."""
    if slot <= now:
        return f"is in the past ({slot.isoformat()}); pick a time after {now.isoformat(timespec='seconds')}"
    if slot - now > PICKUP_HORIZON:
        latest = (now + PICKUP_HORIZON).isoformat(timespec="seconds")
        return f"is more than {PICKUP_HORIZON.days} days ahead ({slot.isoformat()}); pick a time before {latest}"
    return None


@dataclass(frozen=True)
class OpeningHours:
    """Per weekday (0 = Monday) the intervals a store is open, as minutes after local midnight (close ≤ 1440)."""

    days: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7

    @property
    def any_open(self) -> bool:
        return any(self.days)

    def as_json(self) -> dict[str, list[list[str]]]:
        return {WEEKDAYS[d]: [[_clock(a), _clock(b)] for a, b in intervals]
                for d, intervals in enumerate(self.days) if intervals}


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: str) -> int:
    """``"09:30"`` → 570; ``"24:00"`` (a closing time) → 1440; anything else is a ValueError."""
    hours, sep, mins = text.partition(":")
    if not sep or len(hours) != 2 or len(mins) != 2 or not (hours.isdigit() and mins.isdigit()):
        raise ValueError(f"{text!r} is not a time like 09:30")
    value = int(hours) * 60 + int(mins)
    if int(mins) >= 60 or value > DAY_MINUTES:
        raise ValueError(f"{text!r} is not a time of day")
    return value


def parse_hours(raw: Mapping[str, Sequence[Sequence[str]]]) -> OpeningHours:
    """Hours as stored and sent: ``{"mon": [["10:00", "20:00"]], …}``; a ValueError says what is wrong, naming the
    day. Intervals of a day must each open before they close and must not overlap."""
    days: list[tuple[tuple[int, int], ...]] = []
    unknown = set(raw) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown day {sorted(unknown)[0]!r}: use {', '.join(WEEKDAYS)}")
    for name in WEEKDAYS:
        intervals = sorted((_minutes(pair[0]), _minutes(pair[1])) for pair in raw.get(name, ()))
        if len(intervals) > MAX_INTERVALS_PER_DAY:
            raise ValueError(f"{name}: at most {MAX_INTERVALS_PER_DAY} opening intervals a day")
        for opens, closes in intervals:
            if closes <= opens:
                raise ValueError(f"{name}: {_clock(opens)}–{_clock(closes)} closes before it opens")
        for (_, first_closes), (second_opens, _) in pairwise(intervals):
            if second_opens < first_closes:
                raise ValueError(f"{name}: opening intervals overlap")
        days.append(tuple(intervals))
    return OpeningHours(tuple(days))


def _day_slots(hours: OpeningHours, day: date, zone: ZoneInfo) -> Iterable[datetime]:
    for opens, closes in hours.days[day.weekday()]:
        start = opens
        while start + SLOT_MINUTES <= closes:
            yield datetime.combine(day, time(start // 60, start % 60), tzinfo=zone)
            start += SLOT_MINUTES


def pickup_slots(hours: Sequence[OpeningHours], zone: ZoneInfo, now: datetime, days: int) -> list[datetime]:
    """The slots of the next ``days`` local days (today included) that every one of ``hours`` offers: a cart of
    several stores picks up at each of them at the same time. Empty when any store offers no pickup."""
    if not hours or not all(h.any_open for h in hours):
        return []
    earliest = now + LEAD
    today = now.astimezone(zone).date()
    slots: list[datetime] = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        shared = set(_day_slots(hours[0], day, zone))
        for other in hours[1:]:
            shared &= set(_day_slots(other, day, zone))
        slots += sorted(s for s in shared if s >= earliest and s - now <= PICKUP_HORIZON)
    return slots


def slot_problem(hours: Mapping[str, OpeningHours], zone: ZoneInfo, slot: datetime, now: datetime) -> str | None:
    """Why ``slot`` cannot be picked up at every store of ``hours`` (slug → its hours), or None when it can."""
    general = pickup_slot_problem(slot, now)
    if general is not None:
        return general
    closed = sorted(slug for slug, h in hours.items() if not h.any_open)
    if closed:
        return f"cannot be booked: {', '.join(closed)} offers no pickup (no opening hours set)"
    if slot < now + LEAD:
        return f"is too soon ({slot.isoformat()}); the stores need {int(LEAD.total_seconds() // 60)} minutes"
    local = slot.astimezone(zone)
    for slug, store_hours in sorted(hours.items()):
        if local not in set(_day_slots(store_hours, local.date(), zone)):
            return (f"is not one of {slug}'s pickup slots ({local.isoformat()}): slots start every {SLOT_MINUTES} "
                    "minutes within its opening hours")
    return None
