"""Running the app in a process: signals, graceful shutdown."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Callable

from aiohttp import web

from server.app import create_app
from server.process.eventloop import loop_factory
from server.settings import Settings

SHUTDOWN_TIMEOUT_S = 10.0
WORKER_HEADER = "X-Vrstore-Worker"
log = logging.getLogger("vrstore")


def tune_gc() -> None:
    """Collect cyclic garbage less often. The live path allocates a few small containers per frame (40,000
    frames a second at 2,000 shoppers), so with the default threshold (700) the collector runs hundreds of
    times a second and each young-generation pass also walks the survivors of the last one; measured on
    bench/realtime.py at 2,000 shoppers this cost 10–15 % of the server's CPU. Objects that exist at start-up
    (modules, the app) are frozen out of every collection. Cycles are still collected, just in bigger
    batches."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def run(settings: Settings, *, reuse_port: bool = False, worker_id: str | None = None,
        on_ready: Callable[[], None] | None = None) -> None:
    """Serve until SIGINT/SIGTERM; aiohttp then runs on_shutdown and the cleanup contexts.

    ``reuse_port`` lets several worker processes bind the same port (SO_REUSEPORT, the kernel spreads the
    connections); ``worker_id`` then names the worker in every response's ``X-Vrstore-Worker`` header, so
    operators (and tests) can tell which one answered. ``on_ready`` is called once the socket listens.
    """
    tune_gc()
    log.info("settings in force: %s", json.dumps(settings.in_force(), ensure_ascii=False, sort_keys=True))
    app = create_app(settings, worker_id=worker_id)
    if worker_id is not None:
        async def name_worker(request: web.Request, response: web.StreamResponse) -> None:
            response.headers[WORKER_HEADER] = worker_id

        app.on_response_prepare.append(name_worker)
    suffix = f" (worker {worker_id})" if worker_id is not None else ""

    def listening(msg: str) -> None:
        print(f"vrstore listening on http://{settings.host}:{settings.port}{suffix}", flush=True)
        if on_ready is not None:
            on_ready()

    web.run_app(
        app,
        loop=loop_factory(settings.event_loop)(),
        host=settings.host,
        port=settings.port,
        reuse_port=reuse_port or None,
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
        access_log=None,
        print=listening,
    )
