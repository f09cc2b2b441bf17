"""What the sans-I/O core asks the I/O layer to do: send a frame, or close a connection.

Connections are named by an opaque integer :data:`ConnId` that the I/O layer chooses when it calls
``join``; a resumed identity moves to the new connection, so the old one can still be closed by its id.
"""

from __future__ import annotations

from typing import NamedTuple, TypeAlias

from server.live.core.protocol import CloseCode

ConnId: TypeAlias = int


class Send(NamedTuple):
    """Send ``frame`` (``str`` → text frame, ``bytes`` → binary frame) on connection ``conn``.

    ``droppable`` frames (tick frames without joined/left entries) may be replaced in a full send queue by a
    newer droppable frame (latest pose wins). Dropping a non-droppable frame desynchronises the client's peer
    table: the I/O layer must then call ``resync`` for that peer or close it with ``SLOW_CONSUMER``.
    """

    conn: ConnId
    frame: str | bytes
    droppable: bool = False


class Close(NamedTuple):
    """Close connection ``conn`` with an application close code and a short reason."""

    conn: ConnId
    code: CloseCode
    reason: str


Action: TypeAlias = Send | Close
