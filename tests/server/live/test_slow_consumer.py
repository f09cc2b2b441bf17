"""A client that never reads is disconnected (issue 16), over a real TCP socket on loopback, where the kernels
take megabytes for it: closed with 4005 and its connection dropped, while the others keep their ticks.

In a busy instance the server's send queue for it fills (the kernel's share of its socket is capped) and stays
full 5 s. In a quiet one the client's own kernel takes everything for minutes (Linux grows a receive buffer as
data arrives, read or not), so it is the ping it never answers while it keeps talking that gives it away."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import time
from typing import TYPE_CHECKING

import pytest
from realtime_factories import pose_frame

from server.live.client import LiveClient
from server.live.core.liveness import LivenessConfig
from server.live.core.protocol import CloseCode
from server.live.core.sendq import SLOW_CONSUMER_SECONDS
from server.live.service import CLOSE_TIMEOUT_S, Connection

if TYPE_CHECKING:
    from conftest import Mall

CHAT = "세일 중이에요! " * 50  # 450 characters: a large frame for everyone in the instance
# At the latest: the first ping (read_check_s after the hello), left unanswered slow_read_s, and the sweep's second.
WITHIN_S = LivenessConfig().read_check_s + LivenessConfig().slow_read_s + 2.0


def masked(opcode: int, payload: bytes) -> bytes:
    """One client frame (RFC 6455 §5.3: clients mask)."""
    mask = os.urandom(4)
    n = len(payload)
    head = bytes((0x80 | opcode, 0x80 | n)) if n < 126 else struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def never_reading_shopper(host: str, port: int, store: str, token: str) -> socket.socket:
    """Connect, upgrade, say hello; from then on this socket only ever writes."""
    sock = socket.create_connection((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /api/v1/live?store={store} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Authorization: Bearer {token}\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:  # the handshake's answer only, byte by byte: not one frame more
        response += sock.recv(1)
    assert response.startswith(b"HTTP/1.1 101"), response
    sock.sendall(masked(0x1, json.dumps({"type": "hello", "v": 1}).encode()))
    sock.setblocking(False)
    return sock


def close_code_or_reset(sock: socket.socket) -> int | None:
    """Read what the server left for the client: the close frame's code, or None if it reset the connection
    before the client got that far."""
    sock.setblocking(True)
    sock.settimeout(10)
    data = b""
    try:
        while chunk := sock.recv(1 << 16):
            data += chunk
    except ConnectionResetError:
        pass
    i = 0
    while i + 2 <= len(data):  # walk the frames; the close frame (0x8) carries the code in its first 2 bytes
        opcode, n, i = data[i] & 0x0F, data[i + 1] & 0x7F, i + 2
        if n == 126:
            n, i = struct.unpack_from("!H", data, i)[0], i + 2
        elif n == 127:
            n, i = struct.unpack_from("!Q", data, i)[0], i + 8
        if opcode == 0x8 and i + 2 <= len(data):
            return int(struct.unpack_from("!H", data, i)[0])
        i += n
    return None


@pytest.mark.slow
@pytest.mark.parametrize("busy", [True, False], ids=["busy: about 30 KB/s for it", "quiet: about 1 KB/s"])
async def test_a_client_that_never_reads_is_closed_4005_and_the_others_keep_their_ticks(
    mall: Mall, busy: bool
) -> None:
    t, live = mall.tenant, mall.live
    others = [await LiveClient.connect(mall.url, t.store, await mall.shopper(f"g{i}"), decode_ticks=False,
                                       keep_ticks=False) for i in range(30 if busy else 5)]
    await asyncio.gather(*(c.send_pose(i * 0.3, 1.6, 0.0, hands=busy) for i, c in enumerate(others)))
    await others[0].wait_for(lambda c: c.tick_count > 0)  # ticks flow: from now on they pace this test
    before = set(live.conns)
    victim_sock = await asyncio.to_thread(never_reading_shopper, mall.client.host, mall.client.port, t.store,
                                          await mall.shopper("잠수"))
    started = time.monotonic()
    try:
        while not (set(live.conns) - before):
            await others[0].wait_for(lambda c, n=others[0].tick_count: c.tick_count > n)  # its hello lands
        [victim_id] = set(live.conns) - before
        victim = live.conns[victim_id]
        closes: dict[int, float] = {}
        close, closed = live.close, live.closed
        gone = asyncio.Event()

        closing: list[asyncio.Task[object]] = []

        def close_and_note(conn: Connection, code: int, reason: str) -> None:
            close(conn, code, reason)
            if conn.id == victim_id:
                closes.setdefault(code, time.monotonic())
                # The server closes from a task of its own, named after the connection.
                closing.extend(t for t in asyncio.all_tasks() if t.get_name() == f"live-close-{victim_id}")

        def closed_and_note(conn: Connection, *, graceful: bool) -> None:
            closed(conn, graceful=graceful)
            if conn.id == victim_id:
                gone.set()

        live.close = close_and_note  # type: ignore[method-assign]
        live.closed = closed_and_note  # type: ignore[method-assign]

        full_since: float | None = None
        ticks_at_start = [c.tick_count for c in others]
        step = 0
        while not gone.is_set():
            assert time.monotonic() - started < WITHIN_S + CLOSE_TIMEOUT_S, "the non-reader is still connected"
            await others[0].wait_for(lambda c, n=others[0].tick_count: c.tick_count > n)  # the server's pace
            step += 1
            await asyncio.gather(*(c.send_pose(i * 0.3, 1.6, step * 0.01, hands=busy) for i, c in enumerate(others)))
            if busy and step % 20 < 3:  # every 2 s, they all chat (their bucket allows one every 2 s, 5 at once)
                await asyncio.gather(*(c.send({"type": "chat", "text": CHAT}) for c in others))
            if step % 10 == 0:  # the victim still talks (so no heartbeat closes it): it only never reads
                victim_sock.send(masked(0x2, pose_frame(0.0)))
            if full_since is None and victim.queue.full_since is not None:
                full_since = time.monotonic()
        # The close frame waits behind all that is queued: the server gives the client CLOSE_TIMEOUT_S at most,
        # then drops the connection.
        assert closing
        await asyncio.wait_for(asyncio.gather(*closing), CLOSE_TIMEOUT_S + 2.0)
        ended = time.monotonic()
        assert victim.transport is not None and victim.transport.is_closing()
        assert victim.transport.get_write_buffer_size() == 0

        assert set(closes) == {int(CloseCode.SLOW_CONSUMER)}
        slow = closes[int(CloseCode.SLOW_CONSUMER)]
        assert slow - started < WITHIN_S
        if busy:  # the server's buffers filled first: the send queue stayed full 5 s
            assert full_since is not None and slow - full_since <= SLOW_CONSUMER_SECONDS + 1.0
        else:  # the kernels took it all: the unanswered ping told
            assert full_since is None
        queue = "never" if full_since is None else f"after {full_since - started:.1f} s"
        print(f"\nqueue full {queue}, 4005 after {slow - started:.1f} s, connection dropped after "
              f"{ended - started:.1f} s")
        # Everyone else got about one tick per 100 ms all along.
        received = [c.tick_count - n for c, n in zip(others, ticks_at_start, strict=True)]
        assert min(received) >= 0.8 * (ended - started) * 10, received
        assert all(not c.closed.is_set() for c in others)
        code = await asyncio.to_thread(close_code_or_reset, victim_sock)
        assert code in (int(CloseCode.SLOW_CONSUMER), None)  # the close frame, or the reset that came first
    finally:
        victim_sock.close()
        for c in others:
            await c.close()
