"""All live rooms of one server process, sans-I/O: placement, capacity, caps and store/cart fan-out.

A store has instances 1, 2, …, each a :class:`~server.live.core.room.Room` of at most ``capacity`` seats
(present plus away). Placement of a new seat:

1. a ``resume`` token of this session restores its seat in the instance that holds it;
2. a session that already has a seat in the store (another tab, a reconnect without token) replaces it in
   that instance;
3. a cart group's member goes to the instance of its group while that instance has fewer than
   ``capacity + group_slack`` seats (groups may overfill slightly so friends shop together);
4. otherwise the **fullest instance that still has room** (ties → lowest number): instances stay lively and
   the newest ones drain and close;
5. if none has room a new instance opens with the lowest free number, unless ``max_instances`` is reached
   (``STORE_FULL``). The festival-wide cap (``FESTIVAL_FULL``) counts seats across every store.

An instance with no seats closes ``empty_grace_s`` after it emptied. Connections are the I/O layer's ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.live.core.actions import Action, Close, ConnId, Send
from server.live.core.admission import Level, degraded_room_config
from server.live.core.bounds import EVERYWHERE, Bounds
from server.live.core.members import RoomConfig
from server.live.core.protocol import CartBy, CartEvent, CloseCode, JoinRefused, Product, encode, notice
from server.live.core.room import Room


@dataclass(frozen=True, slots=True)
class HubConfig:
    """Tunables of the hub; ``room`` configures every instance."""

    capacity: int = 100
    group_slack: int = 10
    max_instances: int | None = None
    empty_grace_s: float = 60.0
    room: RoomConfig = field(default_factory=RoomConfig)


@dataclass(frozen=True, slots=True)
class HubJoin:
    """Where a connection was placed, its identity and the actions to carry out (``welcome`` …)."""

    store: str
    instance: int
    peer_id: int
    token: str
    resumed: bool
    actions: list[Action]


@dataclass(frozen=True, slots=True)
class StoreCounts:
    """Live numbers of one store for the lobby and organizer stats."""

    present: int
    away: int
    instances: int


class Hub:
    """Instances of every store, indexed for placement and fan-out; all methods return actions."""

    def __init__(self, config: HubConfig | None = None) -> None:
        self.config = config or HubConfig()
        self._stores: dict[str, dict[int, Room]] = {}
        self._room_config = self.config.room  # the configured tunables, or degraded ones (see set_level)
        # Per store (or a festival's plaza) while it has instances: its festival and its walkable box.
        self._festival: dict[str, str] = {}
        self._bounds: dict[str, Bounds] = {}
        self._conns: dict[ConnId, tuple[Room, int]] = {}
        self._empty_since: dict[tuple[str, int], float] = {}
        self._dropped: list[tuple[str, int, int]] = []

    # ------------------------------------------------------------ placement

    def rooms(self, store: str) -> Mapping[int, Room]:
        """The open instances of ``store`` by number."""
        return self._stores.get(store, {})

    def room_of(self, conn: ConnId) -> tuple[Room, int] | None:
        """The room and peer id of a live connection."""
        return self._conns.get(conn)

    def festival_of(self, store: str) -> str:
        """The festival of a store (or plaza) with open instances here; "" when unknown."""
        return self._festival.get(store, "")

    def festivals(self) -> set[str]:
        """Festivals with at least one open instance here."""
        return {self._festival.get(store, "") for store, rooms in self._stores.items() if rooms}

    def set_level(self, level: Level) -> None:
        """Apply an admission level's room tunables to every open instance and to the ones that open later."""
        cfg = degraded_room_config(self.config.room, level)
        if cfg == self._room_config:
            return
        self._room_config = cfg
        for rooms in self._stores.values():
            for room in rooms.values():
                room.config = cfg

    def seats(self, festival: str = "") -> int:
        """Seats (present + away) across every store of ``festival``: what its cap counts."""
        return sum(r.size for store, rooms in self._stores.items() if self._festival.get(store, "") == festival
                   for r in rooms.values())

    def _place(self, store: str, group: str | None) -> Room:
        rooms = self._stores.setdefault(store, {})
        cap = self.config.capacity
        if group is not None:
            for n in sorted(rooms):
                r = rooms[n]
                if r.group_size(group) and r.size < cap + self.config.group_slack:
                    return r
        open_ = [r for r in rooms.values() if r.size < cap]
        if open_:
            return max(open_, key=lambda r: (r.size, -r.instance))
        if self.config.max_instances is not None and len(rooms) >= self.config.max_instances:
            raise JoinRefused(CloseCode.STORE_FULL, "store_full")
        n = next(i for i in range(1, len(rooms) + 2) if i not in rooms)
        return self._open(store, n)

    def _open(self, store: str, n: int) -> Room:
        room = self._stores.setdefault(store, {})[n] = Room(store, n, self._room_config)
        room.bounds = self._bounds.get(store, EVERYWHERE)
        return room

    def set_bounds(self, store: str, bounds: Bounds) -> None:
        """The store's walkable box (from its current scene), for its open instances and the ones that open."""
        self._bounds[store] = bounds
        for room in self._stores.get(store, {}).values():
            room.bounds = bounds

    def local_seat(self, store: str, session: str, resume: str | None) -> Room | None:
        """The room where this session already holds a seat (which a join resumes or replaces), if any."""
        rooms = self._stores.get(store, {})
        target = next((r for r in rooms.values() if resume and r.can_resume(resume, session)), None)
        return target or next((r for r in rooms.values() if r.has_session(session)), None)

    def group_instance(self, store: str, group: str | None) -> int | None:
        """The lowest instance of ``store`` where members of ``group`` are (local or remote), if any."""
        if group is None:
            return None
        rooms = self._stores.get(store, {})
        return next((n for n in sorted(rooms) if rooms[n].group_size(group)), None)

    def join(
        self, conn: ConnId, *, store: str, session: str, name: str, now: float, scene: Mapping[str, str],
        group: str | None = None, resume: str | None = None,
        spawn: tuple[float, float, float] = (0.0, 0.0, 0.0), instance: int | None = None,
        peer_id: int | None = None, token: str | None = None, festival: str = "", festival_cap: int | None = None,
        bounds: Bounds | None = None,
    ) -> HubJoin:
        """Place a connection after its ``hello`` (see the module docstring); raises JoinRefused.

        ``instance`` forces the placement (the shared seat ledger chose it, capacity already counted);
        ``peer_id`` and ``token`` are passed to :meth:`Room.join` (cluster-unique id, restored seat).
        ``festival_cap`` bounds the seats of ``festival`` (the organizer's setting, read at every join);
        ``bounds`` is the store's walkable box (None: as known, else anywhere).
        """
        self._festival[store] = festival
        if bounds is not None and self._bounds.get(store) != bounds:
            self.set_bounds(store, bounds)
        target = self.local_seat(store, session, resume)
        if target is None and instance is not None:
            target = self._stores.get(store, {}).get(instance) or self._open(store, instance)
        if target is None:
            if festival_cap is not None and self.seats(festival) >= festival_cap:
                raise JoinRefused(CloseCode.FESTIVAL_FULL, "festival_full")
            target = self._place(store, group)
        res = target.join(
            conn, session=session, name=name, now=now, scene=scene, group=group, resume=resume, spawn=spawn,
            peer_id=peer_id, token=token,
        )
        self._empty_since.pop((store, target.instance), None)
        self._track(res.actions)
        self._conns[conn] = (target, res.peer_id)
        return HubJoin(store, target.instance, res.peer_id, res.token, res.resumed, res.actions)

    def _track(self, actions: list[Action]) -> list[Action]:
        """Forget connections the rooms asked to close (abuse, replaced)."""
        for a in actions:
            if isinstance(a, Close):
                self._conns.pop(a.conn, None)
        return actions

    # ------------------------------------------------------------ inbound

    def leave(self, conn: ConnId, *, now: float, graceful: bool = False) -> list[Action]:
        """A socket ended (its Close may have come from us: then this is a no-op)."""
        entry = self._conns.pop(conn, None)
        if entry is None:
            return []
        room, pid = entry
        return room.leave(pid, now=now, graceful=graceful)

    def handle(self, conn: ConnId, message: str | bytes, *, now: float) -> list[Action]:
        """A text frame from a joined connection."""
        entry = self._conns.get(conn)
        return [] if entry is None else self._track(entry[0].handle(entry[1], message, now=now))

    def handle_pose(self, conn: ConnId, data: bytes, *, now: float) -> list[Action]:
        """A binary frame from a joined connection."""
        entry = self._conns.get(conn)
        return [] if entry is None else self._track(entry[0].handle_pose(entry[1], data, now=now))

    def expel(self, conn: ConnId, code: CloseCode, reason: str) -> list[Action]:
        """Close a connection for good: its seat (if it has one) goes at once, without a grace period."""
        if (entry := self._conns.pop(conn, None)) is not None:  # else not placed yet: only the socket closes
            entry[0].expel(entry[1])
        return [Close(conn, code, reason)]

    def resync(self, conn: ConnId) -> None:
        """The I/O layer dropped a non-droppable frame for ``conn``: rebuild its peer table next tick."""
        if (entry := self._conns.get(conn)) is not None:
            entry[0].resync(entry[1])

    def tick(self, now: float) -> list[Action]:
        """Tick every instance; close instances that have been empty for ``empty_grace_s``."""
        return [action for actions in self.tick_instances(now) for action in actions]

    def tick_instances(self, now: float) -> Iterator[list[Action]]:
        """``tick``, one instance's actions at a time: the caller can send them while the next is built."""
        for store, rooms in list(self._stores.items()):
            for n, room in list(rooms.items()):
                if room.size:
                    yield room.tick(now)
                self._collect(store, n, room)
                if room.size:
                    continue
                since = self._empty_since.setdefault((store, n), now)
                if now - since >= self.config.empty_grace_s:
                    del rooms[n], self._empty_since[(store, n)]
            if not rooms:
                self._forget_store(store)

    def _forget_store(self, store: str) -> None:
        # Nothing per store outlives its last instance: a long festival sees many stores come and go.
        self._stores.pop(store, None)
        self._festival.pop(store, None)
        self._bounds.pop(store, None)

    # ------------------------------------------------------------ fan-out

    def broadcast(self, store: str | None, frame: str | bytes) -> list[Action]:
        """One pre-encoded frame to every present member of ``store`` (``None``: of every store)."""
        stores = self._stores.values() if store is None else [self._stores.get(store, {})]
        return [a for rooms in stores for r in rooms.values() for a in r.broadcast(frame)]

    def product(
        self, store: str, *, sku: str, price: int | None = None, sale_price: int | None = None,
        currency: str | None = None, stock: int | None = None,
    ) -> list[Action]:
        """A price/stock change to every instance of the store (encoded once)."""
        msg = Product(store=store, sku=sku, price=price, sale_price=sale_price, currency=currency, stock=stock)
        return self.broadcast(store, encode(msg))

    def notice(self, kind: str, *, store: str | None = None, **fields: Any) -> list[Action]:
        """A ``notice`` to one store or, with ``store=None``, to everyone (``going_down``, festival …)."""
        return self.broadcast(store, notice(kind, **fields))

    def close_store(self, store: str, *, kind: str = "store_suspended") -> list[Action]:
        """Tell a store's shoppers why, close them with STORE_CLOSED and drop its instances."""
        out = self.notice(kind, store=store)
        rooms = self._stores.get(store, {})
        self._forget_store(store)
        for room in rooms.values():
            out.extend(self._track(room.close_all(CloseCode.STORE_CLOSED, kind)))
            self._collect(store, room.instance, room)
            self._empty_since.pop((store, room.instance), None)
        return out

    def cart(
        self, sessions: Iterable[str], *, cart: str, version: int, change: dict[str, Any], by_name: str,
        by_session: str | None = None,
    ) -> list[Action]:
        """"Cart is now ``version``" to every live connection of the cart's member sessions, wherever they
        are; ``by.id`` is the changer's peer id when it is in the same instance as the recipient."""
        wanted = list(dict.fromkeys(sessions))
        out: list[Action] = []
        for rooms in self._stores.values():
            for room in rooms.values():
                targets = room.conns_of_sessions(wanted)
                if not targets:
                    continue
                by_id = room.peer_id_of_session(by_session) if by_session else None
                frame = encode(
                    CartEvent(cart=cart, version=version, change=change, by=CartBy(id=by_id, name=by_name))
                )
                out.extend(Send(conn, frame) for conn, _ in targets)
        return out

    # ------------------------------------------------------------ across workers

    def _collect(self, store: str, instance: int, room: Room) -> None:
        self._dropped.extend((store, instance, pid) for pid in room.take_dropped())

    def take_dropped(self) -> list[tuple[str, int, int]]:
        """(store, instance, peer id) of every local seat dropped for good since the last call: graceful
        leaves, expired graces, abuse closes, replaced seats, closed stores, seats handed to another worker."""
        for store, rooms in self._stores.items():
            for n, room in rooms.items():
                self._collect(store, n, room)
        out, self._dropped = self._dropped, []
        return out

    def local_instances(self) -> list[tuple[str, int, Room]]:
        """Every instance in which this process holds seats."""
        return [(s, n, r) for s, rooms in self._stores.items() for n, r in rooms.items() if r.size]

    def apply_remote(self, store: str, instance: int, batch: bytes, *, now: float, me: str) -> None:
        """Another worker's pose batch for one instance (ignored if we have no such room)."""
        if (room := self._stores.get(store, {}).get(instance)) is not None:
            room.apply_remote(batch, now=now, me=me)

    def group_sessions(self) -> dict[str, list[str]]:
        """Sessions of the present local members of each cart group."""
        out: dict[str, list[str]] = {}
        for rooms in self._stores.values():
            for room in rooms.values():
                for m in room.seats():
                    if m.group is not None and m.conn is not None:
                        out.setdefault(m.group, []).append(m.session)
        return out

    # ------------------------------------------------------------ stats

    def counts(self) -> dict[str, StoreCounts]:
        """Present/away seats and open instances per store."""
        out = {}
        for store, rooms in self._stores.items():
            present = sum(r.present_count for r in rooms.values())
            seats = sum(r.size for r in rooms.values())
            out[store] = StoreCounts(present=present, away=seats - present, instances=len(rooms))
        return out
