"""Factories shared by the realtime tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from server.live.core.actions import Action, Close, Send
from server.live.core.poses import ClientPose, Pose, TickFrame, decode_tick, encode_client_pose
from server.live.core.room import JoinResult, Room

if TYPE_CHECKING:
    from server.live.service import Live

SCENE = {"glb": "/scenes/0123abcd.glb", "manifest": "/scenes/0123abcd.json"}


def pose_frame(
    x: float, y: float = 1.6, z: float = 0.0, *, t: int = 0, hands: bool = False,
    q: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0),
) -> bytes:
    """A client pose frame at (x, y, z) metres."""
    head = Pose((x, y, z), q)
    hand = (Pose((x - 0.3, y - 0.4, z), q), Pose((x + 0.3, y - 0.4, z), q)) if hands else None
    return encode_client_pose(ClientPose(time_ms=t, head=head, hands=hand))


def join(room: Room, conn: int, *, name: str | None = None, group: str | None = None, now: float = 0.0,
         resume: str | None = None, session: str | None = None) -> JoinResult:
    """Join a room as session ``s{conn}``."""
    return room.join(conn, session=session or f"s{conn}", name=name or f"Guest {conn}", now=now, scene=SCENE,
                     group=group, resume=resume)


def ticks(actions: list[Action]) -> dict[int, TickFrame]:
    """The decoded tick frame of each connection."""
    out = {}
    for a in actions:
        if isinstance(a, Send) and isinstance(a.frame, bytes):
            assert a.conn not in out, "one tick frame per connection per tick"
            out[a.conn] = decode_tick(a.frame)
    return out


def texts(actions: list[Action], conn: int | None = None) -> list[dict[str, Any]]:
    """Decoded JSON frames (optionally only those to ``conn``)."""
    return [json.loads(a.frame) for a in actions
            if isinstance(a, Send) and isinstance(a.frame, str) and (conn is None or a.conn == conn)]


def closes(actions: list[Action]) -> list[Close]:
    """The close instructions among actions."""
    return [a for a in actions if isinstance(a, Close)]


def on_tick(live: Live) -> Callable[[], Awaitable[None]]:
    """A waiter for the next tick of a running server's live loop."""
    ticked = asyncio.Event()
    tick = live.tick

    def tick_and_tell(now: float) -> None:
        try:
            tick(now)
        finally:
            ticked.set()

    live.tick = tick_and_tell  # type: ignore[method-assign]

    async def next_tick() -> None:
        ticked.clear()
        await asyncio.wait_for(ticked.wait(), 5)

    return next_tick
