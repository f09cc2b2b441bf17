"""Typed application keys: the one place that says what lives on the aiohttp app."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from server.auth import TokenCache
    from server.builds import BuildManager
    from server.contracts.forecast import ForecastOut
    from server.events import EventHooks, VisitorBoard
    from server.live.ports import LiveData
    from server.live.service import Live
    from server.metrics import Metrics
    from server.persistence.database import Database
    from server.services.product_snapshots import ProductSnapshots
    from server.services.rate_limiter import RateLimiter
    from server.services.waiting_rooms import WaitingRooms
    from server.settings import Settings
    from server.storage import Storage

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
DATABASE: web.AppKey[Database] = web.AppKey("database")  # every unit of work starts here
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
EVENTS: web.AppKey[EventHooks] = web.AppKey("events")
BUILD_POOL: web.AppKey[ProcessPoolExecutor] = web.AppKey("build_pool")  # scene builds and catalog imports
QUICK_POOL: web.AppKey[ProcessPoolExecutor] = web.AppKey("quick_pool")  # short CPU jobs (see quick_pool.py)
SNAPSHOTS: web.AppKey[ProductSnapshots] = web.AppKey("snapshots")  # every store's product document, cached
VISITORS: web.AppKey[VisitorBoard] = web.AppKey("visitors")
# Which server process this is: the supervisor's name for a worker, else host:pid (one process).
WORKER_ID: web.AppKey[str] = web.AppKey("worker_id", str)
STORAGE: web.AppKey[Storage] = web.AppKey("storage")
BUILDS: web.AppKey[BuildManager] = web.AppKey("builds")
TOKEN_CACHE: web.AppKey[TokenCache] = web.AppKey("token_cache")
LIVE: web.AppKey[Live] = web.AppKey("live")
LIVE_DATA: web.AppKey[LiveData] = web.AppKey("live_data")  # what the live layer asks of the database
FORECASTS: web.AppKey[dict[str, ForecastOut]] = web.AppKey("forecasts", dict)  # the latest, by festival
WAITING_ROOMS: web.AppKey[WaitingRooms] = web.AppKey("waiting_rooms")  # every festival's line (this process)
RATE_LIMITER: web.AppKey[RateLimiter] = web.AppKey("rate_limiter")  # the abuse limits (shared via Redis)
OPENAPI_JSON: web.AppKey[bytes] = web.AppKey("openapi_json", bytes)  # built once per app, before it freezes


def database_of(request: web.Request) -> Database:
    return request.app[DATABASE]
