"""The waiting room of a festival, as rules with no I/O: who is next, where each ticket stands, how long it waits.

Semantics are those shoppers know from Cloudflare Waiting Room and Queue-it:

- **One ticket per shopper session.** Asking again (a refresh, a second tab, a reconnect) returns the same ticket
  and place. A ticket names its festival and session and is signed (``tickets.py``): it cannot be forged, and
  it is worth nothing to another session, so passing it on never jumps the line.
- **FIFO by arrival** once the sale is open.
- **Pre-queue.** Tickets taken before the sale opens are not ordered by arrival: refreshing early gives no
  advantage. At the opening they are shuffled (a fair random order) and placed ahead of everyone who arrives later.
- **Admission window.** An admitted ticket must enter within ``admit_window_s``; otherwise its turn lapses and the
  room admits the next (the lapsed shopper may take a new ticket at the back).
- **Estimated wait** = position / the measured admission rate (an EWMA of admissions per second); when nothing
  has been admitted yet it uses the configured rate, and says ``None`` (unknown) while admission is paused.

State changes come in as calls with an explicit ``now``; the store behind it (in-process, or Redis across
workers) keeps ``QueueState`` and calls these functions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import Enum

from sortedcontainers import SortedList


class Phase(Enum):
    PREQUEUE = "prequeue"  # before the sale opens: unordered until the opening shuffle
    WAITING = "waiting"
    ADMITTED = "admitted"  # may enter until ``admitted_until``
    LAPSED = "lapsed"  # admitted but did not enter in time


@dataclass(slots=True)
class Entry:
    session: int
    arrived: float
    phase: Phase
    seq: int = 0  # place in the line (smaller = earlier); the shuffled pre-queue gets places before everyone
    admitted_until: float | None = None


@dataclass(frozen=True, slots=True)
class Standing:
    """What the shopper's waiting page shows."""

    phase: Phase
    position: int | None  # 1 = next; None once admitted (or in the pre-queue: no order yet)
    ahead: int  # shoppers ahead (the whole pre-queue for a pre-queued ticket)
    eta_s: float | None  # None: unknown (paused, or nothing measured and no rate set)
    admitted_until: float | None = None


@dataclass(slots=True)
class QueueState:
    """One festival's line: ``line`` holds the places (``seq``) of waiting tickets in order, so a position is a
    rank (O(log n) for 20,000 waiting shoppers polling every few seconds); the pre-queue is kept apart."""

    entries: dict[int, Entry] = field(default_factory=dict)
    line: SortedList = field(default_factory=SortedList)  # seqs of WAITING entries
    by_seq: dict[int, int] = field(default_factory=dict)  # seq → session
    prequeue: list[int] = field(default_factory=list)
    next_seq: int = 0
    opened: bool = False
    rate_per_s: float | None = None  # measured admissions per second (EWMA)
    last_admit_at: float | None = None


RATE_HALF_LIFE_S = 30.0  # the measured rate forgets half of itself in this time
POLL_S = 5.0  # the waiting page asks again at least this often while its wait is unknown or under ~20 s
POLL_NEAR_S = 1.0  # ...and this often near the front
# ...and at most this seldom far back. Every poll is a request to the worker that also carries the live rooms: a line
# of 2,000 asking every 5 s was 400 requests a second, and bench/joins.py saw the door shut at ~800 shoppers and a
# ticket take 2.8 s at p99. Asking a quarter of the estimated wait later hears the turn long before its 60 s lapse.
POLL_FAR_S = 30.0


def join(state: QueueState, session: int, now: float, *, opened: bool) -> Entry:
    """Take a place (or keep the one the session has). A lapsed ticket goes to the back."""
    entry = state.entries.get(session)
    if entry is not None and entry.phase is not Phase.LAPSED:
        return entry
    if entry is not None:
        leave(state, session)
    if not opened and not state.opened:
        entry = Entry(session, now, Phase.PREQUEUE)
        state.prequeue.append(session)
    else:
        entry = Entry(session, now, Phase.WAITING, seq=state.next_seq)
        state.next_seq += 1
        _enqueue(state, entry)
    state.entries[session] = entry
    return entry


def _enqueue(state: QueueState, entry: Entry) -> None:
    state.line.add(entry.seq)
    state.by_seq[entry.seq] = entry.session


def open_sale(state: QueueState, rng: random.Random) -> list[int]:
    """The sale opens: the pre-queue, shuffled, goes ahead of everyone who came after. Returns that order."""
    if state.opened:
        return []
    state.opened = True
    order = list(state.prequeue)
    rng.shuffle(order)
    first = (state.line[0] if state.line else state.next_seq) - len(order)
    for i, session in enumerate(order):
        entry = state.entries[session]
        entry.phase, entry.seq = Phase.WAITING, first + i
        _enqueue(state, entry)
    state.prequeue.clear()
    return order


def admit(state: QueueState, count: int, now: float, *, window_s: float, paused: bool = False) -> list[int]:
    """Let the next ``count`` in (FIFO); each must enter before ``now + window_s``.

    The admission rate (behind every estimated wait) is measured only over rounds in which someone waited and
    admission was not paused: an idle or paused spell says nothing about how fast the line will move, and
    averaging it in made the first estimates after it many times too long."""
    if paused or not state.line:
        state.last_admit_at = now  # the next measured interval starts here
        return []
    taken: list[int] = []
    while state.line and len(taken) < count:
        session = state.by_seq.pop(state.line.pop(0))
        entry = state.entries[session]
        entry.phase, entry.admitted_until = Phase.ADMITTED, now + window_s
        taken.append(session)
    _measure_rate(state, len(taken), now)
    return taken


def expire(state: QueueState, now: float) -> list[int]:
    """Admitted tickets whose window passed unused lapse (their turn goes to the next admission)."""
    lapsed = [s for s, e in state.entries.items()
              if e.phase is Phase.ADMITTED and e.admitted_until is not None and e.admitted_until <= now]
    for session in lapsed:
        state.entries[session].phase = Phase.LAPSED
    return lapsed


def entered(state: QueueState, session: int) -> None:
    """The admitted shopper is inside: the ticket has done its job."""
    state.entries.pop(session, None)


def leave(state: QueueState, session: int) -> None:
    """The shopper gave up their place."""
    entry = state.entries.pop(session, None)
    if entry is None:
        return
    if entry.phase is Phase.WAITING:
        state.line.discard(entry.seq)
        state.by_seq.pop(entry.seq, None)
    elif entry.phase is Phase.PREQUEUE:
        state.prequeue.remove(session)


def may_enter(state: QueueState, session: int, now: float) -> bool:
    entry = state.entries.get(session)
    return (entry is not None and entry.phase is Phase.ADMITTED and entry.admitted_until is not None
            and now < entry.admitted_until)


def standing(state: QueueState, session: int, *, configured_rate: float | None, paused: bool) -> Standing | None:
    """Where a session stands (None: it holds no ticket)."""
    entry = state.entries.get(session)
    if entry is None:
        return None
    if entry.phase is Phase.ADMITTED:
        return Standing(Phase.ADMITTED, None, 0, 0.0, entry.admitted_until)
    if entry.phase is Phase.LAPSED:
        return Standing(Phase.LAPSED, None, 0, None)
    if entry.phase is Phase.PREQUEUE:
        ahead = len(state.prequeue) - 1
        return Standing(Phase.PREQUEUE, None, ahead, None)
    ahead = state.line.index(entry.seq)
    return Standing(Phase.WAITING, ahead + 1, ahead, eta(state, ahead + 1, configured_rate=configured_rate,
                                                        paused=paused))


def eta(state: QueueState, position: int, *, configured_rate: float | None, paused: bool) -> float | None:
    """Seconds until ``position`` is admitted at the measured (or configured) rate; None while unknown."""
    if paused:
        return None
    rate = state.rate_per_s if state.rate_per_s else configured_rate
    if not rate:
        return None
    return position / rate


def _measure_rate(state: QueueState, admitted: int, now: float) -> None:
    if state.last_admit_at is None:
        state.last_admit_at = now
        return
    dt = now - state.last_admit_at
    if dt <= 0:
        return
    state.last_admit_at = now
    observed = admitted / dt
    weight = 1.0 - 0.5 ** (dt / RATE_HALF_LIFE_S)
    previous = state.rate_per_s
    state.rate_per_s = observed if previous is None else previous + weight * (observed - previous)


def poll_after_s(standing: Standing) -> float:
    """When the waiting page should ask again. The front hears sooner: the first ten places, and whoever should
    be in within 10 s (at a fast admission rate the front row is hundreds deep, and a turn heard 5 s late holds
    a seat empty meanwhile). Further back, a quarter of the estimated wait, between POLL_S and POLL_FAR_S."""
    near = (standing.position is not None and standing.position <= 10) or (
        standing.eta_s is not None and standing.eta_s <= 10)
    if near:
        return POLL_NEAR_S
    if standing.eta_s is None:
        return POLL_S
    return min(POLL_FAR_S, max(POLL_S, standing.eta_s / 4))
