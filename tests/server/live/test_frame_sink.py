"""The live socket's receive side (server/live/frame_sink.py), fed real client frames through aiohttp's own parser:
a seated shopper's poses are handled as they are parsed, everything else queues for the reader, and order holds."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
from typing import TYPE_CHECKING

import pytest
import websockets
from aiohttp import WSMsgType, web
from aiohttp._websocket.reader import WebSocketReader
from factories import bearer
from loadtest.lean import client_frame
from realtime_factories import on_tick, pose_frame

from server.live.frame_sink import FrameSink

if TYPE_CHECKING:
    from conftest import Mall


class Protocol:
    """What the queue asks of aiohttp's protocol: whether reading is paused, and to pause it."""

    _reading_paused = False

    def pause_reading(self) -> None:
        self._reading_paused = True


TEXT, BINARY = 0x1, 0x2


def sink_and_parser() -> tuple[FrameSink, WebSocketReader, list[bytes]]:
    sink = FrameSink(Protocol(), 2**16, loop=asyncio.get_running_loop())
    handled: list[bytes] = []
    return sink, WebSocketReader(sink, 64 * 1024, compress=False, decode_text=True), handled


async def test_before_the_hello_a_binary_frame_queues_like_any_other() -> None:
    sink, parser, _ = sink_and_parser()
    parser.feed_data(client_frame(BINARY, b"\x01pose"))
    msg = await sink.read()
    assert (msg.type, msg.data) == (WSMsgType.BINARY, b"\x01pose")


async def test_a_seated_shoppers_pose_is_handled_where_it_is_parsed() -> None:
    sink, parser, handled = sink_and_parser()
    sink.on_binary = handled.append
    parser.feed_data(client_frame(BINARY, b"\x01a") + client_frame(BINARY, b"\x01b"))
    assert handled == [b"\x01a", b"\x01b"]  # at once: no coroutine had to run
    assert not sink._buffer


async def test_a_pose_never_overtakes_a_message_still_waiting_for_the_reader() -> None:
    sink, parser, handled = sink_and_parser()
    sink.on_binary = handled.append
    parser.feed_data(client_frame(TEXT, b'{"type":"focus"}') + client_frame(BINARY, b"\x01a"))
    assert handled == []
    first, second = await sink.read(), await sink.read()
    assert (first.type, second.type, second.data) == (WSMsgType.TEXT, WSMsgType.BINARY, b"\x01a")
    parser.feed_data(client_frame(BINARY, b"\x01b"))  # the queue is empty again: straight to the handler
    assert handled == [b"\x01b"]


async def test_control_frames_still_reach_the_reader() -> None:
    sink, parser, handled = sink_and_parser()
    sink.on_binary = handled.append
    parser.feed_data(client_frame(0x9, b"hi") + client_frame(0x8, b"\x03\xe8"))  # a ping, then a close (1000)
    ping, close = await sink.read(), await sink.read()
    assert (ping.type, close.type, close.data) == (WSMsgType.PING, WSMsgType.CLOSE, 1000)
    assert handled == []


async def test_a_failing_handler_fails_that_connection_with_its_traceback_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    sink, parser, _ = sink_and_parser()

    def broken(data: bytes) -> None:
        raise ValueError("a bug in pose handling")

    sink.on_binary = broken
    with caplog.at_level(logging.ERROR, logger="vrstore.live"):
        parser.feed_data(client_frame(BINARY, b"\x01a"))
    with pytest.raises(ValueError, match="a bug in pose handling"):
        await sink.read()  # the reader sees the error and closes this socket
    [record] = caplog.records
    assert record.exc_info is not None and "connection is closed" in record.getMessage()


def test_the_aiohttp_method_the_live_socket_replaces_is_the_one_it_was_written_against() -> None:
    """LiveSocket._post_start restates aiohttp 3.14's, with the sink as its queue. An aiohttp upgrade that changes
    the original must be read again before it ships: this fails until the digest below is updated with it."""
    source = inspect.getsource(web.WebSocketResponse._post_start)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == "5537cb3f2ecae6ed", (
        "aiohttp's WebSocketResponse._post_start changed: bring server/live/frame_sink.py's LiveSocket in line")


async def test_a_seated_shoppers_socket_takes_poses_in_place_and_lets_go_when_it_ends(mall: Mall) -> None:
    next_tick = on_tick(mall.live)
    url = mall.url.replace("http", "ws", 1) + f"/api/v1/live?store={mall.tenant.store}"
    async with websockets.connect(url, additional_headers=bearer(await mall.shopper()), compression=None) as ws:
        await ws.send(json.dumps({"type": "hello", "v": 1}))
        assert json.loads(await ws.recv())["type"] == "welcome"
        [conn] = mall.live.conns.values()
        sink = conn.ws.frames
        assert sink is not None and sink.on_binary is not None
        await ws.send(pose_frame(1.0, 1.6, 2.0))
        [room] = mall.live.hub.rooms(mall.tenant.store).values()
        for _ in range(10):  # the pose is in the room's state once the server has read it
            if room.glances()[0][2] is not None:
                break
            await next_tick()
        assert room.glances()[0][2:] == (100, 200)
    while mall.live.conns:
        await next_tick()
    assert sink.on_binary is None  # the handler held the connection: released, or it would be a reference cycle
