"""Hub: fullest-with-room placement, overflow, groups, caps, empty-instance close, fan-out."""

from __future__ import annotations

import json

import pytest
from realtime_factories import SCENE, closes, pose_frame, texts

from server.live.core.actions import Send
from server.live.core.hub import Hub, HubConfig, HubJoin, StoreCounts
from server.live.core.protocol import CloseCode, JoinRefused


def enter(hub: Hub, conn: int, store: str = "st", *, group: str | None = None, now: float = 0.0,
          session: str | None = None, resume: str | None = None, festival: str = "",
          cap: int | None = None) -> HubJoin:
    return hub.join(conn, store=store, session=session or f"s{conn}", name=f"G{conn}", now=now, scene=SCENE,
                    group=group, resume=resume, festival=festival, festival_cap=cap)


def test_overflow_opens_a_second_instance() -> None:
    hub = Hub(HubConfig(capacity=3))
    placed = [enter(hub, i).instance for i in range(7)]
    assert placed == [1, 1, 1, 2, 2, 2, 3]
    assert hub.counts() == {"st": StoreCounts(present=7, away=0, instances=3)}


def test_join_fills_the_fullest_instance_that_has_room() -> None:
    hub = Hub(HubConfig(capacity=4))
    for i in range(8):
        enter(hub, i)  # instances 1 and 2 full
    for conn in (0, 1, 2):
        hub.leave(conn, now=1.0, graceful=True)  # instance 1 has 1 seat left
    hub.leave(4, now=1.0, graceful=True)  # instance 2 has 3 seats left: the fullest with room
    assert enter(hub, 10, now=2.0).instance == 2
    assert enter(hub, 11, now=2.0).instance == 1  # 2 is full now; 1 is the only one with room
    assert [r.size for r in hub.rooms("st").values()] == [2, 4]


def test_ties_go_to_the_lowest_instance() -> None:
    hub = Hub(HubConfig(capacity=2))
    for i in range(4):
        enter(hub, i)
    hub.leave(0, now=1.0, graceful=True)
    hub.leave(2, now=1.0, graceful=True)
    assert enter(hub, 9).instance == 1


def test_group_members_share_an_instance_up_to_the_slack() -> None:
    hub = Hub(HubConfig(capacity=3, group_slack=1))
    assert enter(hub, 0, group="cart").instance == 1
    for i in range(1, 3):
        enter(hub, i)
    assert enter(hub, 3).instance == 2  # strangers overflow
    assert enter(hub, 4, group="cart").instance == 1  # a friend overfills instance 1 by one
    assert enter(hub, 5, group="cart").instance == 2  # past the hard max the normal policy applies
    assert hub.rooms("st")[1].size == 4


def test_festival_cap_refuses_new_seats_but_not_resumes() -> None:
    hub = Hub(HubConfig())
    enter(hub, 1, "a", cap=3)
    first = enter(hub, 2, "b", cap=3)
    enter(hub, 3, "b", cap=3)
    with pytest.raises(JoinRefused) as err:
        enter(hub, 4, "c", cap=3)
    assert (err.value.close_code, err.value.reason) == (CloseCode.FESTIVAL_FULL, "festival_full")
    hub.leave(2, now=1.0)
    again = enter(hub, 5, "b", session="s2", resume=first.token, now=5.0, cap=3)
    assert again.resumed and again.peer_id == first.peer_id and again.instance == first.instance
    assert enter(hub, 6, "c", cap=4).instance == 1  # the organizer raised it


def test_each_festival_has_its_own_cap_and_its_own_plaza() -> None:
    hub = Hub(HubConfig())
    enter(hub, 1, "plaza:spring", festival="spring", cap=2)
    enter(hub, 2, "a", festival="spring", cap=2)
    with pytest.raises(JoinRefused):
        enter(hub, 3, "plaza:spring", festival="spring", cap=2)
    # Another festival, in the same process: its own plaza room, and the spring crowd does not count.
    autumn = enter(hub, 4, "plaza:autumn", festival="autumn", cap=1)
    assert autumn.store == "plaza:autumn" and hub.seats("spring") == 2 and hub.seats("autumn") == 1


def test_store_full_when_max_instances_are_full() -> None:
    hub = Hub(HubConfig(capacity=2, max_instances=1))
    enter(hub, 1)
    enter(hub, 2)
    with pytest.raises(JoinRefused) as err:
        enter(hub, 3)
    assert err.value.close_code == CloseCode.STORE_FULL


def test_empty_instance_closes_after_grace() -> None:
    hub = Hub(HubConfig(capacity=1, empty_grace_s=60.0))
    enter(hub, 1)
    enter(hub, 2)
    hub.leave(2, now=1.0, graceful=True)
    hub.tick(1.0)
    hub.tick(60.9)
    assert set(hub.rooms("st")) == {1, 2}
    hub.tick(61.0)
    assert set(hub.rooms("st")) == {1}
    assert enter(hub, 3, now=62.0).instance == 2  # the number is reused


def test_instance_with_an_away_seat_is_not_empty_until_grace_ends() -> None:
    hub = Hub(HubConfig(empty_grace_s=60.0))
    enter(hub, 1)
    hub.leave(1, now=0.0)
    hub.tick(29.0)
    assert hub.counts()["st"] == StoreCounts(present=0, away=1, instances=1)
    hub.tick(30.0)  # the seat expires, the instance is empty from now
    hub.tick(89.9)
    assert hub.rooms("st")
    hub.tick(90.0)
    assert hub.counts() == {}


def test_rejoin_of_a_session_in_the_same_store_replaces_in_place() -> None:
    hub = Hub(HubConfig(capacity=2))
    enter(hub, 1)
    enter(hub, 2)
    enter(hub, 3)
    res = enter(hub, 4, session="s3")
    assert res.instance == 2 and closes(res.actions)[0].conn == 3
    assert hub.room_of(3) is None and hub.room_of(4) is not None
    assert hub.leave(3, now=1.0) == []


def test_product_and_notice_reach_every_instance_of_the_store_only() -> None:
    hub = Hub(HubConfig(capacity=1))
    enter(hub, 1)
    enter(hub, 2)
    enter(hub, 3, "other")
    out = hub.product("st", sku="A1", price=12000, sale_price=9900, currency="KRW", stock=3)
    assert sorted(a.conn for a in out) == [1, 2]
    assert json.loads(out[0].frame) == {"type": "product", "store": "st", "sku": "A1", "price": 12000,
                                        "sale_price": 9900, "currency": "KRW", "stock": 3}
    assert out[0].frame is out[1].frame  # encoded once
    everyone = hub.notice("going_down", retry_after=5)
    assert sorted(a.conn for a in everyone) == [1, 2, 3]
    assert json.loads(everyone[0].frame) == {"type": "notice", "kind": "going_down", "retry_after": 5}


def test_close_store_notifies_and_closes_with_4006() -> None:
    hub = Hub(HubConfig(capacity=1))
    enter(hub, 1)
    enter(hub, 2)
    out = hub.close_store("st")
    assert [m["kind"] for m in texts(out)] == ["store_suspended"] * 2
    assert sorted((c.conn, c.code) for c in closes(out)) == [(1, 4006), (2, 4006)]
    assert hub.counts() == {} and hub.room_of(1) is None


def test_cart_event_reaches_member_sessions_wherever_they_are() -> None:
    hub = Hub(HubConfig(capacity=2))
    enter(hub, 1, session="alice", group="c1")
    enter(hub, 2, session="x")
    enter(hub, 3, session="y")
    enter(hub, 4, "other-store", session="bob")
    out = hub.cart(["alice", "bob", "carol"], cart="c1", version=7, change={"op": "add", "sku": "A1", "qty": 1},
                   by_name="G1", by_session="alice")
    got = {a.conn: json.loads(a.frame) for a in out if isinstance(a, Send)}
    assert set(got) == {1, 4}
    assert got[1]["by"] == {"id": hub.room_of(1)[1], "name": "G1"}  # type: ignore[index]
    assert got[4]["by"] == {"name": "G1"} and got[4]["version"] == 7 and got[4]["cart"] == "c1"


def test_hub_routes_inbound_and_forgets_connections_closed_for_abuse() -> None:
    hub = Hub()
    enter(hub, 1)
    enter(hub, 2)
    assert texts(hub.handle(1, '{"type":"ping","t":5}', now=1.0))[0]["type"] == "pong"
    hub.handle_pose(1, pose_frame(0.0), now=1.0)
    hub.handle_pose(2, pose_frame(1.0), now=1.0)
    assert {a.conn for a in hub.tick(1.1)} == {1, 2}
    for i in range(10):
        out = hub.handle(1, "{bad", now=2.0 + i * 0.01)
    assert closes(out)[0].code == CloseCode.INVALID_MESSAGES
    assert hub.room_of(1) is None and hub.handle(1, "{bad", now=3.0) == []
    hub.resync(2)
    assert hub.counts()["st"].present == 1
