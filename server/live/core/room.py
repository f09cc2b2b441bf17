"""One instance of a store's live room, sans-I/O: inputs with an explicit ``now``, outputs as actions.

The I/O layer calls :meth:`Room.join` after a valid ``hello``, :meth:`Room.handle` for text frames,
:meth:`Room.handle_pose` for binary frames, :meth:`Room.leave` when a socket ends and :meth:`Room.tick` at
``tick_hz``; it carries out the returned :class:`~server.live.core.actions.Send`/``Close`` actions in order.

Members live in *slots* so that positions, pose records and the "who knows whom" matrix are numpy arrays;
a tick is then a handful of vectorised steps (see :mod:`server.live.core.tick`).
"""

from __future__ import annotations

import secrets
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np

from server.live.core.actions import Action, Close, ConnId, Send
from server.live.core.bounds import EVERYWHERE, Bounds
from server.live.core.members import Member, RoomConfig, clean_name, scene_dict
from server.live.core.nearby import JoinWork
from server.live.core.poses import HANDS_DTYPE, REC_DTYPE, PeerInfo, PoseFrameError, check_pose_frame, dequantize_quats
from server.live.core.poses import encode_peer_info as _blob
from server.live.core.protocol import (
    MESSAGES,
    Chat,
    ChatOut,
    ClientMessage,
    CloseCode,
    Emote,
    Focus,
    FocusCounts,
    JoinRefused,
    Look,
    PeerIdentity,
    PeerSnapshot,
    Ping,
    Pong,
    PoseJson,
    ProtocolError,
    Welcome,
    encode,
    error_frame,
    parse_client_message,
    server_ms,
)
from server.live.core.remote import RemotePeer
from server.live.core.room_remote import RemoteSeats
from server.live.core.tick import TickState, build_tick

_POS = struct.Struct("<hhh")
_Handler = Callable[[Member, ClientMessage, float], list[Action]]


@dataclass(frozen=True, slots=True)
class JoinResult:
    """Outcome of a join: the peer id, its resume token, whether an identity was restored, the actions
    (``welcome`` to the new connection, possibly a ``REPLACED`` close of an older one)."""

    peer_id: int
    token: str
    resumed: bool
    actions: list[Action]


@dataclass(slots=True)
class RoomStats:
    """Counters for metrics and tests."""

    poses_accepted: int = 0
    poses_dropped: int = 0  # over the 20 Hz cap
    poses_clamped: int = 0  # outside the store bounds
    invalid: int = 0
    rate_limited: int = 0
    closed: int = 0


class Room(RemoteSeats):
    """Members and rules of one store instance; see the module docstring for the calling protocol."""

    def __init__(self, store: str, instance: int, config: RoomConfig | None = None) -> None:
        self.store = store
        self.instance = instance
        self.config = config or RoomConfig()
        self.stats = RoomStats()
        self._members: dict[int, Member] = {}
        self._by_token: dict[str, int] = {}
        self._by_session: dict[str, int] = {}
        self._slots: list[Member | RemotePeer | None] = []
        self._remote: dict[int, RemotePeer] = {}  # seats of other workers in this instance (see remote.py)
        self.dropped: list[int] = []  # peer ids of local seats gone for good since the hub last looked
        self._free: list[int] = []
        self._next_id = 1
        self._state = TickState.empty(self.config)
        # Where heads may be: the store's walkable box, set by the hub from the store's scene (a change applies
        # from each member's next pose on).
        self.bounds: Bounds = EVERYWHERE
        self._focus: Counter[str] = Counter()
        self._focus_dirty: set[str] = set()
        self._focus_sent = float("-inf")
        self._looks: list[tuple[str, str, str]] = []

    # ------------------------------------------------------------ membership

    @property
    def size(self) -> int:
        """Members holding a seat: present plus away (within grace)."""
        return len(self._members)

    @property
    def join_work(self) -> JoinWork:
        """What the welcome snapshots have cost so far (rows examined, grids built): tests and bench/joins.py."""
        return self._state.join_work

    @property
    def present_count(self) -> int:
        """Members with a live connection."""
        return sum(1 for m in self._members.values() if m.conn is not None)

    def can_resume(self, token: str, session: str) -> bool:
        """Whether ``token`` resumes a seat of ``session`` in this room."""
        pid = self._by_token.get(token)
        return pid is not None and self._members[pid].session == session

    def has_session(self, session: str) -> bool:
        """Whether ``session`` holds a seat (present or away) here."""
        return session in self._by_session

    def group_size(self, group: str) -> int:
        """Members (present or away) of cart group ``group``."""
        return len(self._state.groups.get(group, ()))

    def conns_of_sessions(self, sessions: Iterable[str]) -> list[tuple[ConnId, int]]:
        """Live connections (and their peer ids) of the given sessions."""
        out = []
        for s in sessions:
            pid = self._by_session.get(s)
            if pid is not None and (conn := self._members[pid].conn) is not None:
                out.append((conn, pid))
        return out

    def peer_id_of_session(self, session: str) -> int | None:
        """The peer id of a session's seat here, if any."""
        return self._by_session.get(session)

    def uses_peer_id(self, peer_id: int) -> bool:
        """Whether ``peer_id`` is taken here, by a local or a remote seat."""
        return peer_id in self._members or peer_id in self._remote

    def join(
        self, conn: ConnId, *, session: str, name: str, now: float, scene: Mapping[str, str],
        group: str | None = None, resume: str | None = None,
        spawn: tuple[float, float, float] = (0.0, 0.0, 0.0), peer_id: int | None = None, token: str | None = None,
    ) -> JoinResult:
        """Admit a connection after its ``hello``; raises JoinRefused(STORE_FULL) at ``max_members``.

        A ``resume`` token of this session's away or present seat restores that identity silently (others see
        no leave/join); a new connection of a session that already has a seat without the token replaces it.
        ``peer_id`` (cluster-unique, from the resume store) is used when free; with ``token`` too, the seat is a
        *restored* one from another worker (``resumed: true``): if that peer is a remote member here, its slot
        becomes local, so nobody here sees it leave and join either.
        """
        actions: list[Action] = []
        pid = self._by_token.get(resume) if resume else None
        if pid is not None and self._members[pid].session == session:
            m = self._members[pid]
            if m.conn is not None:
                actions.append(Close(m.conn, CloseCode.REPLACED, "replaced"))
            m.conn, m.away_since = conn, None
            self._state.present[m.slot] = True
            self._state.forget(m.slot)  # the new connection starts from the welcome snapshot
            actions.append(Send(conn, self._welcome(m, scene, resumed=True)))
            return JoinResult(m.peer_id, m.token, True, actions)
        if (old := self._by_session.get(session)) is not None:
            if (old_conn := self._members[old].conn) is not None:
                actions.append(Close(old_conn, CloseCode.REPLACED, "replaced"))
            self._remove(self._members[old])
        if len(self._members) >= self.config.max_members:
            raise JoinRefused(CloseCode.STORE_FULL, "store_full")
        restored = token is not None and token not in self._by_token
        m = self._admit(conn, session=session, name=name, group=group, now=now, spawn=spawn, peer_id=peer_id,
                        token=token if restored else None)
        actions.append(Send(conn, self._welcome(m, scene, resumed=restored)))
        return JoinResult(m.peer_id, m.token, restored, actions)

    def _admit(
        self, conn: ConnId, *, session: str, name: str, group: str | None, now: float,
        spawn: tuple[float, float, float], peer_id: int | None = None, token: str | None = None,
    ) -> Member:
        if peer_id is not None and peer_id not in self._members:
            pid = peer_id
        else:
            while self.uses_peer_id(self._next_id):
                self._next_id = self._next_id % 0xFFFF + 1
            pid, self._next_id = self._next_id, self._next_id % 0xFFFF + 1
        taken = self._remote.pop(pid, None)
        slot = taken.slot if taken else self._free.pop() if self._free else self._grow()
        name = clean_name(name)
        token = token or secrets.token_urlsafe(24)
        m = Member.create(
            self.config, peer_id=pid, slot=slot, session=session, conn=conn, name=name, group=group,
            token=token, blob=b"", now=now,
        )
        m.blob = _blob(PeerInfo(pid, name, m.color, group))
        self._members[pid], self._slots[slot] = m, m
        self._by_token[token], self._by_session[session] = pid, pid
        if taken is not None:  # the seat moved here from another worker: keep its slot, pose and watchers
            st = self._state
            st.remote[slot], st.present[slot] = False, True
            st.forget(slot)
            if taken.group != group:
                self._regroup(slot, taken.group, group)
            return m
        spawn_cm = np.clip(np.rint(np.asarray(spawn) * 100.0), self.bounds.lo, self.bounds.hi)
        self._state.admit(slot, pid, spawn_cm, group)
        return m

    def _grow(self) -> int:
        slot = len(self._slots)
        if slot >= self._state.capacity:
            self._state = self._state.grown(max(16, 2 * self._state.capacity))
        self._slots.append(None)
        return slot

    def _remove(self, m: Member) -> None:
        """Drop a seat for good: everyone who knew the peer gets it in ``left`` next tick."""
        self._set_focus(m, None)
        self._state.remove(m.slot, m.peer_id, m.group)
        del self._members[m.peer_id], self._by_token[m.token], self._by_session[m.session]
        self._slots[m.slot] = None
        self._free.append(m.slot)
        self.dropped.append(m.peer_id)

    def leave(self, peer_id: int, *, now: float, graceful: bool = False) -> list[Action]:
        """The peer's socket ended. ``graceful`` (the client said goodbye) removes it at once; otherwise it is
        away for ``grace_s``: others are told nothing and see its avatar stop updating."""
        m = self._members.get(peer_id)
        if m is None or m.conn is None:
            return []
        m.conn = None
        self._state.present[m.slot] = False
        self._set_focus(m, None)
        if graceful:
            self._remove(m)
        else:
            m.away_since = now
        return []

    def resync(self, peer_id: int) -> None:
        """After the I/O layer dropped a non-droppable frame: resend every identity in the next tick (with the
        tick's reset flag) so the client's peer table is rebuilt."""
        if (m := self._members.get(peer_id)) is not None:
            self._state.forget(m.slot)
            self._state.reset.add(m.slot)

    def _welcome(self, m: Member, scene: Mapping[str, str], *, resumed: bool) -> str:
        st = self._state
        slots = st.snapshot_slots(m.slot, self.config.k, m.group)
        peers = []
        if slots:  # the K poses decoded in one numpy pass each: per peer, numpy's call overhead was most of a join
            recs = st.rec[slots]
            posed, times = st.has_pose[slots].tolist(), recs["t"].tolist()
            metres, quats = (recs["pos"] / 100.0).tolist(), dequantize_quats(recs["rot"]).tolist()
            for s, has, p, q, t in zip(slots, posed, metres, quats, times, strict=True):
                o = cast("Member | RemotePeer", self._slots[s])
                pose = PoseJson(p=(p[0], p[1], p[2]), q=(q[0], q[1], q[2], q[3]), t=t) if has else None
                peers.append(PeerSnapshot(id=o.peer_id, name=o.name, color=o.color, group=o.group, pose=pose))
        msg = Welcome(
            you=PeerIdentity(id=m.peer_id, name=m.name, color=m.color, group=m.group),
            store=self.store, instance=self.instance, resume=m.token, resumed=resumed,
            scene=scene_dict(scene), tick_hz=self.config.tick_hz, peers=peers, focus=dict(+self._focus),
        )
        return encode(msg)

    # ------------------------------------------------------------ inbound

    def expel(self, peer_id: int) -> None:
        """Drop a present member's seat at once, as for abuse (no grace, no resume): its session may no longer
        be here (revoked). The I/O layer closes the connection."""
        if (m := self._members.get(peer_id)) is not None and m.conn is not None:
            self.stats.closed += 1
            self._remove(m)

    def _abuse(self, m: Member, code: CloseCode, reason: str) -> list[Action]:
        """Close an abusive connection; its seat goes at once (no grace, no resume)."""
        conn = cast(ConnId, m.conn)
        self.stats.closed += 1
        self._remove(m)
        return [Close(conn, code, reason)]

    def _invalid(self, m: Member, now: float, exc: ProtocolError) -> list[Action]:
        self.stats.invalid += 1
        m.strikes.take(now)
        if m.strikes.tokens < 1.0:  # the burst-th invalid message in a row (10 within ~10 s) closes
            return self._abuse(m, CloseCode.INVALID_MESSAGES, "too many invalid messages")
        return [Send(cast(ConnId, m.conn), error_frame(exc.code, exc.message))]

    def handle(self, peer_id: int, message: str | bytes, *, now: float) -> list[Action]:
        """Validate, rate-limit and dispatch one text frame through the table :data:`MESSAGES`."""
        m = self._members.get(peer_id)
        if m is None or m.conn is None:
            return []
        if not m.flood.take(now):
            return self._abuse(m, CloseCode.FLOODING, "flooding")
        try:
            msg = parse_client_message(message)
        except ProtocolError as exc:
            return self._invalid(m, now, exc)
        kind = cast(str, getattr(msg, "type"))  # noqa: B009 - every table model has a Literal ``type``
        if not m.buckets[kind].take(now):
            self.stats.rate_limited += 1
            return [Send(m.conn, error_frame("rate_limited", f"too many {kind} messages"))]
        handler = cast(_Handler, getattr(self, MESSAGES[kind].handler))
        return handler(m, msg, now)

    def on_hello(self, m: Member, msg: ClientMessage, now: float) -> list[Action]:
        """A second hello on a live connection is a client bug, not abuse."""
        return [Send(cast(ConnId, m.conn), error_frame("already_joined", "hello was already accepted"))]

    def on_focus(self, m: Member, msg: ClientMessage, now: float) -> list[Action]:
        """Count what the shopper looks at; counts go out with the tick at most at 2 Hz."""
        self._set_focus(m, cast(Focus, msg).sku)
        return []

    def on_look(self, m: Member, msg: ClientMessage, now: float) -> list[Action]:
        """Keep a panel opening or option change for analytics until :meth:`take_looks` (the message's token
        bucket bounds how many a member adds between two reads)."""
        look = cast(Look, msg)
        self._looks.append((m.session, look.what, look.sku))
        return []

    def take_looks(self) -> list[tuple[str, str, str]]:
        """(session, ``panel`` or ``option``, sku) of every look since the last call; read once a second by
        analytics, like :meth:`glances`."""
        out, self._looks = self._looks, []
        return out

    def _set_focus(self, m: Member, sku: str | None) -> None:
        if m.focus == sku:
            return
        if m.focus is not None:
            self._focus[m.focus] -= 1
            self._focus_dirty.add(m.focus)
        if sku is not None:
            self._focus[sku] += 1
            self._focus_dirty.add(sku)
        m.focus = sku

    def on_chat(self, m: Member, msg: ClientMessage, now: float) -> list[Action]:
        """Relay a chat line to every present member of the instance (sender included, for ordering)."""
        frame = encode(ChatOut(id=m.peer_id, name=m.name, text=cast(Chat, msg).text))
        return self.broadcast(frame)

    def on_emote(self, m: Member, msg: ClientMessage, now: float) -> list[Action]:
        """Queue an emote; the tick delivers it to those who currently see the peer."""
        self._state.emotes.append((m.slot, m.peer_id, cast(Emote, msg).name))
        return []

    def on_ping(self, m: Member, msg: ClientMessage, now: float) -> list[Action]:
        """Echo the client's time with the server's."""
        return [Send(cast(ConnId, m.conn), encode(Pong(t=cast(Ping, msg).t, server_ms=server_ms(now))))]

    def handle_pose(self, peer_id: int, data: bytes, *, now: float) -> list[Action]:
        """Take one binary pose frame: at most ``pose_rate`` per second, its head clamped into :attr:`bounds`."""
        m = self._members.get(peer_id)
        if m is None or m.conn is None:
            return []
        if not m.flood.take(now):
            return self._abuse(m, CloseCode.FLOODING, "flooding")
        try:
            hands = check_pose_frame(data)
        except PoseFrameError as exc:
            return self._invalid(m, now, exc)
        if not m.pose_bucket.take(now):
            self.stats.poses_dropped += 1
            return []
        self.stats.poses_accepted += 1
        st = self._state
        x, y, z = _POS.unpack_from(data, 8)
        lo, hi = self.bounds.lo, self.bounds.hi
        off = m.slot * REC_DTYPE.itemsize
        st.rec_bytes[off + 4 : off + 18] = data[4:18]  # time, head: already in tick-record layout
        if not (lo[0] <= x <= hi[0] and lo[1] <= y <= hi[1] and lo[2] <= z <= hi[2]):
            self.stats.poses_clamped += 1
            cx, cy, cz = min(max(x, lo[0]), hi[0]), min(max(y, lo[1]), hi[1]), min(max(z, lo[2]), hi[2])
            _POS.pack_into(st.rec_bytes, off + 8, cx, cy, cz)
        st.rec_bytes[off + 2] = 1 if hands else 0
        if hands:
            hoff = m.slot * HANDS_DTYPE.itemsize
            st.hands_bytes[hoff : hoff + 20] = data[18:38]
        st.has_pose[m.slot] = True
        return []

    # ------------------------------------------------------------ outbound

    def broadcast(self, frame: str | bytes) -> list[Action]:
        """Send one pre-encoded frame to every present member."""
        return [Send(m.conn, frame) for m in self._members.values() if m.conn is not None]

    def close_all(self, code: CloseCode, reason: str) -> list[Action]:
        """Close every present member (store suspended, going down) and drop all seats."""
        out: list[Action] = []
        for m in list(self._members.values()):
            if m.conn is not None:
                out.append(Close(m.conn, code, reason))
            self._remove(m)
        return out

    def tick(self, now: float) -> list[Action]:
        """Advance one tick: expire away seats, send focus counts (≤ 2 Hz), emotes and one tick frame per
        present member (joined/left/poses of its K nearest plus group members)."""
        expired = [
            m for m in self._members.values()
            if m.away_since is not None and now - m.away_since >= self.config.grace_s
        ]
        for m in expired:
            self._remove(m)
        self._expire_remote(now)
        out: list[Action] = []
        if self._focus_dirty and now - self._focus_sent >= self.config.focus_interval_s:
            counts = {sku: self._focus[sku] for sku in sorted(self._focus_dirty)}
            self._focus_dirty.clear()
            self._focus = +self._focus  # drop zero entries
            self._focus_sent = now
            out.extend(self.broadcast(encode(FocusCounts(counts=counts))))
        conns = [m.conn if m is not None else None for m in self._slots]
        blobs = [m.blob if m is not None else b"" for m in self._slots]
        out.extend(build_tick(self._state, self.config, now, conns, blobs))
        return out


    def take_dropped(self) -> list[int]:
        """Peer ids of local seats gone since the last call (the I/O layer releases their ledger seats)."""
        out, self.dropped = self.dropped, []
        return out

    def seats(self) -> list[Member]:
        """Local seats (present or away)."""
        return list(self._members.values())

    def glances(self) -> list[tuple[str, str | None, int | None, int | None]]:
        """(session, focused sku, x cm, z cm) of each present local member; no position before its first pose.
        Read once a second by analytics (server/domain/analytics.py); changes nothing."""
        st = self._state
        pos, has = st.rec["pos"], st.has_pose
        out: list[tuple[str, str | None, int | None, int | None]] = []
        for m in self._members.values():
            if m.conn is None:
                continue
            if has[m.slot]:
                x, _, z = pos[m.slot].tolist()
                out.append((m.session, m.focus, x, z))
            else:
                out.append((m.session, m.focus, None, None))
        return out
