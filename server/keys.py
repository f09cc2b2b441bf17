"""Typed application keys: the one place that says what lives on the aiohttp app."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

if TYPE_CHECKING:
    from server.events import EventHooks, VisitorBoard
    from server.metrics import Metrics
    from server.settings import Settings

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
ENGINE: web.AppKey[AsyncEngine] = web.AppKey("engine")
SESSIONMAKER: web.AppKey[async_sessionmaker[Any]] = web.AppKey("sessionmaker")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
EVENTS: web.AppKey[EventHooks] = web.AppKey("events")
BUILD_POOL: web.AppKey[ProcessPoolExecutor] = web.AppKey("build_pool")
VISITORS: web.AppKey[VisitorBoard] = web.AppKey("visitors")
# Which server process this is: the supervisor's name for a worker, else host:pid (one process).
WORKER_ID: web.AppKey[str] = web.AppKey("worker_id", str)
