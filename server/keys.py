"""Typed application keys: the one place that says what lives on the aiohttp app."""

from __future__ import annotations

import asyncio
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from server.auth import TokenCache
    from server.builds import BuildManager
    from server.contracts.forecast import ForecastOut
    from server.domain.analytics import Accumulator
    from server.events import EventHooks, VisitorBoard
    from server.image_fetch.jobs import ImageFetches
    from server.live.ports import LiveData
    from server.live.service import Live
    from server.metrics import Metrics
    from server.persistence.database import Database
    from server.recommend_watch import Recorder
    from server.services.payments import Payments
    from server.services.product_snapshots import ProductSnapshots
    from server.services.rate_limiter import RateLimiter
    from server.services.search import Found
    from server.services.search_answers import Answers
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
SEARCH_ANSWERS: web.AppKey[Answers[Found]] = web.AppKey("search_answers")  # kept a moment (services/search_answers.py)
VISITORS: web.AppKey[VisitorBoard] = web.AppKey("visitors")
# Which server process this is: the supervisor's name for a worker, else host:pid (one process).
WORKER_ID: web.AppKey[str] = web.AppKey("worker_id", str)
STORAGE: web.AppKey[Storage] = web.AppKey("storage")
BUILDS: web.AppKey[BuildManager] = web.AppKey("builds")
IMAGE_FETCHES: web.AppKey[ImageFetches] = web.AppKey("image_fetches")  # catalog image URLs fetched in the background
TOKEN_CACHE: web.AppKey[TokenCache] = web.AppKey("token_cache")
LIVE: web.AppKey[Live] = web.AppKey("live")
LIVE_DATA: web.AppKey[LiveData] = web.AppKey("live_data")  # what the live layer asks of the database
FORECASTS: web.AppKey[dict[str, ForecastOut]] = web.AppKey("forecasts", dict)  # the latest, by festival
WAITING_ROOMS: web.AppKey[WaitingRooms] = web.AppKey("waiting_rooms")  # every festival's line (this process)
RATE_LIMITER: web.AppKey[RateLimiter] = web.AppKey("rate_limiter")  # the abuse limits (shared via Redis)
PAYMENTS: web.AppKey[Payments] = web.AppKey("payments")  # the payment providers offered (payment_gateways.py)
ORDER_STREAMS: web.AppKey[asyncio.Event] = web.AppKey("order_streams")  # set: the order pages' streams end
ANALYTICS: web.AppKey[Accumulator] = web.AppKey("analytics")  # this worker's unflushed minutes (if enabled)
RECOMMEND: web.AppKey[Recorder] = web.AppKey("recommend")  # this worker's visits (server/recommend_watch.py)
# Open organizer dashboard streams (server-sent events): the app cancels them at shutdown.
ANALYTICS_STREAMS: web.AppKey[set[asyncio.Task[Any]]] = web.AppKey("analytics_streams")
OPENAPI_JSON: web.AppKey[bytes] = web.AppKey("openapi_json", bytes)  # built once per app, before it freezes


def database_of(request: web.Request) -> Database:
    return request.app[DATABASE]
