"""The seat ledger: placement rules on both implementations, the Lua script against the pure rule, a
capacity race across OS processes, and seats that disappear with their worker and come back with Redis."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from asyncio.subprocess import PIPE
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from redis_server import RedisServer

from server.live.cluster.seats import (
    FESTIVAL_FULL,
    STORE_FULL,
    LedgerUnavailable,
    LocalSeatLedger,
    RedisSeatLedger,
    Refused,
    SeatLedger,
    choose_instance,
    make_seat_ledger,
)
from server.settings import Settings

WAIT_S = 30.0
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(params=["local", "redis"])
async def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SeatLedger]:
    if request.param == "local":
        yield LocalSeatLedger()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    redis_ledger = RedisSeatLedger(server.url, worker="w1")
    yield redis_ledger
    await redis_ledger.close()


async def claims(ledger: SeatLedger, n: int, store: str = "s", capacity: int = 3,
                 **rules: int | str | None) -> list[int | Refused]:
    return [await ledger.claim(store, capacity=capacity, **rules) for _ in range(n)]  # type: ignore[arg-type]


def test_make_seat_ledger_follows_the_settings() -> None:
    assert isinstance(make_seat_ledger(Settings(redis_url=None), worker="w"), LocalSeatLedger)
    redis_ledger = make_seat_ledger(Settings(redis_url="redis://127.0.0.1:1/0"), worker="w")
    assert isinstance(redis_ledger, RedisSeatLedger) and redis_ledger.worker == "w"


async def test_the_fullest_instance_with_room_fills_first(ledger: SeatLedger) -> None:
    assert await claims(ledger, 4, capacity=3) == [1, 1, 1, 2]
    await ledger.release("s", 1)
    assert await ledger.counts("s") == {1: 2, 2: 1}
    assert await claims(ledger, 1, capacity=3) == [1]  # the fuller one, so the newer instance can drain
    await ledger.release("s", 1)
    await ledger.claim("s", capacity=3)  # back to 1: {1: 3, 2: 1}
    assert await claims(ledger, 2, capacity=3) == [2, 2]
    await ledger.release("s", 1)
    await ledger.release("s", 2)  # a tie {1: 2, 2: 2} → the lowest number
    assert await claims(ledger, 1, capacity=3) == [1]
    assert await ledger.counts("s") == {1: 3, 2: 2} and await ledger.total() == 5


async def test_a_group_member_joins_its_group_within_the_slack(ledger: SeatLedger) -> None:
    await claims(ledger, 2, capacity=2)
    assert await claims(ledger, 1, capacity=2, prefer=1, prefer_slack=1) == [1]  # 3 seats: over capacity, in slack
    assert await claims(ledger, 1, capacity=2, prefer=1, prefer_slack=1) == [2]  # slack used up
    assert await claims(ledger, 1, capacity=2, prefer=2, prefer_slack=0) == [2]
    assert await ledger.counts("s") == {1: 3, 2: 2}


async def test_a_preferred_instance_that_is_closed_opens_only_if_allowed(ledger: SeatLedger) -> None:
    assert await claims(ledger, 1, capacity=2, prefer=3) == [3]  # the group's instance number is kept
    assert await claims(ledger, 1, capacity=2, max_instances=1, prefer=2) == [3]  # may not open a second
    assert await claims(ledger, 1, capacity=2, max_instances=1, prefer=2) == [STORE_FULL]


async def test_store_full_at_max_instances_and_room_again_after_a_release(ledger: SeatLedger) -> None:
    assert await claims(ledger, 5, capacity=2, max_instances=2) == [1, 1, 2, 2, STORE_FULL]
    await ledger.release("s", 2)
    assert await claims(ledger, 2, capacity=2, max_instances=2) == [2, STORE_FULL]
    assert await claims(ledger, 1, store="other", capacity=2, max_instances=2) == [1]  # per store


async def test_the_festival_cap_counts_every_store(ledger: SeatLedger) -> None:
    assert await claims(ledger, 2, store="a", festival_cap=3) == [1, 1]
    assert await claims(ledger, 1, store="b", festival_cap=3) == [1]
    assert await claims(ledger, 1, store="c", festival_cap=3) == [FESTIVAL_FULL]
    assert await claims(ledger, 1, store="a", festival_cap=3, prefer=1, prefer_slack=5) == [FESTIVAL_FULL]
    assert await ledger.total() == 3
    await ledger.release("a", 1)
    assert await claims(ledger, 1, store="c", festival_cap=3) == [1]


async def test_festivals_are_counted_apart(ledger: SeatLedger) -> None:
    """A full festival never refuses another festival's shoppers, and releases count where they were taken."""
    assert await claims(ledger, 2, store="a", festival="spring", festival_cap=2) == [1, 1]
    assert await claims(ledger, 1, store="b", festival="spring", festival_cap=2) == [FESTIVAL_FULL]
    assert await claims(ledger, 2, store="plaza:autumn", festival="autumn", festival_cap=2) == [1, 1]
    assert await ledger.total("spring") == 2 and await ledger.total("autumn") == 2
    await ledger.release("plaza:autumn", 1)
    assert await ledger.total("spring") == 2 and await ledger.total("autumn") == 1
    assert await claims(ledger, 1, store="b", festival="spring", festival_cap=2) == [FESTIVAL_FULL]
    assert await claims(ledger, 1, store="c", festival="autumn", festival_cap=2) == [1]


async def test_releasing_a_seat_not_held_changes_nothing(ledger: SeatLedger) -> None:
    await ledger.release("s", 1)
    await claims(ledger, 1)
    await ledger.release("s", 7)
    await ledger.release("nowhere", 1)
    assert await ledger.counts("s") == {1: 1} and await ledger.total() == 1
    await ledger.release("s", 1)
    await ledger.release("s", 1)
    assert await ledger.counts("s") == {} and await ledger.total() == 0


async def test_the_lua_script_places_exactly_like_choose_instance(redis_server: RedisServer) -> None:
    """Random store states (held by another worker) and rules: the script and the pure function agree."""
    seed, probe = RedisSeatLedger(redis_server.url, worker="seed"), RedisSeatLedger(redis_server.url, worker="probe")
    rng = random.Random(8)
    try:
        for case in range(300):
            store = f"case{case}"
            capacity = rng.randint(1, 4)
            counts = {n: rng.randint(1, capacity + 2) for n in rng.sample(range(1, 7), rng.randint(0, 4))}
            rules = {"capacity": capacity, "max_instances": rng.choice([None, 1, 2, 3, 5]),
                     "prefer": rng.choice([None, 1, 2, 3, 7]), "prefer_slack": rng.randint(0, 2)}
            seed._mine = {(store, n): c for n, c in counts.items()}
            await seed.heartbeat()  # writes the mirror: the store now holds ``counts``
            expected = choose_instance(counts, **rules)  # type: ignore[arg-type]
            got = await probe.claim(store, **rules)  # type: ignore[arg-type]
            assert got == expected, (counts, rules)
            if isinstance(got, int):
                await probe.release(store, got)
    finally:
        await seed.close()
        await probe.close()


async def test_capacity_holds_across_processes(redis_server: RedisServer) -> None:
    """3 processes × 4 workers × 25 concurrent claims = 300 claims for 2 × 50 seats: exactly 100 granted."""
    script = str(Path(__file__).with_name("seat_race.py"))
    procs = [await asyncio.create_subprocess_exec(sys.executable, script, redis_server.url, "race", f"p{i}", "4",
                                                  "25", "50", "2", stdin=PIPE, stdout=PIPE, cwd=REPO)
             for i in range(3)]
    try:
        async with asyncio.timeout(WAIT_S * 2):
            for p in procs:
                assert p.stdout is not None and (await p.stdout.readline()).strip() == b"ready"
            for p in procs:  # all connected and waiting: now they fire at once
                assert p.stdin is not None
                p.stdin.write(b"go\n")
            results: dict[str, list[int | str]] = {}
            for p in procs:
                assert p.stdout is not None
                results.update(json.loads(await p.stdout.readline()))
        granted = Counter(r for rs in results.values() for r in rs if isinstance(r, int))
        refused = Counter(r for rs in results.values() for r in rs if isinstance(r, str))
        assert granted == {1: 50, 2: 50} and refused == {"store_full": 200}
        observer = RedisSeatLedger(redis_server.url, worker="observer", prefix="race")
        assert await observer.counts("s") == {1: 50, 2: 50} and await observer.total() == 100
        await observer.close()
    finally:
        for p in procs:
            if p.stdin is not None:
                p.stdin.write(b"exit\n")
                p.stdin.close()
        for p in procs:
            try:
                async with asyncio.timeout(WAIT_S):
                    await p.wait()
            except TimeoutError:
                p.kill()
                await p.wait()


async def eventually(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll ``condition`` until it holds (the deadline is generous; the loop ends as soon as it is true)."""
    deadline = time.monotonic() + WAIT_S
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_a_worker_whose_heartbeat_stops_loses_its_seats_and_gets_them_back_if_it_returns(
    redis_server: RedisServer,
) -> None:
    stalled = RedisSeatLedger(redis_server.url, worker="stalled", ttl_s=0.5)
    other = RedisSeatLedger(redis_server.url, worker="other")
    try:
        assert [await stalled.claim("s", capacity=10) for _ in range(3)] == [1, 1, 1]
        await other.claim("s", capacity=10)
        assert await other.counts("s") == {1: 4}

        async def expired() -> bool:
            return await other.counts("s") == {1: 1}

        await eventually(expired, "the stalled worker's seats to expire")  # no heartbeat for > TTL
        assert await other.total() == 1
        await other.claim("s", capacity=10)  # a claim prunes the dead worker's keys
        keys = {k.decode() for k in redis_server.client().keys("vrstore:seats:w:stalled:*")}
        assert keys == set()
        await stalled.heartbeat()  # it was only stalled: its mirror is written back
        assert await other.counts("s") == {1: 5} and await other.total() == 5
    finally:
        await stalled.close()
        await other.close()


async def test_seats_come_back_after_redis_restarts_empty(redis_server: RedisServer) -> None:
    ledger = RedisSeatLedger(redis_server.url, worker="w", op_timeout_s=0.5)
    try:
        assert [await ledger.claim("s", festival="f", capacity=2) for _ in range(3)] == [1, 1, 2]
        redis_server.kill()
        started = time.monotonic()
        with pytest.raises(LedgerUnavailable):
            await ledger.claim("s", capacity=2)
        with pytest.raises(LedgerUnavailable):
            await ledger.heartbeat()
        assert time.monotonic() - started < 5.0
        redis_server.start()  # nothing persisted: the ledger is empty
        assert await ledger.claim("s", festival="f", capacity=2) == 2  # the claim restores this worker's seats first
        assert await ledger.counts("s") == {1: 2, 2: 2}
        await ledger.release("s", 1)
        await ledger.heartbeat()
        assert await ledger.counts("s") == {1: 1, 2: 2} and await ledger.total("f") == 3
    finally:
        await ledger.close()
