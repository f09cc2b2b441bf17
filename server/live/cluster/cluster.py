"""Live across workers (issue 8): the I/O edge between this process's :class:`~server.live.service.Live` and
the shared parts — the bus, the seat ledger and the resume store. The rules stay in the sans-I/O Hub/Room
(:mod:`server.live.core.remote` for the pose batches); this module only moves bytes and owns the tasks.

* **Events.** A service event is applied here at once (this worker's shoppers never wait for Redis) and
  published on :data:`EVENTS_TOPIC` with our worker id; every other worker applies it when it arrives and
  skips its own. The publish is queued, so a REST request never waits on Redis either.
* **Poses.** At each (wall-clock aligned) tick boundary, one batch per instance in which we hold seats goes to
  ``poses_topic`` (plus one empty batch after our last seat there left, so the others see the leave at once),
  all in one pipelined round trip; the tick then waits (a fifth of an interval at most) for the batches the
  other workers published at the same boundary. We follow the pose topics of exactly our instances.
* **Seats.** A join claims a seat from the ledger, which picks the instance for every worker at once; the
  seat goes back when the Room drops it for good (graceful leave, grace expiry, abuse, handed over).
* **Resume.** Every seat's resume record is kept in the resume store (TTL = what is left of the grace), so a
  shopper whose worker died resumes on another one with the same peer id and token.
* **Degrade/recover.** When the bus goes down every shopper here gets ``notice live_degraded``; when it is
  back, ``live_restored`` and one ``cart`` message (``change.op = "resync"``, the version read from the
  database) per cart group member, so every cart converges even if version events were lost meanwhile.

With no Redis URL the bus is the in-process one and there is no ledger or resume store: the Hub's own rules
are the single process's ledger, exactly as before.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from server import keys
from server.domain.events import LIVE_EVENTS, Event, from_wire, to_wire
from server.ids import parse_db_id
from server.live.cluster.bus import Bus, BusClosed, BusUnavailable, Subscription, poses_topic
from server.live.cluster.redis_bus import make_bus
from server.live.cluster.resume_store import ResumeStore, ResumeStoreUnavailable, make_resume_store
from server.live.cluster.seats import LedgerUnavailable, Refused, SeatLedger, keep_alive, make_seat_ledger
from server.live.core.hub import HubJoin
from server.live.core.poses import PoseFrameError
from server.live.core.protocol import CloseCode, JoinRefused
from server.live.core.remote import Arrivals, batch_header, encode_batch

if TYPE_CHECKING:
    from server.live.service import Live

log = logging.getLogger("vrstore.live.cluster")

EVENTS_TOPIC = "events"
RESUME_REFRESH_S = 10.0
# After publishing at a tick boundary, a worker waits at most this fraction of an interval for the other workers'
# batches of the same boundary (Redis carries them in about a millisecond here; a busy or dead worker must not
# hold everybody's tick for long).
BATCH_WAIT = 0.2
PEER_ID_TRIES = 16
_REFUSED = {"store_full": CloseCode.STORE_FULL, "festival_full": CloseCode.FESTIVAL_FULL}
_AS_MUCH_AS_NEEDED = 1_000_000  # slack of a restored seat: it already had a place in that instance


@dataclass(slots=True)
class Placement:
    """What the shared ledger and resume store decided for a join (all ``None``: the hub's local rule)."""

    instance: int | None = None
    peer_id: int | None = None
    token: str | None = None
    group: str | None = None
    claimed: bool = False  # a ledger seat was taken for this join
    inherit: bool = False  # the session's previous seat here is replaced: its ledger seat carries over


def event_bytes(worker: str, event: Event) -> bytes:
    """An event as published on the bus."""
    return json.dumps({"w": worker, "event": to_wire(event)}, separators=(",", ":"), default=str).encode()


def event_from_bytes(data: bytes) -> tuple[str, Event]:
    """The publishing worker and the event."""
    d = json.loads(data)
    return str(d["w"]), from_wire(d["event"])


class Cluster:
    """This worker's link to the others; see the module docstring. ``start``/``close`` bracket its tasks."""

    def __init__(self, live: Live, worker: str) -> None:
        settings = live.app[keys.SETTINGS]
        self.live = live
        self.worker = worker
        self.shared = bool(settings.redis_url)
        self.bus: Bus = make_bus(settings)
        self.ledger: SeatLedger | None = make_seat_ledger(settings, worker=worker) if self.shared else None
        self.resume: ResumeStore | None = make_resume_store(settings) if self.shared else None
        self.degraded = False
        self.metrics = live.metrics
        self._seats: set[tuple[str, int, int]] = set()  # (store, instance, peer id) holding a ledger seat
        self._releases: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        self._events: asyncio.Queue[bytes] = asyncio.Queue(maxsize=4096)
        self._batches: dict[str, bytes] = {}
        self._batches_ready = asyncio.Event()
        self._published: set[tuple[str, int]] = set()
        self._followed: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._arrivals = Arrivals(live.tick_interval, worker)
        self._boundary: float | None = None  # the tick that is waiting for the other workers' batches
        self._all_in = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._spawned: set[asyncio.Task[Any]] = set()
        self._off: Callable[[], None] = lambda: None

    # ------------------------------------------------------------ lifecycle

    async def start(self, *, connect_timeout_s: float = 3.0) -> None:
        """Subscribe to events, wait (bounded) for Redis, start the owned tasks."""
        sub = await self.bus.subscribe(EVENTS_TOPIC)
        self._off = self.bus.on_state(self._on_state)
        if self.shared:
            try:
                async with asyncio.timeout(connect_timeout_s):
                    await self.bus.wait_state(True)
            except TimeoutError:
                log.warning("live bus: Redis unreachable at start; live features degraded until it answers")
        self.degraded = not self.bus.available
        self.metrics.live_degraded.set(1 if self.degraded else 0)
        self._own(self._read_events(sub), "live-events-in")
        self._own(self._publish_events(), "live-events-out")
        if self.shared:
            assert self.ledger is not None
            self._own(self._publish_poses(), "live-poses-out")
            self._own(self._release_seats(), "live-seat-release")
            self._own(keep_alive(self.ledger), "live-seat-heartbeat")
            self._own(self._refresh_resume(), "live-resume-refresh")

    def _own(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)

    async def close(self) -> None:
        """Cancel every task, then close the bus, ledger and resume store (seats expire with the heartbeat)."""
        self._off()
        tasks = [*self._tasks, *self._followed.values(), *self._spawned]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.bus.close()
        if self.ledger is not None:
            await self.ledger.close()
        if self.resume is not None:
            await self.resume.close()

    # ------------------------------------------------------------ events

    def publish_event(self, event: Event) -> None:
        """Queue a service event for the other workers (never waits; the oldest is dropped when backed up)."""
        if not isinstance(event, LIVE_EVENTS):
            return
        if self._events.full():
            self._events.get_nowait()
            self.metrics.live_bus_failures.labels("event_dropped").inc()
        self._events.put_nowait(event_bytes(self.worker, event))

    async def _publish_events(self) -> None:
        while True:
            data = await self._events.get()
            try:
                await self.bus.publish(EVENTS_TOPIC, data)
            except (BusUnavailable, BusClosed):  # applied here already; the others re-read carts on restore
                self.metrics.live_bus_failures.labels("event").inc()

    async def _read_events(self, sub: Subscription) -> None:
        async with sub:
            async for msg in sub:
                try:
                    worker, event = event_from_bytes(msg.data)
                except (ValueError, KeyError, TypeError):
                    log.warning("live bus: undecodable event dropped")
                    continue
                if worker != self.worker:
                    self.live.apply_event(event)

    # ------------------------------------------------------------ degrade / recover

    def _on_state(self, up: bool) -> None:
        self.metrics.live_degraded.set(0 if up else 1)
        if not up and not self.degraded:
            self.degraded = True
            self.live.deliver(self.live.hub.notice("live_degraded"))
        elif up and self.degraded:
            self.degraded = False
            self.live.deliver(self.live.hub.notice("live_restored"))
            self._spawn(self.resync_carts())

    async def resync_carts(self) -> None:
        """Tell every present cart-group member here its cart's current version (``change.op = resync``)."""
        groups = {g: s for g, s in self.live.hub.group_sessions().items() if parse_db_id(g) is not None}
        try:
            versions = await self.live.app[keys.LIVE_DATA].cart_versions([int(g) for g in groups])
        except Exception:  # the database may be briefly away too; clients still re-read on their next gap
            log.warning("cart resync failed", exc_info=True)
            return
        hub = self.live.hub
        for group, sessions in groups.items():
            if (version := versions.get(int(group))) is not None:
                self.live.deliver(hub.cart(sessions, cart=group, version=version, change={"op": "resync"},
                                           by_name=""))

    # ------------------------------------------------------------ poses

    def batch_wait(self, interval: float) -> float:
        """How long a tick may wait for the other workers' batches (0: there are no other workers)."""
        return BATCH_WAIT * interval if self.shared else 0.0

    async def batches_in(self, boundary: float, deadline: float) -> None:
        """Return once every batch expected for the tick at ``boundary`` has arrived, or at ``deadline``."""
        await asyncio.sleep(0)  # let the publisher put our own batches on the wire before we tick
        if not self._arrivals.missing(boundary):
            return
        self._boundary = boundary
        self._all_in.clear()
        try:
            # asyncio.timeout, not wait_for (sqlite_writer.unit says why): the tick loop must end when cancelled
            async with asyncio.timeout(max(0.0, deadline - self.live.now())):
                await self._all_in.wait()
        except TimeoutError:
            self.metrics.live_late_batches.inc()
        finally:
            self._boundary = None

    def publish_poses(self) -> None:
        """Queue one pose batch per instance where this worker has seats (and an empty one where its last seat
        just left, so the others drop those peers at once); the publisher sends them in one round trip."""
        if not self.bus.available:
            return
        current = {(s, n): room for s, n, room in self.live.hub.local_instances()}
        for (s, n), room in current.items():
            self._batches[poses_topic(s, n)] = room.local_batch(self.worker)
        for s, n in self._published - current.keys():
            self._batches[poses_topic(s, n)] = encode_batch(self.worker, [])
        self._published = set(current)
        if self._batches:
            self._batches_ready.set()

    def after_tick(self) -> None:
        """Hand dropped seats to the releaser; follow the pose topics of the instances we have seats in."""
        for seat in self.live.hub.take_dropped():
            if seat in self._seats:
                self._seats.discard(seat)
                self._releases.put_nowait(seat[:2])
        if not self.shared:
            return
        current = {(s, n) for s, n, _ in self.live.hub.local_instances()}
        for key in current - self._followed.keys():
            self._followed[key] = asyncio.create_task(self._follow(*key), name=f"live-poses-in-{key}")
        for key in self._followed.keys() - current:
            self._followed.pop(key).cancel()
            self._arrivals.forget_topic(poses_topic(*key))

    async def _publish_poses(self) -> None:
        while True:
            await self._batches_ready.wait()
            self._batches_ready.clear()
            batches, self._batches = self._batches, {}
            try:
                await self.bus.publish_many(list(batches.items()))
            except (BusUnavailable, BusClosed):
                self.metrics.live_bus_failures.labels("poses").inc()  # the next tick tries again

    async def _follow(self, store: str, instance: int) -> None:
        topic = poses_topic(store, instance)
        sub = await self.bus.subscribe(topic)
        async with sub:
            async for msg in sub:
                try:
                    now = self.live.now()
                    worker, seats = batch_header(msg.data)
                    self.live.hub.apply_remote(store, instance, msg.data, now=now, me=self.worker)
                except PoseFrameError as exc:
                    log.warning("bad pose batch on %s:%d: %s", store, instance, exc)
                    continue
                self._arrivals.heard(topic, worker, seats, now)
                if self._boundary is not None and not self._arrivals.missing(self._boundary):
                    self._all_in.set()

    # ------------------------------------------------------------ seats and resume

    async def festival_seats(self, festival: str) -> int:
        """Seats of the festival over every worker (the shared ledger), or this worker's while it is away."""
        if self.ledger is not None and self.bus.available:
            try:
                return await self.ledger.total(festival)
            except LedgerUnavailable:
                pass
        return self.live.hub.seats(festival)

    async def place(
        self, store: str, *, session: str, group: str | None, resume: str | None, festival: str,
        festival_cap: int | None,
    ) -> Placement:
        """Where a join goes across workers: a restored seat, a ledger seat, or the hub's local rule.

        Raises JoinRefused when the ledger says the store or the festival is full.
        """
        hub = self.live.hub
        if not self.shared:
            return Placement()
        if (room := hub.local_seat(store, session, resume)) is not None:
            if resume and room.can_resume(resume, session):
                return Placement()  # the same seat comes back: nothing changes in the ledger
            pid = room.peer_id_of_session(session)
            key = (store, room.instance, pid if pid is not None else -1)
            inherit = key in self._seats
            self._seats.discard(key)
            return Placement(inherit=inherit)
        if not self.bus.available:  # Redis is away: don't spend timeouts on it, admit by the local rule
            self.metrics.live_bus_failures.labels("admit_local").inc()
            log.warning("seat ledger unavailable: admitting to %s by this worker's local rule", store)
            return Placement()
        record = await self._take(resume) if resume else None
        if record is not None and (record.get("session") != session or record.get("store") != store):
            record = None
        cfg = hub.config
        prefer = int(record["instance"]) if record else hub.group_instance(store, group)
        place = Placement()
        if record is not None:
            place = Placement(instance=prefer, peer_id=int(record["peer_id"]), token=str(record["token"]),
                              group=record.get("group"))
        assert self.ledger is not None
        try:
            got = await self.ledger.claim(store, festival=festival, capacity=cfg.capacity,
                                          max_instances=cfg.max_instances,
                                          festival_cap=festival_cap, prefer=prefer,
                                          prefer_slack=_AS_MUCH_AS_NEEDED if record else cfg.group_slack)
        except LedgerUnavailable:
            self.metrics.live_bus_failures.labels("admit_local").inc()
            log.warning("seat ledger unavailable: admitting to %s by this worker's local rule", store)
            return place
        if isinstance(got, Refused):
            if record is not None:  # its seat is still counted on the worker it came from
                return place
            raise JoinRefused(_REFUSED[got.reason], got.reason)
        if record is not None and got != prefer:
            self._releases.put_nowait((store, got))
            return place
        place.instance, place.claimed = got, True
        if place.peer_id is None:
            place.peer_id = await self._peer_id(store, got)
        return place

    async def _take(self, token: str) -> dict[str, Any] | None:
        assert self.resume is not None
        try:
            return await self.resume.take(token)
        except ResumeStoreUnavailable:
            self.metrics.live_bus_failures.labels("resume").inc()
            return None

    async def _peer_id(self, store: str, instance: int) -> int | None:
        """A cluster-unique peer id for a new seat (None: the room's own counter)."""
        assert self.resume is not None
        room = self.live.hub.rooms(store).get(instance)
        try:
            for _ in range(PEER_ID_TRIES):
                pid = await self.resume.next_peer_id(store)
                if room is None or not room.uses_peer_id(pid):
                    return pid
        except ResumeStoreUnavailable:
            self.metrics.live_bus_failures.labels("resume").inc()
        return None

    def abandon(self, store: str, place: Placement) -> None:
        """The hub refused after the ledger said yes: give the seat back."""
        if place.claimed and place.instance is not None:
            self._releases.put_nowait((store, place.instance))

    def admitted(self, store: str, place: Placement, joined: HubJoin, *, session: str, group: str | None) -> None:
        """Remember the ledger seat of a join and store its resume record for the other workers."""
        if not self.shared:
            return
        if place.claimed or place.inherit:
            self._seats.add((store, joined.instance, joined.peer_id))
        record = {"session": session, "store": store, "instance": joined.instance, "peer_id": joined.peer_id,
                  "token": joined.token, "group": group}
        self._spawn(self._put_resume(joined.token, record, self.live.hub.config.room.grace_s))

    async def _put_resume(self, token: str, record: dict[str, Any], ttl_s: float) -> None:
        assert self.resume is not None
        try:
            await self.resume.put(token, record, ttl_s)
        except ResumeStoreUnavailable:
            self.metrics.live_bus_failures.labels("resume").inc()

    async def _refresh_resume(self) -> None:
        """Keep every seat's resume record alive for what is left of its grace (a worker may die any time)."""
        grace = self.live.hub.config.room.grace_s
        while True:
            await asyncio.sleep(RESUME_REFRESH_S)
            now = self.live.now()
            for store, n, room in self.live.hub.local_instances():
                for m in room.seats():
                    ttl = grace if m.away_since is None else grace - (now - m.away_since)
                    if ttl > 0.5:
                        await self._put_resume(m.token, {
                            "session": m.session, "store": store, "instance": n, "peer_id": m.peer_id,
                            "token": m.token, "group": m.group}, ttl)

    async def _release_seats(self) -> None:
        assert self.ledger is not None
        while True:
            store, instance = await self._releases.get()
            while True:
                try:
                    await self.ledger.release(store, instance)
                    break
                except LedgerUnavailable:  # keep it: the heartbeat would otherwise write the seat back
                    self.metrics.live_bus_failures.labels("release").inc()
                    await asyncio.sleep(0.5)
                    await self.bus.wait_state(True)
