"""Fair turns at a scarce resource (the build pool's processes): each owner waits behind at most one job of
every other owner, never behind another owner's whole backlog.

A merchant who queues five builds and a 100,000-row import must not make the next merchant's single build wait
for all six. Waiters queue per owner; when a slot frees, it goes to the owner who has had the fewest turns
since the pool was last idle (ties: whose next job waited longest), FIFO within an owner.
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class FairSlots:
    def __init__(self, limit: int) -> None:
        self._limit = self._free = limit
        self._waiting: OrderedDict[Hashable, deque[tuple[int, asyncio.Future[None]]]] = OrderedDict()
        self._turns: Counter[Hashable] = Counter()  # turns per owner since the pool was last idle
        self._arrivals = 0

    @property
    def waiting(self) -> int:
        return sum(len(q) for q in self._waiting.values())

    @asynccontextmanager
    async def turn(self, owner: Hashable) -> AsyncIterator[None]:
        """Hold one slot for ``owner`` while the block runs (waiting for it fairly first)."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
            self._turns[owner] += 1
        else:
            granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._arrivals += 1
            self._waiting.setdefault(owner, deque()).append((self._arrivals, granted))
            try:
                await granted
            except asyncio.CancelledError:
                if granted.done() and not granted.cancelled():
                    self._release()  # the slot came as the waiter gave up: pass it on
                else:
                    self._forget(owner, granted)
                raise
        try:
            yield
        finally:
            self._release()

    def _forget(self, owner: Hashable, granted: asyncio.Future[None]) -> None:
        queue = self._waiting.get(owner)
        if queue is None:
            return
        for entry in queue:
            if entry[1] is granted:
                queue.remove(entry)
                break
        if not queue:
            del self._waiting[owner]

    def _release(self) -> None:
        while self._waiting:
            owner = min(self._waiting, key=lambda o: (self._turns[o], self._waiting[o][0][0]))
            queue = self._waiting[owner]
            _, granted = queue.popleft()
            if not queue:
                del self._waiting[owner]
            if not granted.done():
                self._turns[owner] += 1
                granted.set_result(None)
                return
        self._free += 1
        if self._free == self._limit:
            self._turns.clear()  # idle: everybody starts even again
