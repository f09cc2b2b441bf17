"""The live socket's receive side: pose frames are handled where they are parsed, not by a woken coroutine.

aiohttp parses WebSocket frames inside the protocol's ``data_received`` and puts each message on a queue; the
reader coroutine (``async for msg in ws``) is then woken to take it: a future resolved, a task step, and
``receive()``'s bookkeeping, for every frame, 10 times a second per shopper. A seated shopper's binary frames are
poses, whose handling never awaits, so :class:`FrameSink` calls the handler for them right there, inside
``data_received``. Measured at 2,200 walking shoppers (bench/realtime.py, two runs each): the server's CPU went from
61–65 % to 56 %, about 3 µs saved per pose.

Everything else still goes through the queue to the reader coroutine, as aiohttp intends: the hello, text
messages, pings, pongs and closes (aiohttp answers a close there). Order is kept: while anything is queued, a
pose queues behind it instead of overtaking it.

The hook is aiohttp's own queue class, subclassed; :class:`LiveSocket` installs it where aiohttp builds it
(``_post_start``, a private method: aiohttp is pinned in ``uv.lock``, and every live test goes through here).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp._websocket.reader import WebSocketDataQueue, WebSocketReader
from aiohttp.helpers import DEFAULT_CHUNK_SIZE  # what aiohttp's own queue is sized by

log = logging.getLogger("vrstore.live")

BinaryHandler = Callable[[bytes], None]


class FrameSink(WebSocketDataQueue):
    """aiohttp's message queue, except that binary frames go to ``on_binary`` once one is set."""

    on_binary: BinaryHandler | None = None

    def feed_data(self, data: Any, size: int) -> None:
        handler = self.on_binary
        if handler is None or data.type is not WSMsgType.BINARY or self._buffer:
            super().feed_data(data, size)
            return
        try:
            handler(data.data)
        except Exception:
            # Raised here, aiohttp would fail the connection with an anonymous error: keep the traceback in the
            # log, then let it do exactly that (one shopper's connection, not the server).
            log.exception("handling a pose frame failed; the connection is closed")
            raise


class LiveSocket(web.WebSocketResponse):
    """A ``WebSocketResponse`` whose messages arrive in a :class:`FrameSink` (``frames``)."""

    frames: FrameSink | None = None

    def _post_start(self, request: web.BaseRequest, protocol: str | None, writer: Any) -> None:
        # aiohttp 3.14's _post_start, with the sink in place of its queue. Nothing can have been received
        # before this runs: the parser is installed here.
        self._ws_protocol = protocol
        self._writer = writer
        self._reset_heartbeat()
        self.frames = self._reader = FrameSink(request._protocol, DEFAULT_CHUNK_SIZE, loop=request._loop)
        self._parser = WebSocketReader(self._reader, self._max_msg_size, compress=bool(self._compress),
                                       decode_text=self._decode_text)
        request.protocol.set_parser(self._parser,
                                    data_received_cb=None if self._heartbeat is None else self._on_data_received)
        request.protocol.keep_alive(False)
