"""The part of :class:`~server.live.core.room.Room` that mirrors other workers' seats (see remote.py), kept in
its own module so the room's own rules stay readable. Sans-I/O like the room."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from server.live.core.members import Member, RoomConfig
from server.live.core.poses import HANDS_DTYPE, REC_DTYPE
from server.live.core.remote import STALE_S, RemotePeer, batch_header, decode_batch, decode_identity, encode_batch
from server.live.core.tick import TickState


class RemoteSeats:
    """Mixin of Room: the attributes below are the room's."""

    config: RoomConfig
    dropped: list[int]
    _members: dict[int, Member]
    _remote: dict[int, RemotePeer]
    _by_token: dict[str, int]
    _by_session: dict[str, int]
    _slots: list[Member | RemotePeer | None]
    _free: list[int]
    _state: TickState

    if TYPE_CHECKING:  # Room's own methods that this mixin calls (declared for the type checker only)

        def _grow(self) -> int: ...

        def _set_focus(self, m: Member, sku: str | None) -> None: ...

    def _regroup(self, slot: int, old: str | None, new: str | None) -> None:
        groups = self._state.groups
        if old is not None and (g := groups.get(old)) is not None:
            g.discard(slot)
            if not g:
                del groups[old]
        if new is not None:
            groups.setdefault(new, set()).add(slot)

    def local_batch(self, worker: str) -> bytes:
        """This worker's seats here as one pose batch for the other workers (away seats included, invisible)."""
        st, rsz, hsz = self._state, REC_DTYPE.itemsize, HANDS_DTYPE.itemsize
        entries = []
        for m in self._members.values():
            s = m.slot
            rec = bytes(st.rec_bytes[s * rsz : (s + 1) * rsz])
            hands = bytes(st.hands_bytes[s * hsz : (s + 1) * hsz]) if rec[2] & 1 else b""
            entries.append((bool(st.present[s] and st.has_pose[s]), m.blob, rec, hands))
        return encode_batch(worker, entries)

    def apply_remote(self, batch: bytes, *, now: float, me: str) -> None:
        """Mirror another worker's seats from its batch; raises PoseFrameError when malformed.

        Seats of ``me`` are ignored (our own message). A local seat wins over a remote copy of the same peer,
        unless ours is away and theirs is visible: the shopper resumed there, so our seat hands over.
        """
        worker, _ = batch_header(batch)
        if worker == me:  # our own batch back from the bus: known from its header, no entry decoded
            return
        _, entries = decode_batch(batch)
        st, rsz, hsz = self._state, REC_DTYPE.itemsize, HANDS_DTYPE.itemsize
        seen = set()
        for e in entries:
            seen.add(e.peer_id)
            local = self._members.get(e.peer_id)
            if local is not None:
                if local.conn is not None or not e.visible:
                    continue
                self._hand_over(local, worker, now)
            r = self._remote.get(e.peer_id)
            if r is None:
                r = self._mirror(e.blob, worker, now)
            elif r.worker != worker:
                if not e.visible and r.visible and now - r.seen < STALE_S:
                    continue  # an away copy on the worker it came from; the live one elsewhere wins
                r.worker = worker
            r.seen, r.visible = now, e.visible
            off = r.slot * rsz
            st.rec_bytes[off : off + rsz] = e.rec
            if e.hands:
                st.hands_bytes[r.slot * hsz : (r.slot + 1) * hsz] = e.hands
            st.present[r.slot] = st.has_pose[r.slot] = e.visible
        for r in [r for r in self._remote.values() if r.worker == worker and r.peer_id not in seen]:
            self._drop_remote(r)  # gone from its worker's batch: it left (or its grace ran out there)

    def _mirror(self, blob: bytes, worker: str, now: float) -> RemotePeer:
        pid, name, color, group = decode_identity(blob)
        slot = self._free.pop() if self._free else self._grow()
        r = RemotePeer(pid, slot, worker, name, color, group, bytes(blob), now)
        self._remote[pid], self._slots[slot] = r, r
        st = self._state
        st.rec[slot] = np.zeros((), dtype=REC_DTYPE)
        st.known[slot, :] = False
        st.remote[slot] = True
        st.present[slot] = st.has_pose[slot] = False
        self._regroup(slot, None, group)
        return r

    def _hand_over(self, m: Member, worker: str, now: float) -> None:
        """Our away seat is live on ``worker`` now: it becomes a remote member in the same slot (no leave)."""
        self._set_focus(m, None)
        del self._members[m.peer_id], self._by_token[m.token], self._by_session[m.session]
        self.dropped.append(m.peer_id)
        r = RemotePeer(m.peer_id, m.slot, worker, m.name, m.color, m.group, m.blob, now)
        self._remote[m.peer_id], self._slots[m.slot] = r, r
        self._state.forget(m.slot)
        self._state.remote[m.slot] = True

    def _drop_remote(self, r: RemotePeer) -> None:
        self._state.remove(r.slot, r.peer_id, r.group)
        del self._remote[r.peer_id]
        self._slots[r.slot] = None
        self._free.append(r.slot)

    def _expire_remote(self, now: float) -> None:
        """Hide remote peers whose worker went quiet; drop them once a resume could no longer happen."""
        for r in list(self._remote.values()):
            if now - r.seen >= self.config.grace_s:
                self._drop_remote(r)
            elif r.visible and now - r.seen >= STALE_S:
                r.visible = False
                self._state.present[r.slot] = False
