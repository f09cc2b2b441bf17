"""Running the app in a process: signals, graceful shutdown."""

from __future__ import annotations

from aiohttp import web

from server.app import create_app
from server.settings import Settings

SHUTDOWN_TIMEOUT_S = 10.0


def run(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM; aiohttp then runs on_shutdown and the cleanup contexts."""
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
        access_log=None,
        print=lambda msg: print(f"vrstore listening on http://{settings.host}:{settings.port}", flush=True),
    )
