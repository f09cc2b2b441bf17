"""Every festival's waiting room in this process: tickets, the line, the organizer's controls, admissions.

The rules are ``server.domain.waiting_room`` (FIFO, pre-queue shuffle, admission window, ETA) and
``server.domain.tickets`` (signed, bound to a festival and a session); this module holds the state, the clock
and the organizer's controls, and answers the live layer's port (``server.live.ports.Admissions``): may this
session enter now, or must it queue?

Two stores keep the lines: ``LocalWaitingRooms`` (this module, one process) and ``RedisWaitingRooms``
(``waiting_rooms_redis.py``: every worker shares one line per festival, and it outlives a worker).

When the line is in force: a session with an admitted ticket enters (and the ticket is used up); otherwise it
must queue while anyone is waiting (no cutting in line), while the organizer has paused admission, while the
worker's measured load admits no newcomer, or while the festival's cap is reached. With nobody waiting and room
to spare, shoppers walk straight in: the line costs nothing until it is needed.
"""

from __future__ import annotations

import abc
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from server.domain import tickets
from server.domain import waiting_room as wr
from server.domain.errors import NotFound

Mode = Literal["auto", "fixed", "paused"]
ADMIT_WINDOW_S = 60.0  # an admitted shopper must enter within this (VRSTORE_QUEUE_ADMIT_WINDOW_S)


@dataclass(slots=True)
class Controls:
    """The organizer's say: ``auto`` admits as the measured load allows, ``fixed`` at ``admit_per_min`` (never
    above what the load allows), ``paused`` admits nobody; ``message`` is shown to everyone waiting."""

    mode: Mode = "auto"
    admit_per_min: int | None = None
    message_ko: str | None = None
    message_en: str | None = None


@dataclass(slots=True)
class _Room:
    state: wr.QueueState = field(default_factory=wr.QueueState)
    controls: Controls = field(default_factory=Controls)
    credit: float = 0.0  # fixed mode: admissions earned but not yet made (fractions carry over)
    admitted_at: deque[float] = field(default_factory=deque)  # for "admitted in the last minute"


@dataclass(frozen=True, slots=True)
class TicketView:
    ticket: str
    standing: wr.Standing
    controls: Controls
    now: float


class WaitingRooms(abc.ABC):
    """Every festival's line; the shared part (tickets, views) is here, the storage in the subclasses."""

    def __init__(self, key: bytes, *, admit_window_s: float = ADMIT_WINDOW_S) -> None:
        self._key = key
        self._window = admit_window_s

    # ------------------------------------------------------------ shoppers

    @abc.abstractmethod
    async def take(self, festival: str, session: int, *, opened: bool) -> TicketView:
        """A ticket for this session (the same one again on a refresh, a second tab or a reconnect)."""

    async def status(self, festival: str, ticket: str, session: int) -> TicketView:
        await self._checked(festival, ticket, session)
        return await self._view(festival, session)

    async def cancel(self, festival: str, ticket: str, session: int) -> None:
        await self._checked(festival, ticket, session)
        await self._cancel(festival, session)

    async def _checked(self, festival: str, ticket: str, session: int) -> None:
        try:
            tickets.verify(self._key, ticket, festival=festival, session=session)
        except tickets.BadTicket as exc:
            raise NotFound(f"no such ticket: {exc}") from None
        if not await self._has(festival, session):
            raise NotFound("this ticket is no longer in the line; take a new one")

    async def _view(self, festival: str, session: int) -> TicketView:
        standing = await self._standing(festival, session)
        return TicketView(tickets.sign(self._key, festival, session), standing, await self.controls(festival),
                          self.now())

    @abc.abstractmethod
    async def _has(self, festival: str, session: int) -> bool: ...

    @abc.abstractmethod
    async def _cancel(self, festival: str, session: int) -> None: ...

    @abc.abstractmethod
    async def _standing(self, festival: str, session: int) -> wr.Standing: ...

    # ------------------------------------------------------------ the live layer's port

    @abc.abstractmethod
    async def must_queue(self, festival: str, session: int, *, admitting: bool, full: bool) -> bool:
        """Whether a live join must wait in line; an admitted ticket is used up by the entry it allows."""

    # ------------------------------------------------------------ the admitter (once a second)

    @abc.abstractmethod
    async def admit_round(self, festival: str, *, room_for: int, opened: bool, dt: float,
                          cap_room: int | None = None) -> list[int]:
        """Admit as many as fit: what the live layer can take now, less the tickets admitted but not used yet
        (their seats are spoken for). ``room_for`` is this worker's room by its measured load; a shared store
        adds up every worker's latest (a ticket enters whichever worker it lands on). ``cap_room`` is what the
        festival's visitor cap leaves, festival-wide (None: no cap)."""

    @abc.abstractmethod
    async def festivals_waiting(self) -> list[str]: ...

    # ------------------------------------------------------------ organizer

    @abc.abstractmethod
    async def controls(self, festival: str) -> Controls: ...

    @abc.abstractmethod
    async def set_controls(self, festival: str, controls: Controls) -> None: ...

    @abc.abstractmethod
    async def overview(self, festival: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    def now(self) -> float: ...

    async def close(self) -> None:  # noqa: B027 - only a Redis store has something to close
        """Release resources (never the lines: they outlive a worker)."""


class LocalWaitingRooms(WaitingRooms):
    """The lines of one process (the default without Redis)."""

    def __init__(self, key: bytes, *, clock: Callable[[], float] = time.time,
                 rng: random.Random | None = None, admit_window_s: float = ADMIT_WINDOW_S) -> None:
        super().__init__(key, admit_window_s=admit_window_s)
        self._clock = clock
        self._rng = rng or random.SystemRandom()
        self._rooms: dict[str, _Room] = {}

    def _room(self, festival: str) -> _Room:
        room = self._rooms.get(festival)
        if room is None:
            room = self._rooms[festival] = _Room()
        return room

    def now(self) -> float:
        return self._clock()

    async def take(self, festival: str, session: int, *, opened: bool) -> TicketView:
        room = self._room(festival)
        if opened:
            wr.open_sale(room.state, self._rng)
        wr.join(room.state, session, self._clock(), opened=opened)
        return await self._view(festival, session)

    async def _has(self, festival: str, session: int) -> bool:
        room = self._rooms.get(festival)
        return room is not None and session in room.state.entries

    async def _cancel(self, festival: str, session: int) -> None:
        wr.leave(self._room(festival).state, session)

    async def _standing(self, festival: str, session: int) -> wr.Standing:
        room = self._room(festival)
        standing = wr.standing(room.state, session, configured_rate=_configured_rate(room.controls),
                               paused=room.controls.mode == "paused")
        assert standing is not None  # _checked / take made sure the session holds a ticket
        return standing

    async def must_queue(self, festival: str, session: int, *, admitting: bool, full: bool) -> bool:
        room = self._rooms.get(festival)
        if room is not None and wr.may_enter(room.state, session, self._clock()):
            wr.entered(room.state, session)
            return False
        if room is None:
            return not admitting or full
        return (room.controls.mode == "paused" or bool(room.state.line) or bool(room.state.prequeue)
                or not admitting or full)

    async def admit_round(self, festival: str, *, room_for: int, opened: bool, dt: float,
                          cap_room: int | None = None) -> list[int]:
        room = self._rooms.get(festival)
        if room is None:
            return []
        now = self._clock()
        state = room.state
        wr.expire(state, now)
        if opened:
            wr.open_sale(state, self._rng)
        outstanding = sum(1 for e in state.entries.values() if e.phase is wr.Phase.ADMITTED)
        can = max(0, (room_for if cap_room is None else min(room_for, cap_room)) - outstanding)
        controls = room.controls
        if controls.mode == "paused":
            can = 0
        elif controls.mode == "fixed" and controls.admit_per_min:
            room.credit = min(room.credit + controls.admit_per_min * dt / 60.0, float(controls.admit_per_min))
            can = min(can, int(room.credit))
        taken = wr.admit(state, can, now, window_s=self._window, paused=controls.mode == "paused")
        if controls.mode == "fixed":
            room.credit -= len(taken)
        room.admitted_at.extend([now] * len(taken))
        while room.admitted_at and room.admitted_at[0] < now - 60.0:
            room.admitted_at.popleft()
        return taken

    async def festivals_waiting(self) -> list[str]:
        return [f for f, r in self._rooms.items() if r.state.line or r.state.prequeue
                or any(e.phase is wr.Phase.ADMITTED for e in r.state.entries.values())]

    async def controls(self, festival: str) -> Controls:
        return self._room(festival).controls

    async def set_controls(self, festival: str, controls: Controls) -> None:
        room = self._room(festival)
        room.controls, room.credit = controls, 0.0

    async def overview(self, festival: str) -> dict[str, Any]:
        room = self._room(festival)
        state = room.state
        waiting = len(state.line)
        return {
            "waiting": waiting,
            "prequeue": len(state.prequeue),
            "admitted_not_entered": sum(1 for e in state.entries.values() if e.phase is wr.Phase.ADMITTED),
            "admitted_last_minute": len(room.admitted_at),
            "eta_back_s": wr.eta(state, waiting, configured_rate=_configured_rate(room.controls),
                                 paused=room.controls.mode == "paused") if waiting else 0.0,
        }


def _configured_rate(controls: Controls) -> float | None:
    return controls.admit_per_min / 60.0 if controls.admit_per_min else None
