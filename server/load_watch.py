"""The load watcher: every minute it records each festival's live load, every five it refreshes the forecast.

Each worker adds what it saw (new live shoppers, shoppers present) to the minute's row, so the history is the
festival's across workers (``services/load_history``). The forecast (``services/forecast``: Holt-Winters) runs
in the process pool; its result is kept for the API and published as Prometheus gauges, with the number of
workers it calls for at this worker's measured capacity (``vrstore_recommended_workers``), which an autoscaler
(Kubernetes HPA, KEDA) can follow: see docs/DEPLOY.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from aiohttp import web

from server import keys, pool_jobs
from server.contracts.forecast import ForecastOut
from server.owned_task import owned_task
from server.services import load_history
from server.services.forecast import recommended_workers

log = logging.getLogger("vrstore.load")
FORECAST_EVERY_MIN = 5


async def record_minute(app: web.Application, minute: datetime) -> None:
    """Add this worker's load of ``minute`` (which has just ended) to the history."""
    live = app[keys.LIVE]
    arrivals, live.arrivals = live.arrivals, type(live.arrivals)()
    festivals = set(arrivals) | live.hub.festivals()
    counts = {f: (arrivals.get(f, 0), live.hub.seats(f)) for f in festivals if f}
    async with app[keys.DATABASE].write() as db:
        await load_history.record(db, minute, counts)


async def refresh_forecast(app: web.Application, festival: str) -> ForecastOut:
    """Forecast the next hour of ``festival`` from its history (in the pool), keep it and publish it."""
    now = datetime.now(UTC)
    async with app[keys.DATABASE].read() as db:
        history = await load_history.shoppers_per_minute(db, festival, now)
    predicted = await asyncio.get_running_loop().run_in_executor(app[keys.QUICK_POOL], pool_jobs.forecast_load,
                                                                 history)
    live = app[keys.LIVE]
    capacity = live.admission.capacity() or 1
    shoppers = live.hub.seats(festival)
    out = ForecastOut(festival=festival, generated_at=now, model=predicted.model, history_minutes=len(history),
                      shoppers_now=shoppers, per_minute=[round(v, 1) for v in predicted.per_minute],
                      peak=round(predicted.peak, 1), capacity_per_worker=capacity,
                      recommended_workers=recommended_workers(shoppers, predicted.peak, capacity))
    app[keys.FORECASTS][festival] = out
    metrics = app[keys.METRICS]
    for ahead in (15, 30, 60):
        metrics.forecast_shoppers.labels(festival, str(ahead)).set(out.per_minute[ahead - 1])
    metrics.recommended_workers.labels(festival).set(out.recommended_workers)
    metrics.capacity_per_worker.set(capacity)
    return out


async def watch_load(app: web.Application) -> None:
    minutes = 0
    while True:
        now = time.time()
        await asyncio.sleep(60.0 - now % 60.0 + 0.05)  # just past the minute boundary
        ended = load_history.minute_of(datetime.now(UTC)) - timedelta(minutes=1)
        try:
            await record_minute(app, ended)
            minutes += 1
            if minutes % FORECAST_EVERY_MIN == 0:
                known: set[str] = set(app[keys.FORECASTS].keys())
                for festival in sorted(app[keys.LIVE].hub.festivals() | known):
                    if festival:
                        await refresh_forecast(app, festival)
        except Exception:  # the database away, a failed fit: log it; the next minute tries again
            log.exception("recording the load or forecasting failed")


async def load_watch_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the load watcher task, owned by the app and cancelled on shutdown."""
    app[keys.FORECASTS] = {}
    async with owned_task(watch_load(app), "load-watch"):
        yield
