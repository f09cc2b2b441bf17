"""Binary codec: pose frame round trip and quantisation bounds, malformed frames, tick frame round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.live.core.poses import (
    HANDS_DTYPE,
    REC_DTYPE,
    ClientPose,
    PeerInfo,
    Pose,
    PoseFrameError,
    check_pose_frame,
    decode_client_pose,
    decode_tick,
    dequantize_quats,
    encode_client_pose,
    encode_peer_info,
    encode_tick_header,
    quantize_quats,
)

coord = st.floats(min_value=-327.0, max_value=327.0, allow_nan=False)
position = st.tuples(coord, coord, coord)
component = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
quaternion = st.tuples(component, component, component, component).filter(
    lambda q: math.sqrt(sum(c * c for c in q)) > 1e-3
)
pose = st.builds(Pose, position, quaternion)
MAX_ANGLE = math.radians(0.5)  # smallest-three in 10 bits: observed ≤ ~0.25°


def angle_between(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    na = np.asarray(a) / np.linalg.norm(a)
    nb = np.asarray(b) / np.linalg.norm(b)
    return 2.0 * math.acos(min(1.0, abs(float(np.dot(na, nb)))))


def assert_close(sent: Pose, got: Pose) -> None:
    assert max(abs(s - g) for s, g in zip(sent.position, got.position, strict=True)) <= 0.005 + 1e-9
    assert angle_between(sent.rotation, got.rotation) <= MAX_ANGLE
    assert math.isclose(float(np.linalg.norm(got.rotation)), 1.0, abs_tol=1e-9)


@settings(deadline=None)  # numpy-heavy examples; the machine is shared
@given(t=st.integers(0, 2**32 - 1), head=pose, hands=st.none() | st.tuples(pose, pose))
def test_pose_frame_round_trip_within_quantisation(t: int, head: Pose, hands: tuple[Pose, Pose] | None) -> None:
    data = encode_client_pose(ClientPose(t, head, hands))
    assert len(data) == (38 if hands else 18)
    got = decode_client_pose(data)
    assert got.time_ms == t
    assert_close(head, got.head)
    assert (got.hands is None) == (hands is None)
    if hands is not None and got.hands is not None:
        for s, g in zip(hands, got.hands, strict=True):
            assert_close(s, g)


@settings(deadline=None)  # numpy-heavy examples; the machine is shared
@given(st.lists(quaternion, min_size=1, max_size=50))
def test_quaternion_quantisation_vectorised_matches_bound(qs: list[tuple[float, ...]]) -> None:
    back = dequantize_quats(quantize_quats(qs))
    assert back.shape == (len(qs), 4)
    for q, b in zip(qs, back, strict=True):
        assert angle_between(q, tuple(b)) <= MAX_ANGLE


def test_q_and_minus_q_are_the_same_rotation_and_pack_alike() -> None:
    rng = np.random.default_rng(3)
    q = rng.normal(size=(1000, 4))
    assert np.array_equal(quantize_quats(q), quantize_quats(-q))
    assert np.all(dequantize_quats(quantize_quats(q))[np.arange(1000), np.argmax(np.abs(q), axis=1)] > 0)


def test_positions_outside_int16_range_are_clamped() -> None:
    got = decode_client_pose(encode_client_pose(ClientPose(0, Pose((1000.0, -1000.0, 0.004), (0, 0, 0, 1)))))
    assert got.head.position == (327.67, -327.67, 0.0)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "short"),
        (bytes([1, 1, 0, 0]) + bytes(10), "short"),
        (bytes([2, 1, 0, 0]) + bytes(14), "version"),
        (bytes([1, 9, 0, 0]) + bytes(14), "kind"),
        (bytes([1, 1, 0x80, 0]) + bytes(14), "flags"),
        (bytes([1, 1, 1, 0]) + bytes(14), "match"),
        (bytes([1, 1, 0, 0]) + bytes(34), "match"),
    ],
)
def test_malformed_pose_frames_are_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(PoseFrameError, match=reason) as err:
        check_pose_frame(data)
    assert err.value.code == "bad_pose"


def test_record_layouts_are_the_documented_sizes() -> None:
    assert REC_DTYPE.itemsize == 18 and HANDS_DTYPE.itemsize == 20
    frame = encode_client_pose(ClientPose(7, Pose((1, 2, 3), (0, 0, 0, 1)), (Pose((0, 0, 0), (0, 0, 0, 1)),) * 2))
    rec = np.zeros(1, REC_DTYPE)
    rec.view(np.uint8)[4:18] = np.frombuffer(frame[4:18], np.uint8)  # the server's zero-decode copy
    assert int(rec["t"][0]) == 7 and rec["pos"][0].tolist() == [100, 200, 300]


names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(deadline=None)  # numpy-heavy examples; the machine is shared
@given(
    seq=st.integers(0, 2**32 - 1),
    joined=st.lists(st.builds(PeerInfo, st.integers(1, 65535), names,
                              st.sampled_from(["#e6194b", "#000000", "#ffffff"]), st.none() | names), max_size=5),
    left=st.lists(st.integers(1, 65535), max_size=5),
    with_hands=st.lists(st.booleans(), max_size=8),
    reset=st.booleans(),
)
def test_tick_frame_round_trip(seq: int, joined: list[PeerInfo], left: list[int], with_hands: list[bool],
                               reset: bool) -> None:
    recs = np.zeros(len(with_hands), REC_DTYPE)
    recs["id"] = np.arange(1, len(with_hands) + 1)
    recs["flags"] = with_hands
    recs["t"] = 4_000_000_000
    recs["pos"] = np.tile([-32767, 0, 32767], (len(with_hands), 1))
    recs["rot"] = 0xC0000000
    hands = np.zeros(sum(with_hands), HANDS_DTYPE)
    hands["lpos"] = [1, 2, 3]
    hands["rrot"] = 99
    frame = (encode_tick_header(seq, 5, len(joined), len(left), len(recs), len(hands), reset=reset)
             + b"".join(encode_peer_info(j) for j in joined) + np.asarray(left, "<u2").tobytes()
             + recs.tobytes() + hands.tobytes())
    got = decode_tick(frame)
    assert (got.seq, got.server_ms, got.reset, got.left) == (seq, 5, reset, left)
    for sent, back in zip(joined, got.joined, strict=True):
        assert back.id == sent.id and back.color == sent.color
        assert sent.name.startswith(back.name) and len(back.name.encode()) <= 64  # truncated on a char boundary
        assert (back.group or "") == (sent.group or "")[: len(back.group or "")]
    assert [p.id for p in got.poses] == list(range(1, len(with_hands) + 1))
    for p, h in zip(got.poses, with_hands, strict=True):
        assert p.time_ms == 4_000_000_000 and p.head_cm == (-32767, 0, 32767) and p.head_rot == 0xC0000000
        assert (p.hands is not None) == h
        if p.hands is not None:
            assert p.hands[0] == (1, 2, 3) and p.hands[3] == 99


def test_tick_frame_with_bad_counts_is_rejected() -> None:
    with pytest.raises(PoseFrameError):
        decode_tick(encode_tick_header(1, 0, 0, 0, 1, 0))  # claims a record that is not there
    with pytest.raises(PoseFrameError):
        decode_tick(b"\x01\x01" + bytes(18))  # a pose frame is not a tick
