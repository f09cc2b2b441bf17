"""When to ping a live connection and when to give up on it (sans-I/O: the edge's once-a-second sweep asks).

Two ways a client stops keeping up, told apart by the WebSocket ping, which a client answers only once it has
read everything sent before it:

- it went **silent** (the phone lost signal): no frame for ``heartbeat_s``, so it is pinged, and still nothing
  ``pong_timeout_s`` later closes it with HEARTBEAT_TIMEOUT (4010);
- it **does not read**: it still sends, but a ping stays unanswered. The server's own buffers may never show
  it: the client's kernel takes what the client leaves unread, and Linux grows a receive buffer as data
  arrives, read or not (megabytes, at a few KiB/s a shopper). So every connection is pinged every
  ``read_check_s`` (once the previous ping was answered), and one that keeps sending for ``slow_read_s / 2``
  after a ping it leaves unanswered for ``slow_read_s`` is closed with SLOW_CONSUMER (4005). A network stall
  delays the client's frames as much as its pong, so it never looks like this; it looks silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True, slots=True)
class LivenessConfig:
    heartbeat_s: float = 20.0  # VRSTORE_LIVE_HEARTBEAT_S
    pong_timeout_s: float = 10.0  # VRSTORE_LIVE_PONG_TIMEOUT_S
    read_check_s: float = 5.0
    slow_read_s: float = 10.0


class Verdict(Enum):
    WAIT = "wait"
    PING = "ping"
    NOT_READING = "not_reading"  # close with SLOW_CONSUMER
    SILENT = "silent"  # close with HEARTBEAT_TIMEOUT


def liveness(now: float, *, opened_at: float, last_rx: float, pinged_at: float | None, ponged_at: float | None,
             config: LivenessConfig) -> Verdict:
    """What to do with one connection now, from when it opened, last sent anything, was last pinged (None:
    never) and last answered a ping (None: never)."""
    if now - last_rx >= config.heartbeat_s:
        if pinged_at is None or pinged_at - last_rx < config.heartbeat_s:  # not asked since it fell silent: ask
            return Verdict.PING
        return Verdict.SILENT if now - pinged_at >= config.pong_timeout_s else Verdict.WAIT
    if pinged_at is not None and (ponged_at is None or ponged_at < pinged_at):
        talking = last_rx - pinged_at >= config.slow_read_s / 2
        return Verdict.NOT_READING if talking and now - pinged_at >= config.slow_read_s else Verdict.WAIT
    last_check = pinged_at if pinged_at is not None else opened_at
    return Verdict.PING if now - last_check >= config.read_check_s else Verdict.WAIT
