"""The admitter: once a second, every festival's waiting room lets in as many as the live layer can take.

"Can take" is the smaller of what the workers' measured load leaves room for (``AdmissionPolicy.room_for``;
with Redis the waiting room adds up every worker's latest) and what the festival's visitor cap leaves; the
waiting room subtracts the admitted tickets not used yet and applies the organizer's mode (auto, a fixed rate,
paused). Sale windows and caps are read every 5 s.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web

from server import keys
from server.live.ports import SaleWindow
from server.owned_task import owned_task

log = logging.getLogger("vrstore.admitter")
ROUND_S = 1.0
WINDOWS_EVERY_S = 5.0


async def admit_forever(app: web.Application) -> None:
    rooms, live, data = app[keys.WAITING_ROOMS], app[keys.LIVE], app[keys.LIVE_DATA]
    windows: dict[str, SaleWindow] = {}
    read_at = 0.0
    while True:
        await asyncio.sleep(ROUND_S)
        try:
            busy = await rooms.festivals_waiting()
            if not busy:
                continue
            if time.monotonic() - read_at >= WINDOWS_EVERY_S:
                windows = {w.festival: w for w in await data.sale_windows()}
                read_at = time.monotonic()
            room_for = live.admission.room_for()
            for festival in busy:
                window = windows.get(festival)
                cap_room = None
                if window is not None and window.visitor_cap is not None:
                    cap_room = max(0, window.visitor_cap - await live.cluster.festival_seats(festival))
                await rooms.admit_round(festival, room_for=room_for, cap_room=cap_room,
                                        opened=window is None or window.started, dt=ROUND_S)
        except Exception:  # a failed round (the database away) must not end admissions: the next one retries
            log.exception("admission round failed")


async def admitter_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the admitter task, owned by the app and cancelled on shutdown."""
    try:
        async with owned_task(admit_forever(app), "admitter"):
            yield
    finally:
        await app[keys.WAITING_ROOMS].close()
