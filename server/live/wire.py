"""Server → client WebSocket data frames written straight onto the connection's transport.

Why not ``await ws.send_bytes(...)`` from a writer task per connection: at 2,000 shoppers and 10 Hz that is
20,000 task wake-ups a second just to move bytes the tick already has. An unmasked, uncompressed server frame
is a 2–10 byte header plus the payload (RFC 6455 §5.2), and the transport takes it without awaiting; the
caller checks :func:`writable` first so a socket that is not being read never buffers more than
``WRITE_HIGH_WATER`` in user space (its frames then wait in the bounded :class:`SendQueue` instead).

The kernel must not hide a client that stopped reading: left alone, Linux grows a loopback socket's send buffer
to 4 MiB, so the transport never backs up, :func:`writable` stays true and the slow-consumer rule never fires.
:func:`bound_kernel_buffer` caps what the kernel holds for a live socket, so its backlog shows in user space.

Pings come from the live layer's liveness sweep (see ``Live.sweep_liveness``); pong and close frames stay
with aiohttp (:func:`close_within` bounds how long a close may take). Both write whole frames in one
synchronous call on the same event loop, so frames never interleave.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import Final

from aiohttp import web

OP_TEXT: Final = 0x1
OP_BINARY: Final = 0x2
OP_PING: Final = 0x9
WRITE_HIGH_WATER: Final = 64 * 1024  # bytes the transport may buffer beyond what the kernel took
# What the kernel may hold for one live socket. SO_SNDBUF caps the whole send queue (Linux doubles the value
# for its bookkeeping; setting it also stops the autotuning towards 4 MiB); TCP_NOTSENT_LOWAT makes a write
# stop at 16 KiB not yet on the wire, however large the buffer: beyond that, frames wait in the transport,
# where writable() sees them. 10 Hz of ticks is a few KiB a second, so neither limits a client that reads.
SEND_BUFFER_BYTES: Final = 128 * 1024
NOT_SENT_LOW_WATER: Final = 16 * 1024

_LEN16: Final = struct.Struct("!BBH")
_LEN64: Final = struct.Struct("!BBQ")


def encode_frame(payload: bytes, opcode: int) -> bytes:
    """One final, unmasked data frame carrying ``payload``."""
    n = len(payload)
    first = 0x80 | opcode
    if n < 126:
        return bytes((first, n)) + payload
    if n < 65536:
        return _LEN16.pack(first, 126, n) + payload
    return _LEN64.pack(first, 127, n) + payload


def writable(transport: asyncio.Transport | None) -> bool:
    """Whether a frame may be written now without piling up in user space."""
    # Duck-typed on purpose: uvloop's transports are not subclasses of asyncio's.
    return (
        transport is not None
        and not transport.is_closing()
        and transport.get_write_buffer_size() < WRITE_HIGH_WATER
    )


def bound_kernel_buffer(transport: asyncio.BaseTransport | None) -> None:
    """Cap the kernel's share of a live socket's backlog (see the module docstring); best effort."""
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return
    with contextlib.suppress(OSError):  # a transport without a kernel socket buffer keeps its defaults
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        lowat = getattr(socket, "TCP_NOTSENT_LOWAT", None)  # Linux and macOS
        if lowat is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, lowat, NOT_SENT_LOW_WATER)


async def close_within(ws: web.WebSocketResponse, transport: asyncio.Transport | None, code: int,
                       reason: str, timeout_s: float) -> None:
    """Close with ``code``, waiting at most ``timeout_s`` for the client's answer, then drop the connection.

    A client that does not read (a slow consumer, a phone that lost signal) never answers the close frame,
    which waits behind everything still buffered for it; without a deadline its socket, buffers and seat would
    stay until TCP gives up, a quarter of an hour later. ``drain=False``: waiting for the buffer to empty is
    exactly what may never end."""
    try:
        async with asyncio.timeout(timeout_s):
            await ws.close(code=code, message=reason.encode()[:120], drain=False)
    except Exception:  # timed out, or the peer is gone already: either way it is dropped below
        pass
    finally:
        if transport is not None and not _flushed(transport):
            transport.abort()  # what is still queued would never be read: drop it (the client sees a reset)


def drop_close_error(ws: web.WebSocketResponse) -> None:
    """Cut the reference cycle aiohttp leaves behind when a client vanishes.

    On the end of the stream aiohttp closes the socket itself; writing the close frame onto the dead transport
    raises, and it keeps that error (``ws.exception()``), whose traceback holds the frames that hold the socket:
    the response, its request, transport and buffers, about 12 KiB per dropped connection, in a cycle that only
    a full collection frees. The server collects the oldest generation rarely (``process/single.py``), so they
    piled up: RSS grew by 12 MiB per 1,000 shoppers who lost their connection. Without the tracebacks
    (nothing reads them) reference counting frees it all at once."""
    error, seen = ws.exception(), set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        error.__traceback__ = None
        error = error.__context__ or error.__cause__


def _flushed(transport: asyncio.Transport) -> bool:
    return transport.is_closing() and transport.get_write_buffer_size() == 0


PING_FRAME: Final = encode_frame(b"", OP_PING)


class FrameEncoder:
    """Encodes a frame once however many recipients it goes to: a broadcast hands the same ``str`` or
    ``bytes`` object to every member in a row, so a one-entry memo by identity catches it."""

    __slots__ = ("_last", "_wire")

    def __init__(self) -> None:
        self._last: str | bytes | None = None
        self._wire = b""

    def __call__(self, frame: str | bytes) -> bytes:
        if frame is not self._last:
            self._last = frame
            self._wire = (encode_frame(frame, OP_BINARY) if isinstance(frame, bytes)
                          else encode_frame(frame.encode(), OP_TEXT))
        return self._wire
