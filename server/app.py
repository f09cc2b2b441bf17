"""The aiohttp application factory, used by ``vrstore serve`` and by every test."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator

from aiohttp import web

from server import keys
from server.admitter import admitter_context
from server.analytics_watch import analytics_context
from server.auth import TokenCache
from server.builds import build_context
from server.events import EventHooks, VisitorBoard
from server.http import csrf, header_limits, problems, security
from server.http.registry import api
from server.image_fetch.guard import TestNetwork
from server.image_fetch.jobs import image_fetch_context
from server.live import ws as live_ws
from server.live.service import live_context
from server.live.service import on_shutdown as live_shutdown
from server.load_watch import load_watch_context
from server.metrics import Metrics, metrics_middleware
from server.payment_gateways import payments_context
from server.persistence import migrate
from server.persistence.database import Database
from server.quick_pool import quick_pool_context
from server.recommend_watch import recommend_context
from server.redis_conn import redis_client
from server.search_watch import search_watch_context
from server.services import idempotency
from server.services.live_data import DatabaseLiveData
from server.services.rate_limiter import RateLimiter
from server.services.search_answers import Answers
from server.services.waiting_rooms import LocalWaitingRooms, WaitingRooms
from server.services.waiting_rooms_redis import RedisWaitingRooms
from server.settings import Settings
from server.signing_key import signing_key

log = logging.getLogger("vrstore")


def _import_handlers() -> None:
    # Importing a handler module registers its operations with the registry.
    from server.http.handlers import (  # noqa: F401
        analytics,
        carts,
        foundation,
        fulfilment,
        image_fetch,
        merchant,
        ops,
        order_groups,
        organizer,
        queue,
        recommend,
        search,
        wayfinding,
    )


def create_app(settings: Settings | None = None, *, worker_id: str | None = None,
               image_fetch_test_network: TestNetwork | None = None) -> web.Application:
    """Build the app: middlewares, routes and the resources owned by ``cleanup_ctx``.

    ``worker_id`` names this process among the workers of one server (default: host:pid).
    ``image_fetch_test_network`` is for tests only: it lets the image fetcher reach the test's own local server,
    which the SSRF guard refuses otherwise (never set from the environment; logged as a warning)."""
    settings = settings or Settings()
    idempotency.set_takeover(settings.idempotency_takeover_s)
    _import_handlers()
    # client_max_size bounds every body aiohttp reads for us; uploads stream with their own limit.
    # Outermost first: the security headers reach every answer, problems included; the checks inside the problem
    # middleware refuse as problems. handler_args lifts aiohttp's own header limits so that header_limits answers.
    # A browser's 404 outside the API becomes a page just inside the problem middleware (web_pages.not_found_pages).
    from server.http.handlers import web as web_pages  # the shopper client's pages, static files and 404 pages

    app = web.Application(
        middlewares=[metrics_middleware, security.security_headers, problems.problem_middleware,
                     web_pages.not_found_pages, header_limits.header_limits, csrf.csrf_middleware],
        client_max_size=settings.max_json_bytes,
        handler_args=header_limits.PARSER_LIMITS,
    )
    app[keys.SETTINGS] = settings
    app[keys.WORKER_ID] = worker_id or f"{socket.gethostname()}:{os.getpid()}"
    app[keys.METRICS] = Metrics()
    app[keys.EVENTS] = EventHooks()
    app[keys.EVENTS].subscribe(app[keys.METRICS].on_event)
    app[keys.VISITORS] = VisitorBoard()
    app[keys.TOKEN_CACHE] = TokenCache()
    app[keys.SEARCH_ANSWERS] = Answers()
    app[keys.WAITING_ROOMS] = _waiting_rooms(settings, app[keys.WORKER_ID])
    app[keys.RATE_LIMITER] = RateLimiter.configured(settings.rate_limits, settings.redis_url)
    app.on_cleanup.append(_close_rate_limiter)
    app.on_cleanup.append(_close_search_answers)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(build_context)
    app.cleanup_ctx.append(quick_pool_context)
    app.cleanup_ctx.append(payments_context)  # after the database: its sweep voids what a crash left
    app.cleanup_ctx.append(image_fetch_context(image_fetch_test_network))  # uses the pool, storage and database
    app.cleanup_ctx.append(analytics_context)  # before live_context, which reads its counters
    app.cleanup_ctx.append(live_context)
    app.cleanup_ctx.append(recommend_context)  # after live_context: it samples the live rooms
    app.cleanup_ctx.append(admitter_context)
    app.cleanup_ctx.append(load_watch_context)
    app.cleanup_ctx.append(search_watch_context)
    app.on_shutdown.append(live_shutdown)
    from server.http.handlers import analytics, ops, order_groups, scenes

    ops.install(app)
    analytics.install(app)  # the organizer dashboard's live stream (not an API operation)
    scenes.install(app)
    live_ws.install(app)
    order_groups.install(app)  # the order page's event stream (not an API operation)
    api.install(app)
    web_pages.install(app)
    return app


def _waiting_rooms(settings: Settings, worker: str) -> WaitingRooms:
    """In Redis when ``redis_url`` is set (every worker shares the lines), else in this process."""
    key = signing_key(settings)
    window = settings.queue_admit_window_s
    if settings.redis_url:
        return RedisWaitingRooms(key, redis_client(settings.redis_url, timeout_s=1.0), admit_window_s=window,
                                 worker=worker)
    return LocalWaitingRooms(key, admit_window_s=window)


async def _close_rate_limiter(app: web.Application) -> None:
    await app[keys.RATE_LIMITER].close()


async def _close_search_answers(app: web.Application) -> None:
    await app[keys.SEARCH_ANSWERS].close()


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database.connect(settings.effective_database_url, pool_size=settings.db_pool_size,
                                busy_timeout_s=settings.sqlite_busy_timeout_s)
    if settings.auto_migrate:
        await migrate.upgrade(database.engine)
    app[keys.DATABASE] = database
    app[keys.LIVE_DATA] = DatabaseLiveData(database)
    database.warm_up()
    try:
        yield
    finally:
        await database.close()
