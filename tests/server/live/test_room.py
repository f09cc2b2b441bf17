"""Room rules: pose cap and clamping, abuse closes, chat/emote/focus, reconnect and grace, replacement."""

from __future__ import annotations

import itertools
import json

import pytest
from realtime_factories import closes, join, pose_frame, texts, ticks

from server.live.core.bounds import Bounds
from server.live.core.members import RoomConfig
from server.live.core.protocol import CloseCode, JoinRefused
from server.live.core.room import Room


def two(config: RoomConfig | None = None) -> tuple[Room, int, int]:
    room = Room("store-1", 1, config)
    a, b = join(room, 1, group="cart-1").peer_id, join(room, 2).peer_id
    room.handle_pose(a, pose_frame(0.0), now=0.0)
    room.handle_pose(b, pose_frame(1.0), now=0.0)
    room.tick(0.1)
    return room, a, b


def test_welcome_describes_you_and_the_instance() -> None:
    room = Room("store-1", 3)
    res = join(room, 7, name="민지\x07 ", group="cart-9")
    [w] = texts(res.actions, 7)
    assert w["type"] == "welcome" and w["store"] == "store-1" and w["instance"] == 3
    assert w["you"] == {"id": res.peer_id, "name": "민지", "color": w["you"]["color"], "group": "cart-9"}
    assert w["resume"] == res.token and len(res.token) >= 32 and w["resumed"] is False
    assert w["scene"]["glb"].endswith(".glb") and w["tick_hz"] == 10.0 and w["peers"] == [] and w["focus"] == {}


def test_poses_are_capped_at_20_hz_and_extra_ones_counted() -> None:
    room, a, _ = two()
    for i in range(100):  # 100 Hz for one second
        room.handle_pose(a, pose_frame(0.0, t=i), now=1.0 + i / 100)
    accepted = room.stats.poses_accepted - 2
    assert 20 <= accepted <= 20 + 4  # rate plus burst
    assert room.stats.poses_dropped == 100 - accepted


def test_pose_client_time_and_hands_are_relayed_unchanged() -> None:
    room, a, _ = two()
    room.handle_pose(a, pose_frame(0.5, t=4_000_000_123, hands=True), now=1.0)
    [rec] = ticks(room.tick(1.1))[2].poses
    assert rec.id == a and rec.time_ms == 4_000_000_123 and rec.head_cm == (50, 160, 0)
    assert rec.hands is not None and rec.hands[0] == (20, 120, 0)


def test_poses_are_clamped_to_store_bounds() -> None:
    room, a, _ = two()
    room.bounds = Bounds((-1000, 0, -1000), (1000, 500, 1000))
    room.handle_pose(a, pose_frame(50.0, -3.0, -12.0), now=1.0)
    [rec] = ticks(room.tick(1.1))[2].poses
    assert rec.head_cm == (1000, 0, -1000) and room.stats.poses_clamped == 1


def test_invalid_pose_frame_gets_error() -> None:
    room, a, _ = two()
    [err] = texts(room.handle_pose(a, b"\x01\x01\x00", now=1.0))
    assert err["code"] == "bad_pose"


def test_repeated_invalid_messages_close_with_4002_and_drop_the_seat() -> None:
    room, a, _b = two()
    for i in range(9):
        out = room.handle(a, "{oops", now=1.0 + i * 0.01)
        assert texts(out, 1)[0]["code"] == "bad_json" and not closes(out)
    [close] = closes(room.handle(a, '{"type":"nope"}', now=1.1))
    assert close.conn == 1 and close.code == CloseCode.INVALID_MESSAGES == 4002
    assert room.handle(a, '{"type":"ping","t":1}', now=1.2) == []
    assert ticks(room.tick(1.3))[2].left == [a]  # no grace for an abusive connection


def test_slow_invalid_messages_do_not_close() -> None:
    room, a, _ = two()
    for i in range(30):
        assert not closes(room.handle(a, "{oops", now=1.0 + i * 2.0))


def test_sustained_flooding_closes_with_4003() -> None:
    room, a, _ = two()
    out = []
    for i in range(600):  # 200 frames/s for 3 s
        out = room.handle_pose(a, pose_frame(0.0), now=1.0 + i / 200)
        if out:
            break
    [close] = closes(out)
    assert close.code == CloseCode.FLOODING == 4003 and i < 599


def test_chat_is_relayed_to_the_instance_and_rate_limited() -> None:
    room, a, _ = two()
    for i in range(5):
        out = room.handle(a, json.dumps({"type": "chat", "text": f" hi {i} "}), now=1.0)
        assert texts(out, 2) == [{"type": "chat", "id": a, "name": "Guest 1", "text": f"hi {i}"}]
        assert len(texts(out, 1)) == 1  # the sender gets its own line back
    [err] = texts(room.handle(a, '{"type":"chat","text":"6th"}', now=1.0))
    assert err["code"] == "rate_limited"
    assert texts(room.handle(a, '{"type":"chat","text":"later"}', now=3.1), 2)[0]["text"] == "later"
    assert texts(room.handle(a, json.dumps({"type": "chat", "text": "x" * 501}), now=9.0))[0]["code"] == "invalid"


def test_emotes_go_to_those_who_see_the_peer_and_are_rate_limited() -> None:
    room, a, _b = two()
    c = join(room, 3).peer_id  # present, but far away
    room.handle_pose(c, pose_frame(300.0), now=0.5)
    room.tick(0.6)
    for _ in range(4):
        room.handle(a, '{"type":"emote","name":"wave"}', now=1.0)
    out = room.tick(1.1)
    assert len(texts(out, 2)) == 3 and len(texts(out, 1)) == 3  # burst of 3; the sender sees its own
    assert texts(out, 2)[0] == {"type": "emote", "id": a, "name": "wave"}
    room2 = Room("s", 1, RoomConfig(k=1))
    x, y, z = (join(room2, i).peer_id for i in (1, 2, 3))
    for pid, px in ((x, 0.0), (y, 1.0), (z, 50.0)):
        room2.handle_pose(pid, pose_frame(px), now=0.0)
    room2.handle(x, '{"type":"emote","name":"bow"}', now=0.1)
    assert texts(room2.tick(0.2), 3) == []  # z's one nearest is y: it does not see x


def test_looks_are_kept_for_analytics_only_and_rate_limited() -> None:
    room, a, b = two()
    out = room.handle(a, '{"type":"look","what":"panel","sku":"SKU-1"}', now=1.0)
    out += room.handle(b, '{"type":"look","what":"option","sku":"SKU-2"}', now=1.0)
    assert out == []  # nothing goes back to anyone
    sessions = {m.peer_id: m.session for m in room.seats()}
    assert room.take_looks() == [(sessions[a], "panel", "SKU-1"), (sessions[b], "option", "SKU-2")]
    assert room.take_looks() == []  # taken once
    replies = [texts(room.handle(a, '{"type":"look","what":"panel","sku":"S"}', now=2.0), 1) for _ in range(8)]
    assert [m["code"] for r in replies for m in r] == ["rate_limited", "rate_limited"]  # a burst of 6
    assert len(room.take_looks()) == 6
    [bad] = texts(room.handle(a, '{"type":"look","what":"buy","sku":"S"}', now=9.0), 1)
    assert bad["type"] == "error" and room.take_looks() == []


def test_focus_counts_at_most_2_hz_with_changed_counts_only() -> None:
    room, a, _b = two()
    sent_at = []
    for i in range(20):  # focus changes every 100 ms for 2 s
        now = 1.0 + i / 10
        room.handle(a, json.dumps({"type": "focus", "sku": f"SKU-{i % 2}"}), now=now)
        for m in texts(room.tick(now + 0.05), 2):
            if m["type"] == "focus_counts":
                sent_at.append(now)
                assert all(v in (0, 1) for v in m["counts"].values())
    assert len(sent_at) == 4 and all(t2 - t1 >= 0.5 - 1e-9 for t1, t2 in itertools.pairwise(sent_at))
    room.leave(a, now=4.0)
    [fc] = [m for m in texts(room.tick(4.1), 2) if m["type"] == "focus_counts"]
    assert set(fc["counts"].values()) == {0}  # an away shopper looks at nothing
    assert json.loads(join(room, 9).actions[0].frame)["focus"] == {}


def test_reconnect_within_grace_is_invisible_to_others() -> None:
    room, a, b = two()
    join(room, 99, session="s-late", now=0.5)  # a third member who never knew a
    room.leave(a, now=1.0)
    for t in range(2, 30):
        frames = ticks(room.tick(1.0 + t / 10))
        assert all(not f.left and not f.joined for f in frames.values())
    again = room.join(11, session="s1", name="other", now=20.0, scene={}, resume=room_token(room, a))
    assert again.peer_id == a and again.resumed
    w = json.loads(again.actions[0].frame)
    assert w["resumed"] is True and w["you"]["name"] == "Guest 1" and w["you"]["group"] == "cart-1"
    assert w["instance"] == 1 and [p["id"] for p in w["peers"]] == [b]
    room.handle_pose(a, pose_frame(0.2), now=20.05)
    f = ticks(room.tick(20.1))
    assert f[2].joined == [] and f[2].left == [] and [p.id for p in f[2].poses] == [a]


def room_token(room: Room, peer_id: int) -> str:
    return room._members[peer_id].token  # the client kept it from its welcome


def test_after_grace_others_see_left_and_the_token_is_void() -> None:
    room, a, _b = two()
    token = room_token(room, a)
    room.leave(a, now=1.0)
    assert all(not f.left for f in ticks(room.tick(30.9)).values())
    assert ticks(room.tick(31.0))[2].left == [a]
    late = join(room, 12, session="s1", resume=token, now=32.0)
    assert not late.resumed and late.peer_id != a


def test_graceful_leave_is_immediate() -> None:
    room, a, _ = two()
    room.leave(a, now=1.0, graceful=True)
    assert ticks(room.tick(1.1))[2].left == [a]


def test_resume_needs_the_same_session() -> None:
    room, a, _ = two()
    token = room_token(room, a)
    room.leave(a, now=1.0)
    thief = join(room, 13, session="someone-else", resume=token, now=2.0)
    assert not thief.resumed and thief.peer_id != a


def test_resume_while_still_connected_replaces_the_old_connection() -> None:
    room, a, _ = two()
    res = join(room, 21, session="s1", resume=room_token(room, a), now=1.0)
    assert res.resumed and res.peer_id == a
    [close] = closes(res.actions)
    assert (close.conn, close.code) == (1, CloseCode.REPLACED)
    assert texts(room.handle(a, '{"type":"ping","t":1}', now=1.1), 21)[0]["type"] == "pong"


def test_same_session_without_token_replaces_and_others_see_left_then_joined() -> None:
    room, a, _b = two()
    res = join(room, 22, session="s1", now=1.0)
    assert not res.resumed and res.peer_id != a
    assert closes(res.actions)[0].code == CloseCode.REPLACED
    room.handle_pose(res.peer_id, pose_frame(0.0), now=1.0)
    f = ticks(room.tick(1.1))[2]
    assert f.left == [a] and [j.id for j in f.joined] == [res.peer_id]


def test_resync_resends_identities_with_reset_flag() -> None:
    room, a, b = two()
    room.resync(b)
    [act] = [x for x in room.tick(0.2) if x.conn == 2]
    f = ticks([act])[2]
    assert f.reset and [j.id for j in f.joined] == [a] and not act.droppable
    assert not ticks(room.tick(0.3))[2].reset


def test_room_refuses_past_max_members() -> None:
    room = Room("s", 1, RoomConfig(max_members=2))
    join(room, 1)
    join(room, 2)
    with pytest.raises(JoinRefused) as err:
        join(room, 3)
    assert err.value.close_code == CloseCode.STORE_FULL


def test_inputs_for_unknown_or_away_peers_are_ignored() -> None:
    room, a, _ = two()
    assert room.handle(999, '{"type":"ping","t":1}', now=1.0) == []
    room.leave(a, now=1.0)
    assert room.handle_pose(a, pose_frame(0.0), now=1.1) == [] and room.leave(a, now=1.2) == []


def test_slots_and_ids_are_reused_safely_when_the_room_grows_and_shrinks() -> None:
    room = Room("s", 1)
    ids = [join(room, i).peer_id for i in range(40)]
    for pid in ids[:20]:
        room.leave(pid, now=0.0, graceful=True)
    new = [join(room, 100 + i).peer_id for i in range(30)]
    assert len(set(ids[20:]) | set(new)) == 50 and room.size == 50
    for i, pid in enumerate(ids[20:] + new):
        room.handle_pose(pid, pose_frame(i * 0.5), now=1.0)
    assert len(ticks(room.tick(1.1))) == 50
