"""Typed application keys: the one place that says what lives on the aiohttp app."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

if TYPE_CHECKING:
    from server.auth import TokenCache
    from server.builds import BuildManager
    from server.events import EventHooks, VisitorBoard
    from server.metrics import Metrics
    from server.realtime.live import Live
    from server.realtime.ports import LiveData
    from server.settings import Settings
    from server.storage import Storage

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
ENGINE: web.AppKey[AsyncEngine] = web.AppKey("engine")
SESSIONMAKER: web.AppKey[async_sessionmaker[Any]] = web.AppKey("sessionmaker")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
EVENTS: web.AppKey[EventHooks] = web.AppKey("events")
BUILD_POOL: web.AppKey[ProcessPoolExecutor] = web.AppKey("build_pool")
VISITORS: web.AppKey[VisitorBoard] = web.AppKey("visitors")
# Which server process this is: the supervisor's name for a worker, else host:pid (one process).
WORKER_ID: web.AppKey[str] = web.AppKey("worker_id", str)
STORAGE: web.AppKey[Storage] = web.AppKey("storage")
BUILDS: web.AppKey[BuildManager] = web.AppKey("builds")
TOKEN_CACHE: web.AppKey[TokenCache] = web.AppKey("token_cache")
LIVE: web.AppKey[Live] = web.AppKey("live")
LIVE_DATA: web.AppKey[LiveData] = web.AppKey("live_data")  # what the live layer asks of the database
OPENAPI_JSON: web.AppKey[bytes] = web.AppKey("openapi_json", bytes)  # built once per app, before it freezes
