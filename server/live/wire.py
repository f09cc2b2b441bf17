"""Server → client WebSocket data frames written straight onto the connection's transport.

Why not ``await ws.send_bytes(...)`` from a writer task per connection: at 2,000 shoppers and 10 Hz that is
20,000 task wake-ups a second just to move bytes the tick already has. An unmasked, uncompressed server frame
is a 2–10 byte header plus the payload (RFC 6455 §5.2), and the transport takes it without awaiting; the
caller checks :func:`writable` first so a socket that is not being read never buffers more than
``WRITE_HIGH_WATER`` in user space (its frames then wait in the bounded :class:`SendQueue` instead).

Pings come from the live layer's liveness sweep (see ``Live.sweep_liveness``); pong and close frames stay
with aiohttp. Both write whole frames in one synchronous call on the
same event loop, so frames never interleave.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Final

OP_TEXT: Final = 0x1
OP_BINARY: Final = 0x2
OP_PING: Final = 0x9
WRITE_HIGH_WATER: Final = 64 * 1024  # bytes the transport may buffer beyond what the kernel took

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
