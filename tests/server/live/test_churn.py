"""Memory comes back after shoppers leave (issue 16): rounds of fresh shoppers join, walk, and drop without a
goodbye; once their grace has passed, what the server still holds from them must not grow round over round.

It grew by about 500 bytes per shopper, and the server's RSS by about 10 MiB per 1,000 (each small leftover
pinned the memory of the requests it was made among): every resolved token stayed in the token cache until
50,000 had piled up.

For the numbers of a longer run: ``CHURN_ROUNDS=8 CHURN_SHOPPERS=1000 .venv/bin/python -m pytest -s
tests/server/live/test_churn.py`` prints what server code still holds after each round."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import os
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import websockets
from factories import bearer
from realtime_factories import pose_frame
from websockets.asyncio.client import ClientConnection

from server import keys
from server.settings import Settings

if TYPE_CHECKING:
    from conftest import Mall

SERVER = str(Path(__file__).resolve().parents[3] / "server")
ROUNDS, SHOPPERS = int(os.environ.get("CHURN_ROUNDS", 3)), int(os.environ.get("CHURN_SHOPPERS", 200))
GROWTH_PER_SHOPPER = 100  # bytes per shopper and round still held by server code: noise (~35), not a leak (~500)
# Frames kept per allocation: enough to see server code behind a library's allocation, few enough that 200
# joins do not take ten times as long.
TRACE_DEPTH = 3


@pytest.fixture
def mall_settings(sqlite_settings: Settings) -> Settings:
    return sqlite_settings.model_copy(update={"rate_limits": "off"})  # hundreds of guests from one address


class Clock:
    """Moves the live layer's and the token cache's clocks forward, past every grace, without waiting."""

    def __init__(self, mall: Mall) -> None:
        self.offset = 0.0
        real = time.monotonic
        mall.live.now = lambda: real() + self.offset  # type: ignore[method-assign]
        mall.client.app[keys.TOKEN_CACHE].clock = lambda: real() + self.offset


def on_tick(mall: Mall) -> Callable[[], Any]:
    """A waiter for the next tick of the live loop."""
    hub, ticked = mall.live.hub, asyncio.Event()
    tick = hub.tick

    def tick_and_tell(now: float) -> Any:
        try:
            return tick(now)
        finally:
            ticked.set()

    hub.tick = tick_and_tell  # type: ignore[method-assign]

    async def next_tick() -> None:
        ticked.clear()
        await asyncio.wait_for(ticked.wait(), 5)

    return next_tick


async def churn_round(mall: Mall, shoppers: int, clock: Clock, next_tick: Callable[[], Any]) -> None:
    """``shoppers`` new guests join, each sends a pose, all drop abruptly; then their graces run out."""
    tokens = await asyncio.gather(*(mall.shopper(f"g{i}") for i in range(shoppers)))
    url = mall.url.replace("http", "ws", 1) + f"/api/v1/live?store={mall.tenant.store}"

    async def join(i: int) -> ClientConnection:
        ws = await websockets.connect(url, additional_headers=bearer(tokens[i]), compression=None)
        await ws.send(json.dumps({"type": "hello", "v": 1}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert welcome["type"] == "welcome", welcome
        await ws.send(pose_frame(i % 7 - 3.0, 1.6, i % 5 - 2.0))
        return ws

    sockets = [ws for i in range(0, shoppers, 50) for ws in await asyncio.gather(*map(join, range(i, i + 50)))]
    await next_tick()
    await next_tick()  # everyone got ticks with everyone else's poses
    for ws in sockets:
        ws.transport.abort()  # a phone losing signal: no close frame
    live = mall.live
    while live.conns:
        await next_tick()
    for step in (31.0, 61.0):  # the seats' grace (30 s) runs out, then the empty instances' (60 s)
        clock.offset += step
        await next_tick()
    assert not live.hub.counts() and not live.conns


def held_by_server(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes of live allocations made with server code on the stack."""
    return sum(s.size for s in snapshot.filter_traces([tracemalloc.Filter(True, SERVER + "/*", all_frames=True)])
               .statistics("filename"))


async def measure(mall: Mall, rounds: int, shoppers: int) -> list[int]:
    live = mall.live
    live.admission.config = dataclasses.replace(live.admission.config, always_admit_below=10**6)  # joins race in
    clock, next_tick = Clock(mall), on_tick(mall)
    # A first round untraced fills what is filled once (statements, pools, interned names), then each traced one
    # says what server code still holds.
    await churn_round(mall, shoppers, clock, next_tick)
    held = []
    tracemalloc.start(TRACE_DEPTH)
    try:
        for _ in range(rounds):
            await churn_round(mall, shoppers, clock, next_tick)
            gc.collect()
            held.append(held_by_server(tracemalloc.take_snapshot()))
    finally:
        tracemalloc.stop()
    return held


@pytest.mark.slow
async def test_what_leaving_shoppers_leave_behind_does_not_grow(mall: Mall) -> None:
    held = await measure(mall, ROUNDS, SHOPPERS)
    print(f"\nheld by server code after each round of {SHOPPERS} shoppers (KiB):",
          [round(h / 1024) for h in held])
    growth = (held[-1] - held[0]) / (len(held) - 1)
    assert growth < GROWTH_PER_SHOPPER * SHOPPERS, f"{growth:.0f} bytes more per round: {held}"
