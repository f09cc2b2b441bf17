"""The tick's writes (server/live/tick_writes.py and its compiled sender thread) on real sockets: what the kernel
takes is sent by the thread, what it does not is finished by the transport in order, a socket with unsent bytes
is never overtaken, and the live service delivers the same with the thread on and off (the fallback)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import pytest
from realtime_factories import on_tick

from server.live._send_thread import Sender  # type: ignore[import-not-found,unused-ignore]
from server.live.client import LiveClient
from server.live.tick_writes import ThreadedWrites, socket_fd
from server.settings import Settings

if TYPE_CHECKING:
    from conftest import Mall

    from server.live.service import Connection

SMALL_BUFFER = 4096  # bytes: the kernel doubles it, so ~8 KiB fills the socket


@dataclass(eq=False)
class Socket:
    """What the tick's writes read of a live connection."""

    fd: int | None
    transport: asyncio.Transport


class Watched(asyncio.Protocol):
    """The server side's protocol: says when its connection ends."""

    def __init__(self) -> None:
        self.lost: asyncio.Future[Exception | None] = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.set_result(exc)


class Peer:
    """A connected pair on the running loop: the server side as an asyncio transport, the client side plain."""

    def __init__(self, transport: asyncio.Transport, reader: socket.socket) -> None:
        self.transport, self.reader = transport, reader
        self.protocol = cast(Watched, transport.get_protocol())
        self.conn = cast("Connection", Socket(socket_fd(transport), transport))

    async def read_exactly(self, n: int) -> bytes:
        loop, got = asyncio.get_running_loop(), bytearray()
        while len(got) < n:
            got += await loop.sock_recv(self.reader, n - len(got))
        return bytes(got)

    @classmethod
    async def connect(cls, *, send_buffer: int | None = None) -> Peer:
        server_side, client_side = socket.socketpair()
        if send_buffer is not None:
            server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        client_side.setblocking(False)
        transport, _ = await asyncio.get_running_loop().connect_accepted_socket(Watched, server_side)
        return cls(transport, client_side)

    def close(self) -> None:
        self.transport.close()
        self.reader.close()


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    peer = await Peer.connect(send_buffer=SMALL_BUFFER)
    yield peer
    peer.close()


@pytest.fixture
def sender() -> Any:
    sender = Sender()
    yield sender
    sender.close()


def test_the_sender_reports_what_each_send_took_in_submit_order(sender: Any) -> None:
    a, b = socket.socketpair()
    a.setblocking(False)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL_BUFFER)
    closed = socket.socket()
    closed_fd = closed.detach()
    socket.close(closed_fd)  # a descriptor that is no longer open
    sender.submit([a.fileno()], [b"first"])
    sender.submit([a.fileno(), closed_fd], [b"x" * 1_000_000, b"lost"])
    took = sender.finish()
    assert took[0] == 5 and 0 < took[1] < 1_000_000 and took[2] < 0  # whole, partial, -EBADF
    assert b.recv(5) == b"first"
    assert sender.finish() == []  # each finish reports only what was submitted since the last
    a.close(), b.close()


def test_the_sender_refuses_what_is_not_a_descriptor_and_a_frame(sender: Any) -> None:
    with pytest.raises(TypeError):
        sender.submit([1], ["text"])
    with pytest.raises(ValueError, match="as many frames"):
        sender.submit([1, 2], [b"a"])
    assert sender.finish() == []


async def test_what_the_kernel_did_not_take_is_finished_by_the_transport_in_order(peer: Peer, sender: Any) -> None:
    big, after = bytes(range(256)) * 4096, b"the same socket's second frame of the tick"  # 1 MiB: more than fits
    writes = ThreadedWrites(sender)
    writes.write(peer.conn, big)
    writes.write(peer.conn, after)
    assert writes.finish() == 1  # one send handed back to the transport
    assert peer.transport.get_write_buffer_size() > 0
    assert await peer.read_exactly(len(big) + len(after)) == big + after


async def test_a_socket_with_unsent_bytes_is_never_overtaken(peer: Peer, sender: Any) -> None:
    held = b"h" * 1_000_000
    peer.transport.write(held)  # more than the kernel takes: the rest waits in the transport
    assert peer.transport.get_write_buffer_size() > 0
    writes = ThreadedWrites(sender)
    writes.write(peer.conn, b"tick")
    assert writes.finish() == 0  # it never went to the thread
    assert await peer.read_exactly(len(held) + 4) == held + b"tick"


async def test_frames_to_many_sockets_arrive_whole_across_several_submits(sender: Any) -> None:
    pairs = [await Peer.connect() for _ in range(20)]
    writes = ThreadedWrites(sender)
    for n, p in enumerate(pairs):
        writes.write(p.conn, b"frame %d;" % n)
        if n % 7 == 6:
            writes.submit()  # one instance's frames go to the thread while the next instance is built
    assert writes.finish() == 0
    assert [await p.read_exactly(len(b"frame %d;" % n)) for n, p in enumerate(pairs)] == [
        b"frame %d;" % n for n in range(20)]
    for p in pairs:
        p.close()


async def test_a_failed_send_drops_the_frames_and_the_read_side_ends_the_connection(peer: Peer, sender: Any) -> None:
    peer.reader.close()  # the peer is gone: the send fails (EPIPE or a reset)
    writes = ThreadedWrites(sender)
    writes.write(peer.conn, b"to nobody")
    writes.write(peer.conn, b"nor this")
    assert writes.finish() == 1
    # Ended by reading the peer's end (no error), not by a second write failing (which aiohttp would keep).
    assert await asyncio.wait_for(peer.protocol.lost, 5) is None


def test_a_socket_under_tls_is_never_written_past_its_ssl_object() -> None:
    class TlsTransport:
        def get_extra_info(self, name: str) -> object:
            return {"sslcontext": object(), "socket": SimpleNamespace(fileno=lambda: 7)}.get(name)

    assert socket_fd(cast(asyncio.Transport, TlsTransport())) is None
    assert socket_fd(None) is None


class RecordingSender:
    """The compiled sender, with a count of the frames it was handed."""

    def __init__(self) -> None:
        self._sender, self.frames = Sender(), 0

    def submit(self, fds: list[int], frames: list[bytes]) -> None:
        self.frames += len(frames)
        self._sender.submit(fds, frames)

    def finish(self) -> list[int]:
        return cast(list[int], self._sender.finish())

    def close(self) -> None:
        self._sender.close()


@pytest.fixture(params=[True, False], ids=["sender-thread", "loop-thread"])
def mall_settings(request: pytest.FixtureRequest, sqlite_settings: Settings) -> Settings:
    return sqlite_settings.model_copy(update={"live_send_thread": request.param})


async def test_shoppers_see_each_other_move_with_the_sender_thread_on_and_off(
        mall: Mall, mall_settings: Settings) -> None:
    live = mall.live
    recording = RecordingSender() if mall_settings.live_send_thread else None
    assert (live._sender is None) is (recording is None)
    if recording is not None:
        live._sender.close()  # type: ignore[union-attr]
        live._sender = recording
    a = await LiveClient.connect(mall.url, mall.tenant.store, mall.tenant.shopper)
    b = await LiveClient.connect(mall.url, mall.tenant.store, await mall.shopper("지수"))
    try:
        await a.send_pose(1.0, 1.6, 2.0)
        await b.wait_for(lambda c: c.peers.get(a.peer_id) == (100, 160, 200))
        await b.send_pose(-3.0, 1.6, 0.5)
        await a.wait_for(lambda c: c.peers.get(b.peer_id) == (-300, 160, 50))
        next_tick = on_tick(live)
        await next_tick()
    finally:
        await a.close()
        await b.close()
    if recording is not None:
        assert recording.frames > 0  # the ticks' frames went through the thread
