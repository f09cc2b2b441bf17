"""Search answers kept for a moment, per worker (issue 21).

During a sale the same few words ("특가", "패딩", "sale") come from thousands of shoppers within seconds, and a
word that matches most of the festival costs tens of milliseconds of database work however well it is indexed:
every matching product group is priced and counted into the facets (bench/search.py, "broad"). So each worker
keeps an answer ``KEEP_S`` seconds per (festival, query) and computes it once however many ask at the same moment
(the others await that one computation); the least recently used answers go first beyond ``KEPT``.

Staleness is the product snapshot's rule (services/product_snapshots.py): a price or a stock count shown in a
search result may be up to ``KEEP_S`` old, never what a shopper pays — the product panel, the cart and checkout
read them live. Searches that found nothing are still counted once per ask (``services.search``), and an unknown
festival or store (404) is never kept.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

KEEP_S = 2.0  # how long an answer is served again
KEPT = 512  # answers kept per worker

T = TypeVar("T")


class Answers(Generic[T]):
    """Answers by key for ``keep_s`` seconds; one computation per key at a time."""

    def __init__(self, *, keep_s: float = KEEP_S, kept: int = KEPT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.keep_s = keep_s
        self.kept = kept
        self.clock = clock
        self.computed = 0  # computations started (for tests and metrics)
        self._answers: OrderedDict[str, tuple[float, T]] = OrderedDict()  # key → (computed at, answer)
        self._computing: dict[str, asyncio.Task[T]] = {}
        self._generation = 0  # bumped by clear(): an answer computed across a clear is not kept

    async def get(self, key: str, compute: Callable[[], Awaitable[T]]) -> T:
        kept = self._answers.get(key)
        if kept is not None and self.clock() - kept[0] < self.keep_s:
            self._answers.move_to_end(key)
            return kept[1]
        task = self._computing.get(key)
        if task is None:
            task = asyncio.create_task(self._compute(key, compute), name="search-answer")
            self._computing[key] = task
            task.add_done_callback(lambda _: self._computing.pop(key, None))
        # shield: a shopper who gives up does not cancel the computation the others are waiting for
        return await asyncio.shield(task)

    async def _compute(self, key: str, compute: Callable[[], Awaitable[T]]) -> T:
        self.computed += 1
        at, generation = self.clock(), self._generation  # the answer is as old as when it was asked
        answer = await compute()
        if generation != self._generation:  # a change landed while it was computed: serve it once, keep nothing
            return answer
        self._answers[key] = (at, answer)
        self._answers.move_to_end(key)
        while len(self._answers) > self.kept:
            self._answers.popitem(last=False)
        return answer

    def clear(self) -> None:
        """Forget every kept answer, and any being computed now (a catalog, synonym or discount change made by
        this worker)."""
        self._answers.clear()
        self._generation += 1

    async def close(self) -> None:
        """Cancel the computations still running (shutdown)."""
        tasks = list(self._computing.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
