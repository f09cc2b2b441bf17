"""Poses across workers, sans-I/O: the batch one worker publishes per instance per tick, and its decoder.

With several workers, the shoppers of one instance are spread over processes. Each worker publishes, every
tick, ONE message per instance in which it has seats (``poses_topic(store, n)``), listing each local seat:
whether it is visible (present with a pose), its identity blob (exactly a tick's ``joined`` entry) and its
18-byte tick pose record (plus the 20-byte hands record when flagged). The receiving room holds those peers as
*remote members* (:class:`RemotePeer`): candidates for everyone's interest set, never recipients.

Layout (little-endian): ``u8 version = 1``, ``u8 len`` + worker id (UTF-8), ``u16 n``, then ``n`` entries of
``u8 state`` (bit 0 visible), identity blob, pose record, hands record if the record's flags bit 0 is set.
The bytes of blobs and records are copied, never decoded per field, on both sides.

Every worker publishes at the wall clock's tick boundary and ticks once the batches it expects for that boundary
are in (:class:`Arrivals`), or a fifth of an interval later at most.

A seat present in a worker's previous batch and missing from its next one is gone (the shopper left or its
grace ran out there): receivers remove it, which tells whoever knew it in ``left``. A worker that stops
publishing (killed) only makes its peers *invisible* after :data:`STALE_S`; they are removed after the resume
grace, so a shopper who resumes on another worker in time is never seen to leave.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final, NamedTuple

from server.live.core.poses import HANDS_DTYPE, REC_DTYPE, PoseFrameError

VERSION: Final = 1
STALE_S: Final = 1.0  # a remote peer not refreshed for this long stops being shown (its worker may be dead)
VISIBLE: Final = 1
_REC = REC_DTYPE.itemsize
_HANDS = HANDS_DTYPE.itemsize


class RemoteEntry(NamedTuple):
    """One seat of another worker as it arrived: peer id, visible, identity blob, pose record, hands."""

    peer_id: int
    visible: bool
    blob: bytes
    rec: bytes
    hands: bytes


@dataclass(slots=True)
class RemotePeer:
    """A seat held by another worker, mirrored in this room's slot arrays; never has a connection."""

    peer_id: int
    slot: int
    worker: str
    name: str
    color: str
    group: str | None
    blob: bytes
    seen: float
    visible: bool = False
    conn: None = None


def encode_batch(worker: str, entries: list[tuple[bool, bytes, bytes, bytes]]) -> bytes:
    """A worker's batch from ``(visible, blob, rec, hands)`` per local seat (``hands`` empty when unflagged)."""
    w = worker.encode()[:255]
    parts = [struct.pack("<BB", VERSION, len(w)), w, struct.pack("<H", len(entries))]
    for visible, blob, rec, hands in entries:
        parts.append(b"\x01" if visible else b"\x00")
        parts.extend((blob, rec, hands))
    return b"".join(parts)


def batch_header(data: bytes) -> tuple[str, int]:
    """The worker id and seat count of a batch, without decoding its entries; raises PoseFrameError."""
    try:
        version, wlen = struct.unpack_from("<BB", data)
        if version != VERSION:
            raise PoseFrameError(f"unsupported pose batch version {version}")
        (n,) = struct.unpack_from("<H", data, 2 + wlen)
        return data[2 : 2 + wlen].decode(), n
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise PoseFrameError(f"bad pose batch: {exc}") from None


class Arrivals:
    """Which other workers' batches this tick is still waiting for.

    Every worker publishes at the same wall-clock tick boundary, so a batch that arrives after the middle of
    the previous interval belongs to this boundary. A (topic, worker) pair is *expected* while it published a
    non-empty batch within the last ``EXPECT_TICKS`` intervals: a worker that left the instance says so with an
    empty batch and is forgotten at once; a worker that died stops being waited for after a few ticks."""

    EXPECT_TICKS: Final = 3

    def __init__(self, interval: float, me: str) -> None:
        self.interval = interval
        self.me = me
        self._last: dict[tuple[str, str], float] = {}  # (topic, worker) → when its last non-empty batch came

    def heard(self, topic: str, worker: str, seats: int, now: float) -> None:
        """A batch arrived on ``topic`` from ``worker`` with ``seats`` entries."""
        if worker == self.me:
            return
        if seats:
            self._last[(topic, worker)] = now
        else:
            self._last.pop((topic, worker), None)

    def forget_topic(self, topic: str) -> None:
        """We stopped following ``topic``."""
        for key in [k for k in self._last if k[0] == topic]:
            del self._last[key]

    def missing(self, boundary: float) -> bool:
        """Whether a batch still expected for the tick at ``boundary`` has not arrived yet."""
        start = boundary - self.interval / 2
        oldest = start - self.EXPECT_TICKS * self.interval
        return any(oldest <= t < start for t in self._last.values())


def blob_length(data: bytes | memoryview, off: int) -> int:
    """Length of the identity blob starting at ``off`` (u16 id, RGB, name, group)."""
    name_len = data[off + 5]
    return 6 + name_len + 1 + data[off + 6 + name_len]


def decode_identity(blob: bytes) -> tuple[int, str, str, str | None]:
    """Peer id, name, colour and group of an identity blob."""
    pid, rgb, name_len = struct.unpack_from("<H3sB", blob)
    name = blob[6 : 6 + name_len].decode("utf-8")
    group_len = blob[6 + name_len]
    group = blob[7 + name_len : 7 + name_len + group_len].decode("utf-8") or None
    return pid, name, "#" + rgb.hex(), group


def decode_batch(data: bytes) -> tuple[str, list[RemoteEntry]]:
    """The worker id and entries of a batch; raises PoseFrameError when malformed."""
    worker, n = batch_header(data)
    try:
        off = 4 + data[1]  # past version, worker id and count
        out = []
        for _ in range(n):
            visible = bool(data[off] & VISIBLE)
            off += 1
            bl = blob_length(data, off)
            blob = data[off : off + bl]
            (pid,) = struct.unpack_from("<H", blob)
            off += bl
            rec = data[off : off + _REC]
            off += _REC
            hands = b""
            if rec[2] & 1:
                hands = data[off : off + _HANDS]
                off += _HANDS
            if len(rec) != _REC or (rec[2] & 1 and len(hands) != _HANDS):
                raise PoseFrameError("truncated pose batch")
            out.append(RemoteEntry(pid, visible, blob, rec, hands))
        if off != len(data):
            raise PoseFrameError("trailing bytes in pose batch")
        return worker, out
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise PoseFrameError(f"bad pose batch: {exc}") from None
