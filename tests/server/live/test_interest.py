"""Interest management: exact K nearest (grid vs brute force), plus group members, far peers at half rate."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from realtime_factories import join, pose_frame, ticks

from server.live.core import interest
from server.live.core.interest import Pairs, nearest_k
from server.live.core.members import RoomConfig
from server.live.core.room import Room


def brute_force_reference(
    rpos: NDArray[np.integer], rids: NDArray[np.integer],
    cpos: NDArray[np.integer], cids: NDArray[np.integer],
    *, k: int, max_dist_cm: float | None = None,
) -> list[list[int]]:
    """Slow, obviously-correct reference: per recipient, the ordered candidate ids."""
    out = []
    cp = cpos.astype(np.int64)
    for p, rid in zip(rpos.astype(np.int64), rids, strict=True):
        d2 = ((cp - p) ** 2).sum(axis=1)
        ok = (cids != rid) & (True if max_dist_cm is None else d2 <= int(max_dist_cm * max_dist_cm))
        idx = np.flatnonzero(ok)
        order = np.lexsort((cids[idx], d2[idx]))[:k]
        out.append([int(cids[i]) for i in idx[order]])
    return out


def as_lists(p: Pairs, cids: np.ndarray, n: int) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(n)]
    for r, c in zip(p.rec.tolist(), p.cand.tolist(), strict=True):
        out[r].append(int(cids[c]))
    return out


@st.composite
def scenes(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 60))
    span = draw(st.sampled_from([3, 50, 2000, 30000]))  # small spans force distance ties
    coords = st.lists(st.integers(-span, span), min_size=3 * n, max_size=3 * n)
    pos = np.array(draw(coords), dtype=np.int16).reshape(n, 3)
    ids = np.array(draw(st.permutations(range(1, 200)))[:n], dtype=np.uint16)
    # Recipients: a subset of the candidates plus (sometimes) someone without a pose yet.
    take = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    return pos[take], ids[take], pos, ids


@settings(max_examples=200, deadline=None)
@given(scene=scenes(), k=st.integers(1, 8), cell=st.none() | st.integers(1, 3000),
       max_dist=st.none() | st.floats(0, 5000))
def test_nearest_k_equals_brute_force(scene: tuple[np.ndarray, ...], k: int, cell: int | None,
                                      max_dist: float | None) -> None:
    rpos, rids, cpos, cids = scene
    got = nearest_k(rpos, rids, cpos, cids, k=k, max_dist_cm=max_dist, cell_cm=cell)
    want = brute_force_reference(rpos, rids, cpos, cids, k=k, max_dist_cm=max_dist)
    assert as_lists(got, cids, len(rpos)) == want


@pytest.mark.parametrize("layout", ["uniform", "crowds", "corridor"])
def test_nearest_k_large_sets_use_the_grid_exactly(layout: str) -> None:
    rng = np.random.default_rng(7)
    n = 1500
    if layout == "uniform":
        xz = rng.uniform(-6000, 6000, size=(n, 2))
    elif layout == "crowds":  # a stage crowd, a few queues and a sparse rest
        centers = rng.uniform(-6000, 6000, size=(5, 2))
        xz = np.concatenate([centers[rng.integers(0, 5, n // 2)] + rng.normal(0, 150, (n // 2, 2)),
                             rng.uniform(-6000, 6000, size=(n - n // 2, 2))])
    else:
        xz = np.stack([rng.uniform(-30000, 30000, n), rng.uniform(-200, 200, n)], axis=1)
    pos = np.stack([xz[:, 0], rng.uniform(150, 190, n), xz[:, 1]], axis=1).astype(np.int16)
    ids = rng.permutation(np.arange(1, 60000))[:n].astype(np.uint16)
    got = nearest_k(pos, ids, pos, ids, k=32)
    assert as_lists(got, ids, n) == brute_force_reference(pos, ids, pos, ids, k=32)


def _entrance_crowd(n: int, crowd: int, spread_cm: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``crowd`` shoppers around the entrance (spread 0: all on one spot, so distances tie), the rest sparse."""
    rng = np.random.default_rng(seed)
    xz = np.concatenate([rng.normal(0, spread_cm, (crowd, 2)) if spread_cm else np.zeros((crowd, 2)),
                         rng.uniform(-2000, 2000, (n - crowd, 2))])
    pos = np.stack([xz[:, 0], rng.uniform(150, 190, n), xz[:, 1]], axis=1).astype(np.int16)
    return pos, rng.permutation(np.arange(1, 60000))[:n].astype(np.uint16)


@pytest.mark.parametrize("k", [1, 5, 32])
@pytest.mark.parametrize("spread_cm", [0, 3, 40, 300])
def test_crowds_solved_on_finer_cells_are_exact(k: int, spread_cm: float) -> None:
    pos, ids = _entrance_crowd(900, 600, spread_cm, seed=11)
    got = nearest_k(pos, ids, pos, ids, k=k)
    assert as_lists(got, ids, len(pos)) == brute_force_reference(pos, ids, pos, ids, k=k)


def test_when_every_recipient_settles_in_its_crowd_nothing_is_left_for_the_coarse_grid() -> None:
    # Hypothesis found it: one recipient amid a crowd, settled on the finer cells, left an empty round behind.
    pos = np.array([[0, 0, 0]] + [[i % 5, 0, i // 5] for i in range(20)] + [[3000, 0, 3000]], dtype=np.int16)
    ids = np.arange(1, 23, dtype=np.uint16)
    got = nearest_k(pos[:1], ids[:1], pos, ids, k=1, cell_cm=100)
    assert as_lists(got, ids, 1) == brute_force_reference(pos[:1], ids[:1], pos, ids, k=1)


def test_a_crowd_at_the_entrance_costs_its_members_not_its_square(monkeypatch: pytest.MonkeyPatch) -> None:
    # Everyone who just joined stands near the entrance. Ranking the whole crowd for each of its members examined
    # about 860 pairs per shopper here (1,000 of 1,200 within a metre or two); finer cells for the crowd, about 190.
    examined: list[int] = []
    ranked = interest._top_k

    def counting(rec: np.ndarray, *args: Any) -> Pairs:
        examined.append(len(rec))
        return ranked(rec, *args)

    monkeypatch.setattr(interest, "_top_k", counting)
    pos, ids = _entrance_crowd(1200, 1000, 100, seed=5)
    got = nearest_k(pos, ids, pos, ids, k=32)
    assert as_lists(got, ids, len(pos)) == brute_force_reference(pos, ids, pos, ids, k=32)
    assert sum(examined) <= 12 * 32 * len(pos), sum(examined) / len(pos)


def test_room_tick_sends_k_nearest_plus_group_members() -> None:
    rng = np.random.default_rng(11)
    k, n = 8, 120
    room = Room("s", 1, RoomConfig(k=k, far_radius_m=None))
    xyz = np.round(rng.uniform(-40, 40, size=(n, 3)), 2)
    xyz[:, 1] = 1.6
    groups = {i: f"cart{i % 10}" for i in range(0, n, 3)}  # a third of the shoppers in 10 groups
    peers = []
    for i in range(n):
        res = join(room, i, group=groups.get(i))
        room.handle_pose(res.peer_id, pose_frame(*xyz[i]), now=0.01)
        peers.append(res.peer_id)
    frames = ticks(room.tick(0.1))
    cm = np.rint(xyz * 100).astype(np.int64)
    ids = np.array(peers)
    for i in range(n):
        d2 = ((cm - cm[i]) ** 2).sum(axis=1)
        order = [j for j in np.lexsort((ids, d2)) if j != i][:k]
        want = {peers[j] for j in order}
        if i in groups:
            want |= {peers[j] for j, g in groups.items() if g == groups[i] and j != i}
        got = frames[i].poses
        assert {p.id for p in got} == want
        assert {p.id for p in frames[i].joined} <= want  # the rest came in the welcome snapshot
        assert len(got) == len(want)


def test_identities_are_announced_once_and_welcome_snapshot_counts_as_announced() -> None:
    room = Room("s", 1)
    a = join(room, 1)
    room.handle_pose(a.peer_id, pose_frame(0), now=0.0)
    first = ticks(room.tick(0.1))
    assert first == {}  # alone: nothing to say
    b = join(room, 2, now=0.15)
    welcome = json.loads(b.actions[0].frame)
    assert [p["id"] for p in welcome["peers"]] == [a.peer_id]
    assert welcome["peers"][0]["pose"]["p"] == [0.0, 1.6, 0.0]
    room.handle_pose(b.peer_id, pose_frame(1), now=0.15)
    t2 = ticks(room.tick(0.2))
    assert t2[2].joined == [] and [p.id for p in t2[2].poses] == [a.peer_id]
    assert [j.id for j in t2[1].joined] == [b.peer_id]
    t3 = ticks(room.tick(0.3))
    assert t3[1].joined == [] and t3[2].joined == [] and all(a2.droppable for a2 in room.tick(0.4))


def test_far_peers_update_every_other_tick() -> None:
    room = Room("s", 1, RoomConfig(far_radius_m=10.0))
    me = join(room, 0)
    room.handle_pose(me.peer_id, pose_frame(0), now=0.0)
    near = [join(room, i) for i in (1, 2)]
    far = [join(room, i) for i in (3, 4, 5)]
    for i, p in enumerate(near):
        room.handle_pose(p.peer_id, pose_frame(2.0 + i), now=0.0)
    for i, p in enumerate(far):
        room.handle_pose(p.peer_id, pose_frame(30.0 + i), now=0.0)
    seen: dict[int, int] = {}
    first = ticks(room.tick(0.1))[0]
    assert {p.id for p in first.poses} == {p.peer_id for p in near + far}  # new peers always come at once
    for t in range(2, 22):
        for p in ticks(room.tick(t / 10))[0].poses:
            seen[p.id] = seen.get(p.id, 0) + 1
    assert all(seen[p.peer_id] == 20 for p in near)
    assert all(seen[p.peer_id] == 10 for p in far)


def test_view_radius_limits_non_group_peers() -> None:
    room = Room("s", 1, RoomConfig(view_radius_m=20.0, far_radius_m=None))
    me = join(room, 0, group="c")
    friend = join(room, 1, group="c")
    stranger = join(room, 2)
    near = join(room, 3)
    for p, x in ((me, 0.0), (friend, 100.0), (stranger, 100.5), (near, 5.0)):
        room.handle_pose(p.peer_id, pose_frame(x), now=0.0)
    assert {p.id for p in ticks(room.tick(0.1))[0].poses} == {friend.peer_id, near.peer_id}
