"""The waiting-room stores behave alike: in one process, and in Redis shared by workers (and outliving them)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from redis_server import RedisServer

from server.domain import tickets
from server.domain import waiting_room as wr
from server.domain.errors import NotFound, Unavailable
from server.redis_conn import redis_client
from server.services.waiting_rooms import Controls, LocalWaitingRooms, WaitingRooms
from server.services.waiting_rooms_redis import RedisWaitingRooms

KEY = b"k" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["local", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[tuple[WaitingRooms, Clock]]:
    clock = Clock()
    if request.param == "local":
        yield LocalWaitingRooms(KEY, clock=clock, rng=random.Random(1)), clock
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    rooms = RedisWaitingRooms(KEY, redis_client(server.url), clock=clock, rng=random.Random(1))
    yield rooms, clock
    await rooms.close()


def ticket(session: int) -> str:
    return tickets.sign(KEY, "fest", session)


async def test_fifo_one_ticket_per_session_and_leaving(store: tuple[WaitingRooms, Clock]) -> None:
    rooms, clock = store
    views = []
    for s in range(1, 6):
        clock.now += 1
        views.append(await rooms.take("fest", s, opened=True))
    assert [v.standing.position for v in views] == [1, 2, 3, 4, 5]
    again = await rooms.take("fest", 3, opened=True)  # a refresh, a second tab
    assert again.ticket == views[2].ticket and again.standing.position == 3
    await rooms.cancel("fest", ticket(2), 2)
    assert (await rooms.status("fest", ticket(5), 5)).standing.position == 4
    with pytest.raises(NotFound):
        await rooms.status("fest", ticket(2), 2)
    with pytest.raises(NotFound):  # someone else's ticket
        await rooms.status("fest", ticket(5), 4)


async def test_prequeue_draw_then_fifo(store: tuple[WaitingRooms, Clock]) -> None:
    rooms, clock = store
    for s in range(1, 21):
        clock.now += 1
        view = await rooms.take("fest", s, opened=False)
        assert view.standing.phase is wr.Phase.PREQUEUE and view.standing.position is None
    clock.now += 1
    late = await rooms.take("fest", 99, opened=True)  # the sale opened: the draw happens first
    assert late.standing.position == 21
    order = [(await rooms.status("fest", ticket(s), s)).standing.position for s in range(1, 21)]
    assert sorted(order) == list(range(1, 21)) and order != list(range(1, 21))


async def test_admission_window_must_queue_and_used_once(store: tuple[WaitingRooms, Clock]) -> None:
    rooms, clock = store
    assert not await rooms.must_queue("fest", 1, admitting=True, full=False)  # no line, room: walk in
    for s in (1, 2, 3):
        await rooms.take("fest", s, opened=True)
    assert await rooms.must_queue("fest", 9, admitting=True, full=False)  # no walking past the line
    assert await rooms.admit_round("fest", room_for=2, opened=True, dt=1.0) == [1, 2]
    assert (await rooms.status("fest", ticket(1), 1)).standing.phase is wr.Phase.ADMITTED
    assert await rooms.admit_round("fest", room_for=2, opened=True, dt=1.0) == []  # their seats are spoken for
    assert not await rooms.must_queue("fest", 1, admitting=True, full=False)  # enters...
    assert await rooms.must_queue("fest", 1, admitting=True, full=False)  # ...once
    clock.now += 61  # 2 never came: its turn lapses and the next is admitted
    assert await rooms.admit_round("fest", room_for=2, opened=True, dt=1.0) == [3]
    assert (await rooms.status("fest", ticket(2), 2)).standing.phase is wr.Phase.LAPSED
    back = await rooms.take("fest", 2, opened=True)  # lines up again, at the back
    assert back.standing.phase is wr.Phase.WAITING and back.standing.position == 1


async def test_organizer_modes_and_overview(store: tuple[WaitingRooms, Clock]) -> None:
    rooms, clock = store
    for s in range(1, 11):
        await rooms.take("fest", s, opened=True)
    await rooms.set_controls("fest", Controls(mode="paused", message_en="Back soon"))
    assert await rooms.admit_round("fest", room_for=100, opened=True, dt=1.0) == []
    view = await rooms.status("fest", ticket(4), 4)
    assert view.standing.eta_s is None and view.controls.message_en == "Back soon"
    await rooms.set_controls("fest", Controls(mode="fixed", admit_per_min=120))
    counts = []
    for _ in range(3):
        clock.now += 1
        counts.append(len(await rooms.admit_round("fest", room_for=100, opened=True, dt=1.0)))
    assert counts == [2, 2, 2]
    overview = await rooms.overview("fest")
    assert overview["waiting"] == 4 and overview["admitted_last_minute"] == 6
    assert overview["eta_back_s"] == pytest.approx(4 / 2.0, rel=0.5)
    assert await rooms.festivals_waiting() == ["fest"]


async def test_the_redis_line_is_shared_by_workers_and_outlives_them(redis_server: RedisServer) -> None:
    clock = Clock()
    one = RedisWaitingRooms(KEY, redis_client(redis_server.url), clock=clock, worker="w1")
    two = RedisWaitingRooms(KEY, redis_client(redis_server.url), clock=clock, worker="w2")
    try:
        for s in range(1, 201):
            await (one if s % 2 else two).take("fest", s, opened=True)
        # Both admit at once (two workers' admitters), each with room for 15: the festival has room for 30 (a
        # ticket enters whichever worker it lands on). Nobody twice, nobody skipped, in arrival order, and never
        # more in flight than that room (admitted tickets not used yet count against it).
        got = await asyncio.gather(*(w.admit_round("fest", room_for=15, opened=True, dt=1.0)
                                     for w in (one, two, one, two)))
        admitted = [s for batch in got for s in batch]
        assert sorted(admitted) == list(range(1, 31))
        clock.now += 1  # the festival's cap (room for 35 in all) holds whatever the workers' load allows
        assert len(await one.admit_round("fest", room_for=40, opened=True, dt=1.0, cap_room=35)) == 5
        clock.now += 5  # a worker that stopped reporting (killed) no longer lends its room: 40 - 35 in flight
        assert len(await one.admit_round("fest", room_for=40, opened=True, dt=1.0)) == 5
        await one.close()  # a worker goes away; a new one finds every place where it was
        three = RedisWaitingRooms(KEY, redis_client(redis_server.url), clock=clock)
        assert (await three.status("fest", ticket(41), 41)).standing.position == 1
        assert (await three.status("fest", ticket(200), 200)).standing.position == 160
        assert (await three.status("fest", ticket(7), 7)).standing.phase is wr.Phase.ADMITTED
        await three.close()
    finally:
        await two.close()


async def test_redis_away_is_a_503_and_joins_fall_back_to_the_local_rule(redis_server: RedisServer) -> None:
    rooms = RedisWaitingRooms(KEY, redis_client(redis_server.url, timeout_s=0.3))
    try:
        redis_server.kill()
        with pytest.raises(Unavailable):
            await rooms.take("fest", 1, opened=True)
        assert not await rooms.must_queue("fest", 1, admitting=True, full=False)
        assert await rooms.must_queue("fest", 1, admitting=False, full=False)
    finally:
        await rooms.close()
