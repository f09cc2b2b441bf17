"""A join costs the same in a room of 3,000 as in one of 300 (issue #22), and its welcome still names the nearest.

No timing: the work is counted (candidate rows a welcome's search examined, grids built) and the memory one join
allocates is traced (numpy's buffers included), which grew by about 80 bytes per member with the search over the
whole room that this replaced.
"""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
from realtime_factories import SCENE, join, pose_frame

from server.live.core.members import RoomConfig
from server.live.core.nearby import ROWS_PER_K
from server.live.core.room import Room

K = 32


def crowd(n: int, seed: int = 3) -> tuple[Room, dict[int, tuple[int, int, int]]]:
    """``n`` members posed uniformly over a 40 m × 30 m floor (heads 1.5–1.75 m), then a tick; their positions in cm."""
    rng = np.random.default_rng(seed)
    room = Room("s", 1, RoomConfig(k=K, max_members=4096))
    where = {}
    for i in range(n):
        x, y, z = rng.uniform(-20, 20), rng.uniform(1.5, 1.75), rng.uniform(-15, 15)
        peer = join(room, i).peer_id
        room.handle_pose(peer, pose_frame(x, y, z), now=0.0)
        where[peer] = (round(x * 100), round(y * 100), round(z * 100))
    room.tick(0.1)
    return room, where


def welcome_peers(actions: list[object]) -> list[int]:
    return [p["id"] for p in json.loads(actions[-1].frame)["peers"]]  # type: ignore[attr-defined]


def test_a_join_examines_as_many_rows_in_a_room_of_3000_as_in_one_of_300() -> None:
    per_join = {}
    for n in (300, 3000):
        room, _ = crowd(n)
        before = (room.join_work.rows, room.join_work.builds)
        now = 0.1
        for j in range(60):
            if j % 15 == 0:  # 150 joins a second at 10 Hz
                now += 0.1
                room.tick(now)
            res = join(room, 10_000 + j, now=now)
            room.handle_pose(res.peer_id, pose_frame(float(j % 7), 1.6, float(j % 5)), now=now)
            room.leave(res.peer_id, now=now, graceful=True)
        per_join[n] = (room.join_work.rows - before[0]) / 60
        assert room.join_work.builds - before[1] == 4  # one grid per tick that had joins, whatever the joins
    assert per_join[3000] <= 2 * ROWS_PER_K * K  # a full scan would examine 3,000 rows per join
    assert per_join[3000] <= 2 * per_join[300], per_join


def test_the_memory_one_join_allocates_does_not_grow_with_the_room() -> None:
    peaks = {}
    for n in (300, 3000):
        room, _ = crowd(n)
        join(room, 9_999, now=0.1)  # the first join after a tick builds the grids: once per tick, O(n)
        tracemalloc.start()
        try:
            res = join(room, 10_000, now=0.1)
            peaks[n] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert len(welcome_peers(res.actions)) == K
    # 2,700 more members: the whole-room search allocated ~200 KB more; this one the length of a few names more.
    assert peaks[3000] - peaks[300] < 8 * 1024, peaks


def test_the_welcome_names_the_k_nearest_posed_peers_in_order() -> None:
    room, where = crowd(2000, seed=5)
    ids = np.array(list(where))
    pos = np.array(list(where.values()))
    rng = np.random.default_rng(6)
    for j in range(20):
        x, z = rng.uniform(-22, 22), rng.uniform(-17, 17)
        res = room.join(20_000 + j, session=f"n{j}", name="n", now=0.1, scene=SCENE, spawn=(x, 0.0, z))
        d2 = ((pos - (round(x * 100), 0, round(z * 100))) ** 2).sum(axis=1)
        assert welcome_peers(res.actions) == ids[np.lexsort((ids, d2))[:K]].tolist()
        room.leave(res.peer_id, now=0.1, graceful=True)


def test_peers_seated_since_the_last_tick_are_in_the_welcome() -> None:
    room, _ = crowd(500)
    join(room, 1, now=0.1)  # the first join after the tick builds the grids, without the next two
    friend = join(room, 2, group="cart-1", now=0.15)
    near = join(room, 3, now=0.15)
    room.handle_pose(friend.peer_id, pose_frame(19.0, 1.6, 14.0), now=0.15)
    room.handle_pose(near.peer_id, pose_frame(0.0, 1.45, 0.0), now=0.15)  # lower than every head of the crowd
    peers = welcome_peers(join(room, 4, group="cart-1", now=0.2).actions)  # spawns at the origin, on the floor
    assert peers[0] == near.peer_id
    assert len(peers) == K + 1 and peers[-1] == friend.peer_id  # the K nearest, then the group's member far away
