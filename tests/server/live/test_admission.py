"""The admission policy, fed tick timings: it degrades in order, closes before the bound is lost, reopens calmly."""

from __future__ import annotations

import pytest

from server.live.core.admission import AdmissionConfig, AdmissionPolicy, Level, LoadSample, degraded_room_config
from server.live.core.hub import Hub, HubConfig
from server.live.core.members import RoomConfig

BUDGET = 0.1  # 10 Hz


def feed(policy: AdmissionPolicy, *, seconds: float, tick_s: float, start: float = 0.0, conns: int = 1000,
         lag_s: float = 0.0, backlog: int = 0) -> float:
    """Ten samples a second for ``seconds``; returns the time after the last one."""
    now = start
    for _ in range(int(seconds * 10)):
        now += BUDGET
        policy.observe(LoadSample(now=now, tick_s=tick_s, lag_s=lag_s, connections=conns, backlog=backlog))
    return now


def policy() -> AdmissionPolicy:
    return AdmissionPolicy(AdmissionConfig(tick_budget_s=BUDGET))


def test_a_light_load_admits_and_degrades_nothing() -> None:
    p = policy()
    feed(p, seconds=3, tick_s=0.01)
    assert p.level is Level.NORMAL and p.admitting and p.pressure < 0.6


def test_rising_load_degrades_in_order_and_closes_before_the_budget_is_spent() -> None:
    p = policy()
    seen = []
    now = 0.0
    for tick_ms in range(5, 60, 2):  # the tick grows as shoppers arrive
        now = feed(p, seconds=1, tick_s=tick_ms / 1000, start=now)
        seen.append(p.level)
    # Levels only rise, one kind at a time, and the door shuts while ticks still fit in the interval.
    assert seen == sorted(seen) and set(seen) == set(Level)
    closed_at_ms = 5 + 2 * seen.index(Level.CLOSED)
    assert closed_at_ms < BUDGET * 1000 * 0.5, closed_at_ms
    assert not p.admitting and p.room_for() == 0


def test_one_slow_tick_does_not_shut_the_door() -> None:
    p = policy()
    now = feed(p, seconds=2, tick_s=0.01)
    p.observe(LoadSample(now=now + 0.1, tick_s=0.2, lag_s=0.0, connections=1000, backlog=0))  # a GC pause
    assert p.admitting


def test_lag_and_backlog_each_count_as_pressure() -> None:
    p = policy()
    feed(p, seconds=3, tick_s=0.005)
    assert p.admitting
    for kwargs in ({"lag_s": 0.06}, {"backlog": 100}):
        p = policy()
        feed(p, seconds=3, tick_s=0.005, **kwargs)  # type: ignore[arg-type]
        assert p.level is Level.CLOSED, kwargs


def test_the_level_falls_one_step_at_a_time_only_after_calm() -> None:
    p = policy()
    now = feed(p, seconds=3, tick_s=0.06)
    assert p.level is Level.CLOSED
    now = feed(p, seconds=3, tick_s=0.005, start=now)  # calm, but not for long enough yet
    assert p.level is Level.CLOSED
    now = feed(p, seconds=3, tick_s=0.005, start=now)
    assert p.level is Level.SLOWER_FAR_PEERS  # one step
    feed(p, seconds=20, tick_s=0.005, start=now)
    assert p.level is Level.NORMAL


def test_hovering_at_a_threshold_does_not_flap() -> None:
    p = policy()
    now = feed(p, seconds=3, tick_s=0.046)  # pressure ≈ 0.92: closed
    changes = 0
    last = p.level
    for i in range(200):  # ± 5 % around the threshold
        now = feed(p, seconds=0.1, tick_s=0.046 if i % 2 else 0.044, start=now)
        changes += p.level != last
        last = p.level
    assert changes <= 1


def test_room_for_follows_the_measured_cost_per_shopper() -> None:
    p = policy()
    feed(p, seconds=10, tick_s=0.02, conns=1000)  # 20 µs a shopper; the target tick is 25 ms
    assert 200 <= p.room_for() <= 300  # 20 µs a shopper; the target: a 25 ms tick
    assert p.capacity() == 1000 + p.room_for()


def test_a_full_worker_sends_fewer_peers_before_it_turns_newcomers_away() -> None:
    p = policy()
    now = 0.0
    levels = []
    for _ in range(200):  # 20 s of 1,000 shoppers: 26 ms ticks at full K (just past the 25 ms target), 17 at K / 2
        now = feed(p, seconds=0.1, tick_s=0.026 if p.level is Level.NORMAL else 0.017, start=now)
        levels.append(p.level)
    assert levels[-1] is Level.FEWER_PEERS  # degraded rather than turning newcomers away …
    assert p.room_for() > 0  # … and the cheaper tick is room for more (the old policy: level 0, room 0)
    assert Level.NORMAL not in levels[levels.index(Level.FEWER_PEERS):]  # and it stays there, no flapping


def test_a_door_that_closes_before_the_first_degradation_is_refused() -> None:
    with pytest.raises(ValueError, match="fewer peers"):
        AdmissionConfig(thresholds=(0.6, 0.75, 0.9), target=0.5)


def test_the_organizer_can_close_admission_regardless_of_load() -> None:
    p = policy()
    p.forced_closed = True
    feed(p, seconds=1, tick_s=0.001)
    assert not p.admitting and p.room_for() == 0


def test_degraded_rooms_send_fewer_and_slower_far_peers() -> None:
    base = RoomConfig(k=32, far_radius_m=10.0)
    assert degraded_room_config(base, Level.NORMAL) == base
    assert degraded_room_config(base, Level.FEWER_PEERS).k == 16
    slow = degraded_room_config(base, Level.SLOWER_FAR_PEERS)
    assert (slow.k, slow.far_radius_m) == (16, 5.0)
    hub = Hub(HubConfig(room=base))
    hub.join(1, store="s", session="a", name="A", now=0.0, scene={})
    hub.set_level(Level.SLOWER_FAR_PEERS)
    hub.join(2, store="t", session="b", name="B", now=0.0, scene={})
    assert hub.rooms("s")[1].config.k == 16 and hub.rooms("t")[1].config.far_radius_m == 5.0
    hub.set_level(Level.NORMAL)
    assert hub.rooms("s")[1].config == base


def test_a_stall_of_seconds_does_not_close_the_door() -> None:
    """A fresh worker's first tick can start seconds late (imports, warm-up): one sample, clipped."""
    p = policy()
    p.observe(LoadSample(now=0.1, tick_s=0.5, lag_s=2.5, connections=0, backlog=0))
    feed(p, seconds=1, tick_s=0.005, start=0.1)
    assert p.admitting and p.level is Level.NORMAL


def test_the_door_closes_only_when_the_overload_lasts() -> None:
    p = policy()
    now = feed(p, seconds=0.5, tick_s=0.2)  # heavy from the first tick, but only for half a second
    assert p.level is Level.SLOWER_FAR_PEERS and p.admitting
    feed(p, seconds=1.5, tick_s=0.2, start=now)
    assert p.level is Level.CLOSED and not p.admitting


def test_joins_between_two_ticks_stop_at_the_room_there_is() -> None:
    p = policy()
    feed(p, seconds=10, tick_s=0.02, conns=1000)  # room for about 250 more
    room = p.room_for()
    let_in = sum(p.admit_one() for _ in range(2000))  # a crowd arriving before the next tick
    assert let_in == room and p.room_for() == 0 and p.capacity() == 1000 + room
    p.observe(LoadSample(now=100.0, tick_s=0.02 * (1000 + room) / 1000, lag_s=0.0, connections=1000 + room,
                         backlog=0))  # the next tick carries them all: no room left
    assert p.room_for() <= 5


def test_a_small_crowd_always_gets_in_whatever_the_machine_does() -> None:
    """A slow tick with a handful of shoppers is another process's doing: turning them away would not help."""
    p = policy()
    feed(p, seconds=3, tick_s=0.2, lag_s=0.2, conns=10)
    assert not p.admitting  # the level says overloaded...
    assert p.room_for() == 90 and p.admit_one()  # ...but up to 100 shoppers there is room
    p.forced_closed = True
    assert p.room_for() == 0  # the organizer's word still goes


def test_a_crowd_arriving_at_150_a_second_is_judged_by_its_own_cost() -> None:
    """The first ticks, with a shopper or two, cost the tick's fixed part: no measure of what a shopper costs."""
    p = policy()
    now, conns = 0.0, 1
    for _ in range(40):  # 15 more shoppers a tick, each costing 20 µs, over 0.5 ms of fixed work per tick
        now += BUDGET
        p.observe(LoadSample(now=now, tick_s=0.0005 + 20e-6 * conns, lag_s=0.0, connections=conns, backlog=0))
        conns = min(300, conns + 15)
    assert p.room_for() >= 400  # a 25 ms tick holds ~1,000 such shoppers; judged by the first tick, none more
