"""A room's array state and the vectorised tick that turns it into one binary frame per recipient.

Pose records live in a numpy structured array indexed by slot (``REC_DTYPE``, 18 bytes each; hands in a
parallel 20-byte array). A tick computes interest pairs (recipient slot, candidate slot) for everyone at once,
gathers ``rec[candidates]`` in ONE fancy-indexing call, converts it to bytes once and hands every recipient a
slice of it behind a 20-byte header: each peer's pose is encoded once per tick however many see it.

``known[r, c]`` says recipient ``r`` has been told who the peer in slot ``c`` is: the first time ``c`` enters
``r``'s interest set it is announced in ``joined``; when ``c`` leaves the room everyone with ``known[:, c]``
gets it in ``left``. Identities are announced lazily like this because telling all 2,000 members about every
join costs O(n²) bytes, while K-nearest interest keeps it O(n·K).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from server.live.core.actions import Action, ConnId, Send
from server.live.core.interest import nearest_k
from server.live.core.members import RoomConfig
from server.live.core.nearby import FRESH_CAP, JoinWork, SpawnGrid
from server.live.core.poses import (
    FLAG_HANDS,
    HANDS_DTYPE,
    REC_DTYPE,
    TICK_HEADER,
    encode_tick_header,
    tick_header_array,
)
from server.live.core.protocol import EmoteOut, encode, server_ms


@dataclass(slots=True)
class TickState:
    """Slot-indexed arrays of a room plus the events waiting for the next tick."""

    capacity: int
    rec: NDArray[Any]
    hands: NDArray[Any]
    rec_bytes: memoryview  # writable byte view of ``rec``: pose frames are copied in without numpy calls
    hands_bytes: memoryview
    present: NDArray[np.bool_]
    has_pose: NDArray[np.bool_]
    remote: NDArray[np.bool_]  # a peer of another worker: a candidate for interest, never a recipient
    known: NDArray[np.bool_]
    mark: NDArray[np.bool_]  # scratch for de-duplicating group pairs; always all False between ticks
    groups: dict[str, set[int]] = field(default_factory=dict)
    left: dict[int, list[int]] = field(default_factory=dict)  # recipient slot → peer ids that left
    reset: set[int] = field(default_factory=set)
    emotes: list[tuple[int, int, str]] = field(default_factory=list)  # (slot, peer id, emote)
    seq: int = 0
    spawn: SpawnGrid | None = None  # where members stood at a tick, for the welcome snapshots (nearby.py)
    join_work: JoinWork = field(default_factory=JoinWork)

    @classmethod
    def empty(cls, cfg: RoomConfig, capacity: int = 16) -> TickState:
        """Arrays for ``capacity`` slots, all free."""
        rec = np.zeros(capacity, dtype=REC_DTYPE)
        hands = np.zeros(capacity, dtype=HANDS_DTYPE)
        return cls(
            capacity=capacity, rec=rec, hands=hands,
            rec_bytes=memoryview(rec.view(np.uint8).data), hands_bytes=memoryview(hands.view(np.uint8).data),
            present=np.zeros(capacity, dtype=bool), has_pose=np.zeros(capacity, dtype=bool),
            remote=np.zeros(capacity, dtype=bool),
            known=np.zeros((capacity, capacity), dtype=bool), mark=np.zeros((capacity, capacity), dtype=bool),
        )

    def grown(self, capacity: int) -> TickState:
        """A copy with room for ``capacity`` slots (amortised doubling)."""
        new = TickState.empty(RoomConfig(), capacity)
        n = self.capacity
        new.rec[:n], new.hands[:n] = self.rec, self.hands
        new.present[:n], new.has_pose[:n], new.remote[:n] = self.present, self.has_pose, self.remote
        new.known[:n, :n] = self.known
        new.groups, new.left, new.reset = self.groups, self.left, self.reset
        new.emotes, new.seq, new.spawn, new.join_work = self.emotes, self.seq, self.spawn, self.join_work
        return new

    def admit(self, slot: int, peer_id: int, spawn_cm: NDArray[Any], group: str | None) -> None:
        """Occupy a free slot; the peer is a recipient at once but nobody sees it before its first pose."""
        self.rec[slot] = np.zeros((), dtype=REC_DTYPE)
        self.rec["id"][slot] = peer_id
        self.rec["pos"][slot] = spawn_cm
        self.present[slot], self.has_pose[slot], self.remote[slot] = True, False, False
        if group is not None:
            self.groups.setdefault(group, set()).add(slot)
        if self.spawn is not None:
            self.spawn.fresh.append(slot)

    def remove(self, slot: int, peer_id: int, group: str | None) -> None:
        """Free a slot; whoever knew the peer gets its id in ``left``."""
        for r in np.flatnonzero(self.known[:, slot]).tolist():
            self.left.setdefault(r, []).append(peer_id)
        self.forget(slot)
        self.known[:, slot] = False
        self.present[slot] = self.has_pose[slot] = self.remote[slot] = False
        self.reset.discard(slot)
        if group is not None and (g := self.groups.get(group)) is not None:
            g.discard(slot)
            if not g:
                del self.groups[group]

    def forget(self, slot: int) -> None:
        """The recipient in ``slot`` knows nobody (new connection or resync)."""
        self.known[slot, :] = False
        self.left.pop(slot, None)

    def group_pairs(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """(recipient, candidate) slots of present group members that have a pose."""
        rs: list[int] = []
        cs: list[int] = []
        for slots in self.groups.values():
            if len(slots) < 2:
                continue
            live = [s for s in slots if self.present[s]]
            posed = [s for s in live if self.has_pose[s]]
            for r in (s for s in live if not self.remote[s]):
                for c in posed:
                    if c != r:
                        rs.append(r)
                        cs.append(c)
        return np.array(rs, dtype=np.intp), np.array(cs, dtype=np.intp)

    def snapshot_slots(self, slot: int, k: int, group: str | None = None) -> list[int]:
        """Who a newcomer in ``slot`` is told about in ``welcome``: its K nearest (nearby.py: O(1) per join, the
        grid built at most once per tick, or after as many joins as it holds) plus its ``group``; marks them
        known so the first tick does not announce them again."""
        grid, work = self.spawn, self.join_work
        if grid is None or grid.seq != self.seq or len(grid.fresh) > max(FRESH_CAP, grid.size):
            posed = np.flatnonzero(self.present | self.has_pose)  # away peers too: they may come back
            grid = self.spawn = SpawnGrid.build(posed, self.rec["pos"], self.has_pose, k, self.seq)
            work.builds, work.indexed = work.builds + 1, work.indexed + len(posed) * len(grid.levels)
        rec = self.rec
        out = grid.nearest(slot, k, rec["pos"], rec["id"], self.present, self.has_pose, work)
        if group is not None:
            near = set(out)
            out.extend(s for s in sorted(self.groups.get(group, ())) if s != slot and s not in near
                       and self.present[s])
        self.known[slot, out] = True
        return out


def _interest(st: TickState, cfg: RoomConfig) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.int64]]:
    """All (recipient, candidate, d2) pairs of this tick, grouped by recipient slot."""
    pos, ids = st.rec["pos"], st.rec["id"]
    rslots = np.flatnonzero(st.present & ~st.remote)
    cslots = np.flatnonzero(st.present & st.has_pose)
    view = None if cfg.view_radius_m is None else cfg.view_radius_m * 100.0
    p = nearest_k(pos[rslots], ids[rslots], pos[cslots], ids[cslots], k=cfg.k, max_dist_cm=view)
    rs, cs, d2 = rslots[p.rec], cslots[p.cand], p.d2
    er, ec = st.group_pairs()
    if len(er):
        st.mark[rs, cs] = True
        fresh = ~st.mark[er, ec]
        st.mark[rs, cs] = False
        er, ec = er[fresh], ec[fresh]
        diff = pos[ec].astype(np.int64) - pos[er]
        rs, cs = np.concatenate([rs, er]), np.concatenate([cs, ec])
        d2 = np.concatenate([d2, np.einsum("ij,ij->i", diff, diff)])
        order = np.argsort(rs, kind="stable")
        rs, cs, d2 = rs[order], cs[order], d2[order]
    return rs, cs, d2


def build_tick(
    st: TickState, cfg: RoomConfig, now: float, conns: list[ConnId | None], blobs: list[bytes]
) -> list[Action]:
    """One tick frame per present recipient that has something to hear, plus queued emotes."""
    st.seq += 1
    cap = st.capacity
    rs, cs, d2 = _interest(st, cfg)
    new = ~st.known[rs, cs]
    st.known[rs, cs] = True
    out: list[Action] = []
    for slot, pid, name in st.emotes:
        if st.present[slot] and int(st.rec["id"][slot]) == pid:
            frame = encode(EmoteOut(id=pid, name=name))
            for r in sorted({slot, *rs[cs == slot].tolist()}):
                if (c := conns[r]) is not None:
                    out.append(Send(c, frame))
    st.emotes.clear()
    if cfg.far_radius_m is not None:
        # Far peers are sent on alternate ticks, staggered by slot so each tick carries half of them.
        far2 = int((cfg.far_radius_m * 100.0) ** 2)
        send = (d2 <= far2) | new | (((cs + st.seq) & 1) == 0)
        rs, cs, new = rs[send], cs[send], new[send]
    hmask = (st.rec["flags"][cs] & FLAG_HANDS) != 0
    # Gathering rows of a plain uint8 matrix is several times faster than gathering structured records.
    rec_all = st.rec.view(np.uint8).reshape(cap, -1)[cs].tobytes()
    hands_all = st.hands.view(np.uint8).reshape(cap, -1)[cs[hmask]].tobytes()
    cnt_a = np.bincount(rs, minlength=cap)
    hcnt_a = np.bincount(rs[hmask], minlength=cap)
    cnt, hcnt = cnt_a.tolist(), hcnt_a.tolist()
    off, hoff = (np.cumsum(cnt_a) - cnt_a).tolist(), (np.cumsum(hcnt_a) - hcnt_a).tolist()
    joined: dict[int, list[bytes]] = {}
    for r, c in zip(rs[new].tolist(), cs[new].tolist(), strict=True):
        joined.setdefault(r, []).append(blobs[c])
    special = set(joined)
    special.update(s for s in st.left if st.present[s])
    special.update(s for s in st.reset if st.present[s])
    sms = server_ms(now)
    rsz, hsz = REC_DTYPE.itemsize, HANDS_DTYPE.itemsize
    # Steady state: most recipients only get poses; their headers are built in one vectorised step.
    plain = np.flatnonzero(cnt_a)
    hdr = tick_header_array(len(plain))
    hdr["seq"], hdr["server_ms"] = st.seq & 0xFFFFFFFF, sms
    hdr["n_poses"], hdr["n_hands"] = cnt_a[plain], hcnt_a[plain]
    hdr_all, hl = hdr.tobytes(), TICK_HEADER.size
    for i, s in enumerate(plain.tolist()):
        conn = conns[s]
        if s in special or conn is None:
            continue
        n, h, a, b = cnt[s], hcnt[s], off[s], hoff[s]
        data = hdr_all[i * hl : (i + 1) * hl] + rec_all[a * rsz : (a + n) * rsz]
        if h:
            data += hands_all[b * hsz : (b + h) * hsz]
        out.append(Send(conn, data, droppable=True))
    for s in sorted(special):
        conn = conns[s]
        if conn is None:
            continue
        j = joined.get(s, [])
        gone = st.left.pop(s, [])
        reset = s in st.reset
        n, h, a, b = cnt[s], hcnt[s], off[s], hoff[s]
        parts = [encode_tick_header(st.seq, sms, len(j), len(gone), n, h, reset=reset)]
        parts.extend(j)
        if gone:
            parts.append(np.asarray(gone, dtype="<u2").tobytes())
        parts.append(rec_all[a * rsz : (a + n) * rsz])
        parts.append(hands_all[b * hsz : (b + h) * hsz])
        out.append(Send(conn, b"".join(parts), droppable=not (j or gone or reset)))
    st.reset.difference_update(special)
    return out
