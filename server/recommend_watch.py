"""Recommendations of this worker (issue 21), owned by the app while ``VRSTORE_ANALYTICS`` is on: the visits of
server/domain/recommend.py, fed with what shoppers look at (the live edge's once-a-second sample of its rooms, which
the analytics read too), the cart lines they add and the orders they pay (the service events); the pairs
they make written every ``FLUSH_S`` in one unit, and the hourly prune. See docs/ANALYTICS.md, "Recommendations".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web

from server import keys
from server.domain import recommend as rd
from server.domain.analytics import Glance
from server.domain.events import CartChanged, Event, OrderChanged
from server.services import recommend
from server.signing_key import signing_key

log = logging.getLogger("vrstore.recommend")
FLUSH_S = 5.0
PRUNE_EVERY_S = 3600.0


class Recorder:
    """This worker's visits and the paid order groups not yet read."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.visits = rd.Visits()
        self.key = rd.tag_key(signing_key(app[keys.SETTINGS]))
        self._orders: list[int] = []
        self._flushing = asyncio.Lock()  # one flush at a time: a caller's flush ends after the one under way

    def sample(self, now: float, store: str, glances: list[Glance]) -> None:
        """What the present shoppers of one room look at: the live edge's once-a-second sample of its rooms,
        read with the analytics (Live.glance_readers)."""
        for session, sku, _, _ in glances:
            if sku is not None and session.isdigit():
                self.visits.look(int(session), (store, sku), now)

    async def on_event(self, event: Event) -> None:
        match event:
            case CartChanged(change=change, by_session=session) if change.get("type") == "line_added" and session:
                self.visits.look(session, (str(change.get("store", "")), str(change.get("sku", ""))), time.time())
            case OrderChanged(status="paid", group=group):
                self._orders.append(group)  # its lines and session are read at the next flush
            case _:
                pass

    def forget(self, session: int) -> None:
        self.visits.forget(session)

    async def flush(self) -> None:
        """Read the paid orders' lines into their visits, then count every pair made since the last flush."""
        async with self._flushing:
            database = self.app[keys.DATABASE]
            groups, self._orders = list(dict.fromkeys(self._orders)), []
            now = time.time()
            if groups:
                for session, items in await recommend.bought(database, groups):
                    self.visits.buy(session, items, now)
            contributions = self.visits.take(now)
            if contributions:
                for session in await recommend.count(database, contributions, self.key, datetime.now(UTC)):
                    self.visits.forget(session)  # it turned personalisation off on some worker


async def _flush_every(recorder: Recorder) -> None:
    while True:
        await asyncio.sleep(FLUSH_S)
        try:
            await recorder.flush()
        except Exception:  # the database away: these pairs are lost, memory stays bounded (domain/recommend.py)
            log.warning("writing recommendation pairs failed", exc_info=True)


async def _prune_hourly(app: web.Application) -> None:
    while True:
        try:
            gone = await recommend.prune(app[keys.DATABASE], datetime.now(UTC),
                                         app[keys.SETTINGS].analytics_retention_days)
            if gone:
                log.info("pruned %d recommendation pairs", gone)
        except Exception:
            log.warning("pruning recommendation pairs failed", exc_info=True)
        await asyncio.sleep(PRUNE_EVERY_S)


async def recommend_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx, after the live edge (whose rooms it samples)."""
    if not app[keys.SETTINGS].analytics:
        yield
        return
    recorder = app[keys.RECOMMEND] = Recorder(app)
    unsubscribe = app[keys.EVENTS].subscribe(recorder.on_event)
    live = app.get(keys.LIVE)
    if live is not None:
        live.glance_readers.append(recorder.sample)
    tasks = [asyncio.create_task(_flush_every(recorder), name="recommend-flush"),
             asyncio.create_task(_prune_hourly(app), name="recommend-prune")]
    try:
        yield
    finally:
        unsubscribe()
        if live is not None:
            live.glance_readers.remove(recorder.sample)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await recorder.flush()
        except Exception:
            log.warning("writing recommendation pairs at shutdown failed", exc_info=True)
