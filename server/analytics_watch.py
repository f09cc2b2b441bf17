"""Festival analytics of this worker, owned by the app (``VRSTORE_ANALYTICS``): the in-memory counters the live
edge and the service events feed, written to the database once a minute in one batch, and the hourly prune of
minutes older than ``VRSTORE_ANALYTICS_RETENTION_DAYS``. Every worker writes its own counts; answers add them.
At shutdown the current minute is written too. What is counted: server/domain/analytics.py, docs/ANALYTICS.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from aiohttp import web

from server import keys
from server.domain.analytics import Accumulator, Row, record_event
from server.domain.events import Event
from server.services import analytics

log = logging.getLogger("vrstore.analytics")
PRUNE_EVERY_S = 3600.0


async def flush(app: web.Application, rows: list[Row]) -> None:
    """Write rows in one transaction; a failure drops them (logged): memory must stay bounded."""
    if not rows:
        return
    try:
        async with app[keys.DATABASE].write() as db:
            await analytics.write(db, rows)
    except Exception:
        log.exception("writing %d analytics rows failed; they are dropped", len(rows))


async def flush_ended(app: web.Application, wall: Callable[[], float] = time.time) -> None:
    """Write the minutes that have ended (what a test calls instead of waiting for the minute)."""
    await flush(app, app[keys.ANALYTICS].take(wall()))


async def flush_every_minute(app: web.Application, wall: Callable[[], float] = time.time) -> None:
    """The app's writer: just past each minute's end, that minute's rows (``wall`` is the clock the counters
    use; a test passes one set just before a boundary)."""
    while True:
        await asyncio.sleep(60.0 - wall() % 60.0 + 1.0)  # just past the boundary: the minute has ended
        await flush_ended(app, wall)


async def _prune_hourly(app: web.Application) -> None:
    days = app[keys.SETTINGS].analytics_retention_days
    while True:
        try:
            async with app[keys.DATABASE].write() as db:
                gone = await analytics.prune(db, datetime.now(UTC), days)
            if gone:
                log.info("pruned %d analytics rows older than %d days", gone, days)
        except Exception:  # the database away: the next round tries again
            log.warning("pruning analytics failed", exc_info=True)
        await asyncio.sleep(PRUNE_EVERY_S)


async def analytics_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx (after the database, before the live edge, which reads ``keys.ANALYTICS`` when it starts)."""
    if not app[keys.SETTINGS].analytics:
        yield
        return
    acc = app[keys.ANALYTICS] = Accumulator()

    async def on_event(event: Event) -> None:
        record_event(acc, event, time.time())

    unsubscribe = app[keys.EVENTS].subscribe(on_event)
    tasks = [asyncio.create_task(flush_every_minute(app), name="analytics-flush"),
             asyncio.create_task(_prune_hourly(app), name="analytics-prune")]
    try:
        yield
    finally:
        unsubscribe()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await flush(app, acc.take_all())
