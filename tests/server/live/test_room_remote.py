"""Remote members, sans-I/O: two Rooms stand for the same instance on two workers and exchange their batches."""

from __future__ import annotations

import pytest
from realtime_factories import join, pose_frame, ticks

from server.live.core.members import RoomConfig
from server.live.core.poses import PoseFrameError
from server.live.core.remote import STALE_S, decode_batch
from server.live.core.room import Room

CFG = RoomConfig(k=8, far_radius_m=None)


def pair() -> tuple[Room, Room]:
    return Room("st", 1, CFG), Room("st", 1, CFG)


def test_a_peer_of_another_worker_is_seen_moving_and_leaving() -> None:
    a, b = pair()
    ja = join(a, 1, name="민지")
    jb = b.join(2, session="s2", name="Jun", now=0.0, scene={}, peer_id=ja.peer_id + 1)
    a.handle_pose(ja.peer_id, pose_frame(1.0, 1.6, 2.0, t=5), now=0.1)
    b.apply_remote(a.local_batch("wA"), now=0.2, me="wB")
    frame = ticks(b.tick(0.2))[2]
    assert [p.id for p in frame.joined] == [ja.peer_id] and frame.joined[0].name == "민지"
    assert [(p.id, p.head_cm, p.time_ms) for p in frame.poses] == [(ja.peer_id, (100, 160, 200), 5)]
    assert 1 not in ticks(b.tick(0.2))  # a remote member is never a recipient
    # its own batch comes back over the bus: ignored
    b.apply_remote(b.local_batch("wB"), now=0.3, me="wB")
    assert b.uses_peer_id(jb.peer_id) and b.size == 1
    a.leave(ja.peer_id, now=0.4, graceful=True)
    assert a.take_dropped() == [ja.peer_id]
    batch = a.local_batch("wA")
    assert decode_batch(batch) == ("wA", [])
    b.apply_remote(batch, now=0.5, me="wB")
    assert ticks(b.tick(0.5))[2].left == [ja.peer_id]


def test_a_silent_worker_hides_its_peers_then_drops_them_after_the_grace() -> None:
    a, b = pair()
    ja = join(a, 1)
    b.join(2, session="s2", name="Jun", now=0.0, scene={}, peer_id=50)
    a.handle_pose(ja.peer_id, pose_frame(0.5), now=0.0)
    b.apply_remote(a.local_batch("wA"), now=0.0, me="wB")
    assert ticks(b.tick(0.1))[2].poses
    later = STALE_S + 0.1
    frame = ticks(b.tick(later)).get(2)
    assert frame is None or (not frame.poses and not frame.left)  # hidden, not gone: it may resume elsewhere
    assert ticks(b.tick(CFG.grace_s + 0.1))[2].left == [ja.peer_id]


def test_a_seat_resumed_on_another_worker_keeps_its_id_and_nobody_sees_it_leave() -> None:
    a, b = pair()
    ja = join(a, 1, group="7")
    b.join(2, session="s2", name="Jun", now=0.0, scene={}, peer_id=ja.peer_id + 1, group="7")
    a.handle_pose(ja.peer_id, pose_frame(1.0), now=0.0)
    b.apply_remote(a.local_batch("wA"), now=0.0, me="wB")
    assert ticks(b.tick(0.1))[2].joined
    # worker A dies; the shopper comes back on B with the record A stored: same peer id and token
    res = b.join(3, session="s1", name="Guest 1", now=0.5, scene={}, peer_id=ja.peer_id, token=ja.token, group="7")
    assert (res.peer_id, res.token, res.resumed) == (ja.peer_id, ja.token, True)
    b.handle_pose(res.peer_id, pose_frame(2.0), now=0.6)
    frames = ticks(b.tick(0.7))
    assert not frames[2].left and not frames[2].joined
    assert [(p.id, p.head_cm[0]) for p in frames[2].poses] == [(ja.peer_id, 200)]
    assert 3 not in frames  # its group mate has sent no pose yet: nothing to hear
    assert b.size == 2 and b.take_dropped() == []


def test_an_away_seat_hands_over_when_it_shows_up_live_on_another_worker() -> None:
    a, b = pair()
    ja = join(a, 1)
    jw = join(a, 9)  # a watcher on worker A
    a.handle_pose(ja.peer_id, pose_frame(1.0), now=0.0)
    assert ticks(a.tick(0.1))[9].joined
    a.leave(ja.peer_id, now=0.2)  # connection dropped: away on A
    b.join(2, session="s1", name="Guest 1", now=0.3, scene={}, peer_id=ja.peer_id, token=ja.token)
    b.handle_pose(ja.peer_id, pose_frame(3.0), now=0.4)
    a.apply_remote(b.local_batch("wB"), now=0.5, me="wA")
    assert a.take_dropped() == [ja.peer_id] and a.size == 1  # A's ledger seat goes back
    frame = ticks(a.tick(0.6))[9]
    assert not frame.left and [(p.id, p.head_cm[0]) for p in frame.poses] == [(ja.peer_id, 300)]
    assert jw.peer_id != ja.peer_id


def test_a_malformed_batch_is_refused() -> None:
    _, b = pair()
    with pytest.raises(PoseFrameError):
        b.apply_remote(b"\x01\x02wA\x05\x00", now=0.0, me="wB")
    with pytest.raises(PoseFrameError):
        b.apply_remote(b"\x07", now=0.0, me="wB")
