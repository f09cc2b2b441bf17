"""Where a frame the live service decided to write goes: onto the transport now, or to the sender thread.

Most of a tick is the kernel's ``send``, one per shopper (``bench/socket_write.py``: ~5 µs of a ~6 µs write).
On the loop's thread the tick pays for every one of them before the loop may read again. During the tick,
:class:`ThreadedWrites` hands each instance's frames to a thread (``_send_thread.c``) that sends them with the
GIL released, while the loop builds the next instance's frames; at the end of the tick the loop waits for the
thread to catch up. Outside the tick (events, received poses), :data:`DIRECT` writes onto the transport.

The contract that keeps the socket's byte stream whole (the C side's half is at the top of ``_send_thread.c``):

- Between the first :meth:`ThreadedWrites.write` and :meth:`ThreadedWrites.finish` the caller runs no loop
  callback: nothing else writes to a socket in flight, or closes it (its descriptor cannot be reused).
- Only a socket whose transport holds nothing unsent goes to the thread; otherwise the frame would overtake what
  the transport still holds, so it is written onto the transport.
- A socket gets one send per tick. A second frame for it in the same tick waits for ``finish``.
- What the kernel did not take (a partial send, or none at all) is written onto the transport at ``finish``,
  before that socket's later frames, which buffers it there as any write to a full socket would.
- A send that failed drops that socket's frames for the tick; the read side ends the connection.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from server.live.service import Connection

log = logging.getLogger(__name__)


class Sender(Protocol):
    """What ``_send_thread.Sender`` offers (see its docstrings)."""

    def submit(self, fds: list[int], frames: list[bytes], /) -> None: ...

    def finish(self) -> list[int]: ...

    def close(self) -> None: ...


def load_sender() -> Sender | None:
    """The compiled sender thread, or None where it was not built (setup.py makes it optional)."""
    try:
        from server.live._send_thread import Sender as CSender  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        log.warning("server.live._send_thread is not built: the tick writes every frame from the loop's thread")
        return None
    sender: Sender = CSender()
    return sender


def socket_fd(transport: asyncio.BaseTransport | None) -> int | None:
    """The descriptor the sender thread may write a connection's frames to: a plain socket's, never one under
    TLS (its bytes must go through the SSL object, and ``get_extra_info("socket")`` is still the raw one)."""
    if transport is None or transport.get_extra_info("sslcontext") is not None:
        return None
    sock = transport.get_extra_info("socket")
    return sock.fileno() if sock is not None else None


class Writes(Protocol):
    def write(self, conn: Connection, data: bytes) -> None: ...


class DirectWrites:
    """Onto the transport, now: the loop's thread makes the system call (or the transport buffers the frame)."""

    def write(self, conn: Connection, data: bytes) -> None:
        conn.transport.write(data)  # type: ignore[union-attr]


DIRECT = DirectWrites()


class ThreadedWrites:
    """One tick's writes: collected per instance, sent by the thread, finished before the loop runs again."""

    def __init__(self, sender: Sender) -> None:
        self._sender = sender
        self._fds: list[int] = []
        self._frames: list[bytes] = []
        self._submitted: list[tuple[Connection, bytes]] = []  # in submit order, as finish() reports them
        self._later: dict[Connection, list[bytes]] = {}  # every socket in flight: frames that wait for finish()

    def write(self, conn: Connection, data: bytes) -> None:
        later = self._later.get(conn)
        if later is not None:
            later.append(data)
        elif conn.fd is None or conn.transport.get_write_buffer_size():  # type: ignore[union-attr]
            conn.transport.write(data)  # type: ignore[union-attr]
        else:
            self._later[conn] = []
            self._fds.append(conn.fd)
            self._frames.append(data)
            self._submitted.append((conn, data))

    def submit(self) -> None:
        """Hand what was written since the last call to the thread (one instance's frames, say)."""
        if self._fds:
            self._sender.submit(self._fds, self._frames)
            self._fds, self._frames = [], []

    def finish(self) -> int:
        """Wait for the thread; then write what the kernel did not take, and the frames that waited, in order.
        Returns how many sends the kernel did not take whole (failed ones included)."""
        self.submit()
        sent = self._sender.finish() if self._submitted else []
        handed_back = 0
        for (conn, data), took in zip(self._submitted, sent, strict=True):
            handed_back += took < len(data)
            if took < 0:
                # The send failed (-errno: the peer reset it, say). Its frames are dropped, not handed to the
                # transport: that write would only fail the same way, and aiohttp keeps the error of such a
                # write with its traceback, which holds the socket in a reference cycle (see
                # wire.drop_close_error). The socket is readable once it fails, so the read side ends the
                # connection as it does for any peer that went away.
                continue
            rest = [data[took:]] if took < len(data) else []
            rest += self._later[conn]
            if not rest or conn.transport is None or conn.transport.is_closing():
                continue
            conn.transport.write(rest[0] if len(rest) == 1 else b"".join(rest))
        self._submitted.clear()
        self._later.clear()
        return handed_back
