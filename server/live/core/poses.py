"""Binary frames: the client's pose frame and the server's batched tick frame (little-endian).

Positions are int16 centimetres relative to the store origin (y up): ±327.67 m, error ≤ 0.5 cm per axis.
Rotations are "smallest three" quaternions packed in a uint32: bits 30–31 the index of the largest
component (0 x, 1 y, 2 z, 3 w), then the other three in order as 10-bit values (bits 20–29, 10–19, 0–9)
mapping [-1/√2, 1/√2] → [0, 1023]; the sign is chosen so the dropped component is positive.
Layouts are documented byte by byte in ``docs/PROTOCOL.md``.

The server never decodes rotations on the hot path: a pose frame's bytes 4–18 (time, head) and 18–38
(hands) are already the bytes of a tick record, so the room stores them and the tick copies them with numpy
fancy indexing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from server.live.core.protocol import PROTOCOL_VERSION, ProtocolError

KIND_POSE: Final = 1
KIND_TICK: Final = 2
FLAG_HANDS: Final = 0x01  # pose frame / pose record: the two hands follow
TICK_FLAG_RESET: Final = 0x01  # tick: forget every peer identity not (re-)announced in this frame

POSE_FRAME_HEAD: Final = 18
POSE_FRAME_HANDS: Final = 38
TICK_HEADER: Final = struct.Struct("<BBBBIIHHHH")  # 20 bytes

REC_DTYPE: Final = np.dtype(
    [("id", "<u2"), ("flags", "u1"), ("reserved", "u1"), ("t", "<u4"), ("pos", "<i2", (3,)), ("rot", "<u4")]
)
HANDS_DTYPE: Final = np.dtype(
    [("lpos", "<i2", (3,)), ("lrot", "<u4"), ("rpos", "<i2", (3,)), ("rrot", "<u4")]
)
assert REC_DTYPE.itemsize == 18 and HANDS_DTYPE.itemsize == 20

_HEAD: Final = struct.Struct("<BBBBIhhhI")  # version, kind, flags, reserved, t, x, y, z, rot
_HAND: Final = struct.Struct("<hhhI")
_SCALE: Final = 1023.0 / np.sqrt(2.0)  # 10-bit steps across [-1/√2, 1/√2]
_LIMIT: Final = 1.0 / np.sqrt(2.0)


class PoseFrameError(ProtocolError):
    """A binary frame is malformed (wrong version, kind, length or flags)."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_pose", message)


# ---------------------------------------------------------------- quantisation (vectorised)


def quantize_positions(p: ArrayLike) -> NDArray[np.int16]:
    """Metres → int16 centimetres, rounded and clamped to ±327.67 m."""
    cm = np.rint(np.asarray(p, dtype=np.float64) * 100.0)
    out: NDArray[np.int16] = np.clip(np.nan_to_num(cm), -32767, 32767).astype(np.int16)
    return out


def quantize_quats(q: ArrayLike) -> NDArray[np.uint32]:
    """Quaternions ``[..., 4]`` (x, y, z, w; any norm > 0) → packed smallest-three uint32."""
    a = np.asarray(q, dtype=np.float64)
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    largest = np.argmax(np.abs(a), axis=-1)
    sign = np.where(np.take_along_axis(a, largest[..., None], axis=-1) < 0, -1.0, 1.0)
    a = a * sign  # q and -q are the same rotation: make the dropped component positive
    # The three kept components, in index order, for each possible dropped index.
    keep = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])[largest]
    three = np.take_along_axis(a, keep, axis=-1)
    ints = np.clip(np.rint((np.clip(three, -_LIMIT, _LIMIT) + _LIMIT) * _SCALE), 0, 1023).astype(np.uint32)
    packed = (largest.astype(np.uint32) << 30) | (ints[..., 0] << 20) | (ints[..., 1] << 10) | ints[..., 2]
    out: NDArray[np.uint32] = packed.astype(np.uint32)
    return out


def dequantize_quats(packed: ArrayLike) -> NDArray[np.float64]:
    """Packed smallest-three uint32 → unit quaternions ``[..., 4]`` (x, y, z, w)."""
    u = np.asarray(packed, dtype=np.uint32)
    largest = (u >> 30).astype(np.intp)
    three = np.stack([(u >> 20) & 1023, (u >> 10) & 1023, u & 1023], axis=-1).astype(np.float64)
    three = three / _SCALE - _LIMIT
    big = np.sqrt(np.clip(1.0 - np.sum(three * three, axis=-1), 0.0, 1.0))
    out = np.empty((*u.shape, 4), dtype=np.float64)
    keep = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])[largest]
    np.put_along_axis(out, keep, three, axis=-1)
    np.put_along_axis(out, largest[..., None], big[..., None], axis=-1)
    out /= np.linalg.norm(out, axis=-1, keepdims=True)
    return out


# ---------------------------------------------------------------- client pose frame


@dataclass(frozen=True, slots=True)
class Pose:
    """A position in metres (store frame, y up) and a unit quaternion (x, y, z, w)."""

    position: tuple[float, float, float]
    rotation: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class ClientPose:
    """A decoded pose frame: the sender's clock in ms (uint32, wraps), head, optional hands."""

    time_ms: int
    head: Pose
    hands: tuple[Pose, Pose] | None = None


def _pack_pose(p: Pose) -> tuple[int, int, int, int]:
    x, y, z = (int(v) for v in quantize_positions(p.position))
    return x, y, z, int(quantize_quats(p.rotation))


def _unpack_pose(x: int, y: int, z: int, rot: int) -> Pose:
    q = dequantize_quats(np.uint32(rot))
    return Pose(
        position=(x / 100.0, y / 100.0, z / 100.0),
        rotation=(float(q[0]), float(q[1]), float(q[2]), float(q[3])),
    )


def encode_client_pose(pose: ClientPose) -> bytes:
    """Encode the client → server pose frame (18 bytes, 38 with hands)."""
    flags = FLAG_HANDS if pose.hands is not None else 0
    out = _HEAD.pack(PROTOCOL_VERSION, KIND_POSE, flags, 0, pose.time_ms & 0xFFFFFFFF, *_pack_pose(pose.head))
    if pose.hands is not None:
        out += _HAND.pack(*_pack_pose(pose.hands[0])) + _HAND.pack(*_pack_pose(pose.hands[1]))
    return out


def check_pose_frame(data: bytes) -> bool:
    """Validate a pose frame's envelope cheaply; returns whether hands are present. Raises PoseFrameError."""
    n = len(data)
    if n < POSE_FRAME_HEAD:
        raise PoseFrameError(f"pose frame of {n} bytes is too short")
    version, kind, flags = data[0], data[1], data[2]
    if version != PROTOCOL_VERSION:
        raise PoseFrameError(f"unsupported binary version {version}")
    if kind != KIND_POSE:
        raise PoseFrameError(f"unknown binary kind {kind}")
    if flags & ~FLAG_HANDS:
        raise PoseFrameError(f"unknown pose flags {flags:#04x}")
    hands = bool(flags & FLAG_HANDS)
    if n != (POSE_FRAME_HANDS if hands else POSE_FRAME_HEAD):
        raise PoseFrameError(f"pose frame of {n} bytes does not match its flags")
    return hands


def decode_client_pose(data: bytes) -> ClientPose:
    """Decode a client pose frame (for tests and the load generator). Raises PoseFrameError."""
    hands = check_pose_frame(data)
    _, _, _, _, t, x, y, z, rot = _HEAD.unpack_from(data)
    head = _unpack_pose(x, y, z, rot)
    if not hands:
        return ClientPose(time_ms=t, head=head)
    left = _unpack_pose(*_HAND.unpack_from(data, POSE_FRAME_HEAD))
    right = _unpack_pose(*_HAND.unpack_from(data, POSE_FRAME_HEAD + _HAND.size))
    return ClientPose(time_ms=t, head=head, hands=(left, right))


# ---------------------------------------------------------------- tick frame


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """A peer identity as carried in a tick's joined section."""

    id: int
    name: str
    color: str  # "#rrggbb"
    group: str | None = None


def _utf8_prefix(s: str, limit: int) -> bytes:
    b = s.encode("utf-8")[:limit]
    return b.decode("utf-8", "ignore").encode("utf-8")  # never cut a character in half


def encode_peer_info(info: PeerInfo) -> bytes:
    """Joined entry: u16 id, 3 bytes RGB, u8 name length, name, u8 group length, group (UTF-8, ≤ 64 each)."""
    name = _utf8_prefix(info.name, 64)
    group = _utf8_prefix(info.group or "", 64)
    rgb = bytes.fromhex(info.color.removeprefix("#"))
    return struct.pack("<H3sB", info.id, rgb, len(name)) + name + bytes([len(group)]) + group


def encode_tick_header(
    seq: int, server_ms: int, n_joined: int, n_left: int, n_poses: int, n_hands: int, *, reset: bool = False
) -> bytes:
    """The 20-byte tick header."""
    flags = TICK_FLAG_RESET if reset else 0
    return TICK_HEADER.pack(
        PROTOCOL_VERSION, KIND_TICK, flags, 0, seq & 0xFFFFFFFF, server_ms, n_joined, n_left, n_poses, n_hands
    )


def tick_header_array(n: int) -> NDArray[np.void]:
    """A zeroed structured array of ``n`` tick headers (vectorised construction of many frames)."""
    dt = np.dtype(
        [("version", "u1"), ("kind", "u1"), ("flags", "u1"), ("reserved", "u1"), ("seq", "<u4"),
         ("server_ms", "<u4"), ("n_joined", "<u2"), ("n_left", "<u2"), ("n_poses", "<u2"), ("n_hands", "<u2")]
    )
    assert dt.itemsize == TICK_HEADER.size
    out = np.zeros(n, dtype=dt)
    out["version"] = PROTOCOL_VERSION
    out["kind"] = KIND_TICK
    return out


@dataclass(frozen=True, slots=True)
class PoseRecord:
    """One peer's pose in a tick, positions still in centimetres and rotations still packed."""

    id: int
    time_ms: int
    head_cm: tuple[int, int, int]
    head_rot: int
    hands: tuple[tuple[int, int, int], int, tuple[int, int, int], int] | None = None


@dataclass(frozen=True, slots=True)
class TickFrame:
    """A decoded tick frame (for tests and the load generator)."""

    seq: int
    server_ms: int
    reset: bool
    joined: list[PeerInfo]
    left: list[int]
    poses: list[PoseRecord]


def decode_tick(data: bytes) -> TickFrame:
    """Decode a server tick frame. Raises PoseFrameError on a malformed frame."""
    if len(data) < TICK_HEADER.size:
        raise PoseFrameError("tick frame too short")
    version, kind, flags, _, seq, sms, n_joined, n_left, n_poses, n_hands = TICK_HEADER.unpack_from(data)
    if version != PROTOCOL_VERSION or kind != KIND_TICK:
        raise PoseFrameError(f"not a v{PROTOCOL_VERSION} tick frame")
    try:
        joined, off = _decode_joined(data, n_joined)
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise PoseFrameError(f"bad joined section: {exc}") from None
    rsz, hsz = REC_DTYPE.itemsize, HANDS_DTYPE.itemsize
    if off + 2 * n_left + rsz * n_poses + hsz * n_hands != len(data):
        raise PoseFrameError("tick frame length does not match its counts")
    left = [int(v) for v in np.frombuffer(data, "<u2", n_left, off)]
    off += 2 * n_left
    recs = np.frombuffer(data, REC_DTYPE, n_poses, off)
    hands = np.frombuffer(data, HANDS_DTYPE, n_hands, off + rsz * n_poses)
    poses, h = [], 0
    for r in recs:
        hand = None
        if int(r["flags"]) & FLAG_HANDS:
            if h >= n_hands:
                raise PoseFrameError("more hand flags than hand records")
            hr = hands[h]
            h += 1
            hand = (
                tuple(int(v) for v in hr["lpos"]), int(hr["lrot"]),
                tuple(int(v) for v in hr["rpos"]), int(hr["rrot"]),
            )
        poses.append(
            PoseRecord(
                id=int(r["id"]), time_ms=int(r["t"]), head_cm=tuple(int(v) for v in r["pos"]),  # type: ignore[arg-type]
                head_rot=int(r["rot"]), hands=hand,  # type: ignore[arg-type]
            )
        )
    return TickFrame(seq=seq, server_ms=sms, reset=bool(flags & TICK_FLAG_RESET), joined=joined, left=left,
                     poses=poses)


def _decode_joined(data: bytes, n_joined: int) -> tuple[list[PeerInfo], int]:
    off = TICK_HEADER.size
    joined = []
    for _ in range(n_joined):
        pid, rgb, name_len = struct.unpack_from("<H3sB", data, off)
        off += 6
        name = data[off : off + name_len].decode("utf-8")
        off += name_len
        group_len = data[off]
        group = data[off + 1 : off + 1 + group_len].decode("utf-8") or None
        off += 1 + group_len
        joined.append(PeerInfo(id=pid, name=name, color="#" + rgb.hex(), group=group))
    return joined, off
