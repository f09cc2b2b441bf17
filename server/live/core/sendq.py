"""One bounded send queue per connection: latest pose wins, a slow consumer is dropped, never waited on.

Frames only queue here while the socket is backed up (the live layer writes straight to the transport
otherwise); the tick loop only ever calls ``offer`` and ``popleft`` (no await), so it never blocks on a socket.
"""

from __future__ import annotations

from collections import deque

SEND_QUEUE_FRAMES = 64
SLOW_CONSUMER_SECONDS = 5.0


class SendQueue:
    """Frames waiting for one socket, with the state the backpressure rules need."""

    def __init__(self, limit: int = SEND_QUEUE_FRAMES) -> None:
        self.frames: deque[tuple[str | bytes, bool]] = deque()
        self.limit = limit
        self.full_since: float | None = None
        self.dropped = 0

    def offer(self, frame: str | bytes, droppable: bool, now: float) -> bool:
        """Queue a frame; False when a non-droppable frame had to be dropped (the peer table is stale)."""
        if len(self.frames) < self.limit:
            self.full_since = None
            self.frames.append((frame, droppable))
            return True
        if self.full_since is None:
            self.full_since = now
        self.dropped += 1
        if droppable:
            self._replace_droppable(frame)  # or, with only control frames queued, this pose update is lost
            return True
        return False

    def _replace_droppable(self, frame: str | bytes) -> bool:
        # Latest pose wins: the newest queued tick gives way to this newer one.
        for i in range(len(self.frames) - 1, -1, -1):
            if self.frames[i][1]:
                del self.frames[i]
                self.frames.append((frame, True))
                return True
        return False

    def stuck(self, now: float) -> bool:
        return self.full_since is not None and now - self.full_since >= SLOW_CONSUMER_SECONDS

    def popleft(self) -> tuple[str | bytes, bool]:
        """The oldest frame (the queue must not be empty); a queue below its limit is no longer stuck."""
        frame = self.frames.popleft()
        if len(self.frames) < self.limit:
            self.full_since = None
        return frame
