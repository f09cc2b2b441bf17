"""A Python client of the live protocol on the ``websockets`` library: used by the tests and the load generator.

It keeps a background reader that decodes every frame (or, with ``decode_ticks=False``, only counts the
binary ones, so a load generator can run thousands of cheap shoppers and fully decode a sample).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from server.live.core.poses import ClientPose, Pose, TickFrame, decode_tick, encode_client_pose

IDENTITY = (0.0, 0.0, 0.0, 1.0)


def clock_ms() -> int:
    """Wall clock in ms mod 2^32: the pose timestamp, comparable across processes on one machine."""
    return int(time.time() * 1000) & 0xFFFFFFFF


@dataclass
class LiveClient:
    ws: ClientConnection
    decode_ticks: bool = True
    welcome: dict[str, Any] = field(default_factory=dict)
    texts: list[dict[str, Any]] = field(default_factory=list)
    ticks: list[TickFrame] = field(default_factory=list)
    tick_count: int = 0
    bytes_in: int = 0
    latencies_ms: list[int] = field(default_factory=list)
    peers: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # peer id → last head position (cm)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    @classmethod
    async def connect(
        cls, base_url: str, store: str, token: str, *, origin: str | None = None, resume: str | None = None,
        group: str | None = None, decode_ticks: bool = True, keep_ticks: bool = True, festival: str | None = None,
        **kwargs: Any,
    ) -> LiveClient:
        """Open ``/api/v1/live``, say hello and wait for ``welcome`` (raises if the server refuses)."""
        url = base_url.replace("http", "ws", 1) + f"/api/v1/live?store={store}"
        if festival is not None:
            url += f"&festival={festival}"
        headers = {"Authorization": f"Bearer {token}"}
        ws = await websockets.connect(url, additional_headers=headers, origin=origin,  # type: ignore[arg-type]
                                      compression=kwargs.pop("compression", None), max_size=2**20, **kwargs)
        client = cls(ws, decode_ticks=decode_ticks)
        client._keep = keep_ticks  # type: ignore[attr-defined]
        hello: dict[str, Any] = {"type": "hello", "v": 1}
        if resume:
            hello["resume"] = resume
        if group:
            hello["group"] = group
        await ws.send(json.dumps(hello))
        client._reader = asyncio.create_task(client._read())
        await client.wait_for(lambda c: bool(c.welcome) or c.closed.is_set(), timeout=10)
        if not client.welcome:
            raise ConnectionError(f"refused with close code {client.close_code}: {client.texts[-1:]}")
        return client

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                self.bytes_in += len(frame)
                if isinstance(frame, bytes):
                    self.tick_count += 1
                    if self.decode_ticks:
                        self._on_tick(decode_tick(frame))
                else:
                    message = json.loads(frame)
                    if message.get("type") == "welcome":
                        self.welcome = message
                    else:
                        self.texts.append(message)
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.closed.set()
            self._changed.set()

    def _on_tick(self, tick: TickFrame) -> None:
        now = clock_ms()
        for left in tick.left:
            self.peers.pop(left, None)
        for record in tick.poses:
            self.peers[record.id] = record.head_cm
            self.latencies_ms.append((now - record.time_ms) & 0xFFFFFFFF)
        if getattr(self, "_keep", True):
            self.ticks.append(tick)

    async def wait_for(self, predicate: Callable[[LiveClient], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until ``predicate(self)`` holds, re-checking after every received frame."""
        async with asyncio.timeout(timeout):
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()

    async def send_pose(self, x: float, y: float = 1.6, z: float = 0.0, *, hands: bool = False) -> None:
        head = Pose((x, y, z), IDENTITY)
        hand = (Pose((x - 0.3, y - 0.4, z), IDENTITY), Pose((x + 0.3, y - 0.4, z), IDENTITY)) if hands else None
        await self.ws.send(encode_client_pose(ClientPose(time_ms=clock_ms(), head=head, hands=hand)))

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.texts if m.get("type") == kind]

    @property
    def peer_id(self) -> int:
        return int(self.welcome["you"]["id"])

    async def close_abnormally(self) -> None:
        """Drop the TCP connection without a close handshake, as a phone losing signal does."""
        self.ws.transport.abort()
        await self.closed.wait()

    async def close(self) -> None:
        await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
