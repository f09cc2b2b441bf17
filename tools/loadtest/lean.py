"""A minimal WebSocket client for the load generator's non-observing shoppers: it speaks just enough of RFC 6455
to say ``hello``, send pose frames, answer pings and count what arrives.

Why not :class:`~server.live.client.LiveClient` for everybody: on ``websockets`` every frame costs a task
switch, a generator-based parser and a future, about 1 ms of CPU per shopper per second at 10 Hz each way, so
3,000 shoppers need three cores and the generator, not the server, sets the numbers. Here a frame is a
``transport.write`` and a few slices in ``data_received``; poses are paced by one loop per worker process
(:mod:`loadtest.worker`). Observers still use ``LiveClient`` and decode every tick.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import random
from collections import Counter
from typing import Any, cast
from urllib.parse import urlsplit

_mask_key = random.Random().randbytes  # seeded from the OS once per process
MAX_BUFFERED = 64 * 1024  # a shopper whose socket is this far behind skips poses instead of queueing them


class HandshakeRefused(ConnectionError):
    """The server answered the upgrade with an HTTP status other than 101."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (FIN set); the mask is random per frame as RFC 6455 asks. It comes from the
    process's PRNG, not ``os.urandom`` (a system call per pose, three times the cost): the mask only has to be
    unpredictable to intermediaries a browser's page could script, not cryptographic."""
    n = len(payload)
    head = bytes((0x80 | opcode, 0x80 | n)) if n < 126 else bytes((0x80 | opcode, 0xFE)) + n.to_bytes(2, "big")
    key = _mask_key(4)
    if not n:
        return head + key
    stream = (key * (n // 4 + 1))[:n]
    return head + key + (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


class Refused(ConnectionError):
    """The server closed the connection before ``welcome`` (4011 ``busy``: the join must wait in line)."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed during the handshake ({code})")
        self.code, self.reason = code, reason


class LeanClient(asyncio.Protocol):
    """One shopper's socket: handshake, ``hello`` → ``welcome``, then counting frames and bytes."""

    def __init__(self, request: bytes, hello: bytes) -> None:
        self.request, self.hello = request, hello
        self.transport: asyncio.Transport | None = None
        self.ready: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        self.welcome: dict[str, Any] = {}
        self.errors: Counter[str] = Counter()
        self.bytes_in = 0
        self.tick_count = 0
        self.skipped = 0  # poses not sent because the socket was backed up
        self._buf = bytearray()
        self._upgraded = False

    # ------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(Refused(self.close_code, self.close_reason))
        self.closed.set()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if not self._upgraded:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status_line = bytes(self._buf[: self._buf.find(b"\r\n")])
            del self._buf[: end + 4]
            status = int(status_line.split(b" ", 2)[1])
            if status != 101:
                self.ready.set_exception(HandshakeRefused(status))
                self._abort()
                return
            self._upgraded = True
            self._write(client_frame(0x1, self.hello))
        self._parse()

    # ------------------------------------------------------------ frames

    def _parse(self) -> None:
        buf, pos, n = self._buf, 0, len(self._buf)
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if n - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if n - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if b1 & 0x80:
                head += 4  # servers never mask, but skip a mask key rather than misparse
            if n - pos < head + length:
                break
            opcode = b0 & 0x0F
            start = pos + head
            pos = start + length
            if opcode == 0x2:
                self.tick_count += 1
                self.bytes_in += length
            elif opcode == 0x1:
                self.bytes_in += length
                self._on_text(bytes(buf[start:pos]))
            elif opcode == 0x9:
                self._write(client_frame(0xA, bytes(buf[start:pos])))
            elif opcode == 0x8:
                payload = bytes(buf[start:pos])
                self.close_code = int.from_bytes(payload[:2], "big") if length >= 2 else 1005
                self.close_reason = payload[2:].decode(errors="replace")
                self._write(client_frame(0x8, payload[:2]))
                self._abort()
                break
        del buf[:pos]

    def _on_text(self, payload: bytes) -> None:
        if not self.welcome:
            message = json.loads(payload)
            if message.get("type") == "welcome":
                self.welcome = message
                if not self.ready.done():
                    self.ready.set_result(message)
                return
        if payload.startswith(b'{"type": "error"') or payload.startswith(b'{"type":"error"'):
            self.errors[str(json.loads(payload).get("code"))] += 1

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _abort(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # ------------------------------------------------------------ API used by the worker

    @property
    def peer_id(self) -> int:
        return int(self.welcome["you"]["id"])

    def send_binary(self, payload: bytes) -> bool:
        """Send one binary frame unless the socket is backed up; returns whether it was sent."""
        t = self.transport
        if t is None or t.is_closing():
            return False
        if t.get_write_buffer_size() > MAX_BUFFERED:
            self.skipped += 1
            return False
        t.write(client_frame(0x2, payload))
        return True

    def send_text(self, message: dict[str, Any]) -> None:
        """Send one JSON text frame."""
        self._write(client_frame(0x1, json.dumps(message).encode()))

    async def close(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Close with 1000 (the seat goes at once) and wait for the server's close frame."""
        if self.closed.is_set():
            return
        self._write(client_frame(0x8, (1000).to_bytes(2, "big")))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.closed.wait(), timeout)
        self._abort()


async def connect_lean(base_url: str, store: str, token: str, *, timeout: float = 30.0,  # noqa: ASYNC109
                       client: type[LeanClient] = LeanClient) -> LeanClient:
    """Open ``/api/v1/live?store=…`` with a bearer token, say hello and wait for ``welcome`` (``client``: a
    subclass that records more, as bench/joins.py's does).

    Raises :class:`HandshakeRefused` on an HTTP refusal, :class:`Refused` when the server closes before ``welcome``
    (4011 ``busy``: wait in line), ``TimeoutError``, or ``ConnectionError``/``OSError``.
    """
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /api/v1/live?store={store} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Authorization: Bearer {token}\r\n\r\n").encode()
    hello = json.dumps({"type": "hello", "v": 1}).encode()
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        _, proto = await loop.create_connection(lambda: client(request, hello), host, port)
        try:
            await proto.ready
        except BaseException:
            proto._abort()
            raise
    return proto
