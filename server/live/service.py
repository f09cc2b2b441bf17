"""The realtime I/O edge: owns the hub, every connection's send queue and writer, and the tick loop.

The hub decides (sans-I/O); this module only moves frames. The tick loop never awaits a socket: a frame
goes straight onto the connection's transport while that socket keeps up (:mod:`server.live.wire`);
otherwise it waits in the connection's bounded queue (latest pose wins), which the next tick flushes as
far as the socket allows. A queue that stays full for 5 s closes the connection.

Every task it starts is owned (``_tasks``) and cancelled with the app; a close never waits on a client for
longer than ``CLOSE_TIMEOUT_S``. A revoked session's sockets close at once (the ``TokenRevoked`` event, which
the cluster passes to every worker), and every ``REVOCATION_RECHECK_S`` the tokens of all open sockets are
checked again, in case an event was lost.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, web

from server import keys
from server.domain.analytics import Accumulator, Glance
from server.domain.events import CartChanged, Event, ProductChanged, ScenePublished, StoreSuspended, TokenRevoked
from server.live.cluster.cluster import Cluster
from server.live.core.actions import Action, Close, ConnId, Send
from server.live.core.admission import AdmissionConfig, AdmissionPolicy, Level, LoadSample
from server.live.core.hub import Hub, HubConfig
from server.live.core.liveness import LivenessConfig, Verdict, liveness
from server.live.core.members import RoomConfig
from server.live.core.protocol import CloseCode
from server.live.core.sendq import SendQueue
from server.live.ports import PLAZA, plaza_room
from server.live.scene_bounds import SceneBounds
from server.live.tick_writes import DIRECT, ThreadedWrites, Writes, load_sender, socket_fd
from server.live.wire import PING_FRAME, FrameEncoder, bound_kernel_buffer, close_within, writable

log = logging.getLogger("vrstore.live")

CLOSE_TIMEOUT_S = 5.0  # a client has this long to answer a close frame before its connection is dropped
REVOCATION_RECHECK_S = 5.0  # the safety net behind TokenRevoked events (the bus delivers at most once)


def next_tick_boundary(after: float, interval: float, *, wall_offset: float) -> float:
    """The first monotonic time at or after ``after`` whose wall-clock time (monotonic + ``wall_offset``) is a
    multiple of ``interval``: where every worker's tick falls, whenever it started."""
    return after + (-(after + wall_offset)) % interval


LATE_TICK = 0.5  # of an interval: a tick due longer ago than this is skipped, a later one runs at once


def next_tick_due(due: float, now: float, interval: float, *, wall_offset: float) -> float:
    """When the tick after the one due at ``due`` runs, asked at ``now`` once that one is done.

    Its boundary, ``due + interval``, if it is still ahead or passed less than ``LATE_TICK`` of an interval ago:
    then it runs at once, a little late, still carrying that boundary's poses (and the other workers' batches
    published at it). Skipping it instead would add a whole interval to every pose in flight and halve the tick
    rate of a worker whose ticks all run slightly over — measured: 4.4 ticks/s instead of 10 on the Redis bus.
    Further behind than that, the boundary after ``now``: missed ticks are dropped, never burst."""
    nxt = due + interval
    if now - nxt > LATE_TICK * interval:
        return next_tick_boundary(now, interval, wall_offset=wall_offset)
    return nxt


@dataclass(eq=False)
class Connection:
    id: ConnId
    ws: web.WebSocketResponse
    transport: asyncio.Transport | None
    token_id: int | None = None  # the API token it authenticated with: its revocation closes the socket
    queue: SendQueue = field(default_factory=SendQueue)
    closing: bool = False
    opened_at: float = 0.0
    last_rx: float = 0.0  # when the peer last sent anything (the read loop stamps it)
    pinged_at: float | None = None  # when the liveness sweep last pinged it
    ponged_at: float | None = None  # when it last answered a ping (the read loop stamps it)
    visit: tuple[str, str, str, float] | None = None  # analytics: festival, store, session, seated since
    fd: int | None = None  # the socket's descriptor, for the tick's sender thread (None: under TLS; tick_writes.py)


class Live:
    """Every live connection of this process and the hub that places them."""

    def __init__(self, app: web.Application, worker: str = "local") -> None:
        settings = app[keys.SETTINGS]
        self.app = app
        self.metrics = app[keys.METRICS]
        self.tick_interval = 1.0 / settings.tick_hz
        self.liveness = LivenessConfig(heartbeat_s=settings.live_heartbeat_s,
                                       pong_timeout_s=settings.live_pong_timeout_s)
        self.hub = Hub(HubConfig(capacity=settings.instance_capacity, max_instances=settings.max_instances,
                                 room=RoomConfig(k=settings.interest_k, tick_hz=settings.tick_hz)))
        self.cluster = Cluster(self, worker)
        self.admission = AdmissionPolicy(AdmissionConfig(tick_budget_s=self.tick_interval))
        self.conns: dict[ConnId, Connection] = {}
        self._backlog: set[Connection] = set()  # connections with frames waiting in their queue
        self._encode = FrameEncoder()
        self._sender = load_sender() if settings.live_send_thread else None
        self._ids = itertools.count(1)
        self.arrivals: Counter[str] = Counter()  # new live shoppers per festival since the load was last read
        self._sale_round = asyncio.Event()  # set (and replaced) after every round of the sale-window watcher
        self.scene_bounds = SceneBounds(app[keys.STORAGE])
        self.revocation_recheck_s = REVOCATION_RECHECK_S
        self._tasks: set[asyncio.Task[Any]] = set()  # closes and other short jobs, cancelled with the app
        # Festival analytics (None when VRSTORE_ANALYTICS is off): fed at joins, leaves and once a second.
        self.analytics: Accumulator | None = app.get(keys.ANALYTICS)
        # Others that read the same once-a-second sample of every room (recommendations): (wall, store, glances).
        self.glance_readers: list[Callable[[float, str, list[Glance]], None]] = []
        self._sampled_at = 0.0

    # ------------------------------------------------------------ connections

    def open(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None, *,
             token_id: int | None = None) -> Connection:
        """Register a prepared socket. Frames are written onto its transport directly (see wire.py), which is
        only valid while no extension rewrites frames: refuse a socket that negotiated compression."""
        if ws.compress:
            raise RuntimeError("the live socket must not negotiate permessage-deflate: wire.py writes raw frames")
        bound_kernel_buffer(transport)
        now = self.now()
        conn = Connection(next(self._ids), ws, transport, token_id, opened_at=now, last_rx=now,
                          fd=socket_fd(transport))
        self.conns[conn.id] = conn
        self.metrics.shoppers.set(len(self.conns))
        return conn

    def closed(self, conn: Connection, *, graceful: bool) -> None:
        """The socket ended: leave the hub (grace period for resumes) and forget its queued frames."""
        self.conns.pop(conn.id, None)
        self._backlog.discard(conn)
        self.metrics.shoppers.set(len(self.conns))
        if conn.visit is not None and self.analytics is not None:
            festival, store, session, since = conn.visit
            self.analytics.leave(time.time(), festival, store, session, self.now() - since)
        self.deliver(self.hub.leave(conn.id, now=self.now(), graceful=graceful))

    def entered(self, conn: Connection, store: str, session: str, festival: str, *, resumed: bool) -> None:
        """The connection took its seat (the endpoint calls this once per join): a visit starts, for analytics.
        A resumed seat continues the visit: its time counts, but it is not a new entry."""
        if self.analytics is None:
            return
        conn.visit = (festival, store, session, self.now())
        if not resumed:
            self.analytics.enter(time.time(), festival, store, session)

    def sample_analytics(self) -> None:
        """Once a second: every present shopper's store, floor cell and look, into this minute's counters, and
        the same glances to the other readers — one walk over the rooms for all of them."""
        if self.analytics is None and not self.glance_readers:
            return
        wall = time.time()
        for store, _, room in self.hub.local_instances():
            glances = room.glances()
            if self.analytics is not None:
                festival = self.hub.festival_of(store)
                self.analytics.sample(wall, festival, store, glances)
                self.analytics.looks(wall, festival, store, room.take_looks())
            for read in self.glance_readers:
                read(wall, store, glances)

    def now(self) -> float:
        return time.monotonic()

    def deliver(self, actions: list[Action], out: Writes = DIRECT) -> None:
        """Carry out the hub's actions without awaiting: write or queue frames, schedule closes.

        Frames for one socket in one call (a tick's frame and the ``focus_counts`` of the same tick, say) go
        out in ONE write: the send syscall, not the bytes, is what a frame costs. ``out`` makes it: onto the
        transport now, or, during the tick, through the sender thread (tick_writes.py)."""
        if not actions:  # most received pose frames answer nothing: ~20,000 calls a second at 2,000 shoppers
            return
        now = self.now()
        writes: dict[Connection, list[bytes]] = {}
        for action in actions:
            conn = self.conns.get(action.conn)
            if conn is None or conn.closing:
                continue
            if isinstance(action, Close):
                self.close(conn, int(action.code), action.reason)
                continue
            assert isinstance(action, Send)
            queue = conn.queue
            if not queue.frames and writable(conn.transport):
                if (pending := writes.get(conn)) is None:
                    writes[conn] = [self._encode(action.frame)]
                else:
                    pending.append(self._encode(action.frame))
                continue
            if not queue.offer(action.frame, action.droppable, now):
                self.metrics.queue_drops.inc()
                self.hub.resync(conn.id)  # a control frame was lost: rebuild its peer table next tick
            self._backlog.add(conn)
            if queue.stuck(now):
                self.close(conn, int(CloseCode.SLOW_CONSUMER), "slow_consumer")
        for conn, frames in writes.items():
            out.write(conn, frames[0] if len(frames) == 1 else b"".join(frames))

    def flush_backlog(self) -> None:
        """Write queued frames, oldest first, as far as each backed-up socket now takes them."""
        for conn in list(self._backlog):
            queue = conn.queue
            while queue.frames and not conn.closing and writable(conn.transport):
                frame, _ = queue.popleft()
                conn.transport.write(self._encode(frame))  # type: ignore[union-attr]
            if not queue.frames or conn.closing:
                self._backlog.discard(conn)

    def sweep_liveness(self, now: float) -> None:
        """Pings, and closes for clients that went silent or do not read (the rules: core/liveness.py). Done
        here, once a second, rather than by aiohttp's per-socket heartbeat, which schedules an extra loop
        callback for every received frame (a fifth of the server's time at 2,000 shoppers); the read loop only
        stamps ``last_rx`` and ``ponged_at``."""
        for conn in list(self.conns.values()):
            if conn.closing or self.hub.room_of(conn.id) is None:  # before its hello, a pong would be misread
                continue
            verdict = liveness(now, opened_at=conn.opened_at, last_rx=conn.last_rx, pinged_at=conn.pinged_at,
                               ponged_at=conn.ponged_at, config=self.liveness)
            if verdict is Verdict.PING:
                if writable(conn.transport):
                    conn.transport.write(PING_FRAME)  # type: ignore[union-attr]
                conn.pinged_at = now
            elif verdict is Verdict.NOT_READING:
                self.close(conn, int(CloseCode.SLOW_CONSUMER), "slow_consumer")
            elif verdict is Verdict.SILENT:
                self.close(conn, int(CloseCode.HEARTBEAT_TIMEOUT), "heartbeat_timeout")

    def close(self, conn: Connection, code: int, reason: str) -> None:
        """Close without awaiting: the close frame goes out from a task of ours, bounded by CLOSE_TIMEOUT_S."""
        if conn.closing:
            return
        conn.closing = True
        self.metrics.closes.labels(str(code)).inc()
        self.spawn(close_within(conn.ws, conn.transport, code, reason, CLOSE_TIMEOUT_S), f"live-close-{conn.id}")

    def spawn(self, job: Coroutine[Any, Any, Any], name: str) -> None:
        """Run ``job`` as a task this object owns: kept referenced while it runs, cancelled with the app."""
        task = asyncio.create_task(job, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ------------------------------------------------------------ revoked sessions

    def revoke(self, token_ids: Collection[int]) -> None:
        """Close the sockets opened with these tokens (4001) and drop their seats at once: a signed-out
        session cannot come back to them."""
        if not token_ids:
            return
        for conn in [c for c in self.conns.values() if c.token_id in token_ids and not c.closing]:
            self.deliver(self.hub.expel(conn.id, CloseCode.UNAUTHORIZED, "unauthorized"))

    async def watch_revocations(self) -> None:
        """Every ``revocation_recheck_s``, ask the database which open sockets' tokens stopped working."""
        while True:
            await asyncio.sleep(self.revocation_recheck_s)
            tokens = {c.token_id for c in self.conns.values() if c.token_id is not None and not c.closing}
            if not tokens:
                continue
            try:
                self.revoke(await self.app[keys.LIVE_DATA].invalid_tokens(tokens))
            except Exception:  # the database may be briefly unavailable; try again next round
                log.warning("revocation check failed", exc_info=True)

    # ------------------------------------------------------------ tick and events

    async def run(self) -> None:
        """Tick every instance at the configured rate; a slow tick delays the next, never doubles up
        (``next_tick_due``: a little late runs at once, further behind skips).

        Ticks fall on the wall clock's tick boundaries, so every worker ticks at the same moment. With other
        workers, this worker publishes its pose batches AT the boundary and ticks as soon as theirs (published
        at the same boundary) are in, at most ``batch_wait`` later: a pose that crosses workers reaches its
        viewers in the same tick as a local one, a Redis hop later, instead of waiting for a second tick loop
        whose phase may lag by up to a whole interval.
        """
        interval = self.tick_interval
        wait = self.cluster.batch_wait(interval)
        next_at = self._next_boundary(self.now())
        ticks = 0
        while True:
            await asyncio.sleep(max(0.0, next_at - self.now()))
            lag = max(0.0, self.now() - next_at)
            if wait:
                try:
                    self.cluster.publish_poses()
                    await self.cluster.batches_in(next_at, next_at + wait)
                except Exception:  # like a failed tick: log it, the next boundary tries again
                    log.exception("pose batches failed")
            started = self.now()
            try:
                self.tick(started)
                self.cluster.after_tick()  # seats to release, pose topics to follow
            except Exception:  # a bug in one tick must not stop the live service
                log.exception("tick failed")
            took = self.now() - started
            self.metrics.tick_seconds.observe(took)
            self.measure_load(started + took, took, lag)
            ticks += 1
            if ticks % 10 == 0:  # counting walks every seat: once a second is plenty for a gauge
                self.metrics.instances.set(sum(c.instances for c in self.hub.counts().values()))
                self.sweep_liveness(self.now())
            if started - self._sampled_at >= 1.0:
                self._sampled_at = started
                try:
                    self.sample_analytics()
                except Exception:  # analytics must never stop the live service
                    log.exception("analytics sample failed")
            if ticks % 600 == 0:  # once a minute, re-read the wall clock (NTP slews it against the monotonic one)
                next_at = self._next_boundary(self.now())
            else:
                next_at = next_tick_due(next_at, self.now(), interval, wall_offset=time.time() - time.monotonic())

    def tick(self, now: float) -> None:
        """One tick of every instance, delivered. With the sender thread, an instance's frames are sent while
        the next instance's are built; the tick ends when the last is sent (the rules: tick_writes.py)."""
        self.flush_backlog()  # frames still queued from earlier go out before this tick's
        if self._sender is None:
            self.deliver(self.hub.tick(now))
            return
        writes = ThreadedWrites(self._sender)
        try:
            for actions in self.hub.tick_instances(now):
                self.deliver(actions, writes)
                writes.submit()
        finally:  # even after a failed instance: no send may still be in flight when the loop runs again
            self.metrics.partial_sends.inc(writes.finish())

    def measure_load(self, now: float, took: float, lag: float) -> None:
        """Feed the admission policy one tick's measurements and apply its level (see core/admission.py)."""
        level = self.admission.observe(LoadSample(now=now, tick_s=took, lag_s=lag, connections=len(self.conns),
                                                  backlog=len(self._backlog)))
        self.hub.set_level(level)
        self.metrics.admission_level.set(int(level) if self.admission.admitting else int(Level.CLOSED))
        self.metrics.pressure.set(self.admission.pressure)
        self.metrics.room_for.set(self.admission.room_for())

    def _next_boundary(self, after: float) -> float:
        return next_tick_boundary(after, self.tick_interval, wall_offset=time.time() - time.monotonic())

    async def on_event(self, event: Event) -> None:
        """A service event of this worker: applied here at once, then passed on to the other workers."""
        self.apply_event(event)
        self.cluster.publish_event(event)

    def apply_event(self, event: Event) -> None:
        """Services' live events become frames for the shoppers concerned (the rest concern nobody here)."""
        match event:
            case ProductChanged():
                self.deliver(self.hub.product(event.store, sku=event.sku, price=event.unit_price,
                                              sale_price=event.sale_price, currency=event.currency,
                                              stock=event.stock))
            case StoreSuspended():
                self.deliver(self.hub.close_store(event.store))
            case ScenePublished():
                plaza = {"festival": event.festival} if event.festival is not None else {}
                room = plaza_room(event.festival) if event.store == PLAZA and event.festival else event.store
                self.deliver(self.hub.notice("scene_published", store=room, scene=event.scene,
                                             glb=event.glb, manifest=event.manifest, **plaza))
                if self.hub.rooms(room):  # its shoppers walk the new scene: clamp them to its floor
                    self.spawn(self._rebound(room, event.scene), f"live-bounds-{room}")
            case TokenRevoked():
                self.revoke({event.token_id})
            case CartChanged():
                self.deliver(self.hub.cart(
                    [str(s) for s in event.session_ids], cart=str(event.cart), version=event.version,
                    change=event.change, by_name=event.by_name,
                    by_session=str(event.by_session) if event.by_session is not None else None))

    async def _rebound(self, room: str, scene_hash: str) -> None:
        if (bounds := await self.scene_bounds.of(room, scene_hash)) is not None:
            self.hub.set_bounds(room, bounds)

    async def watch_sale_windows(self) -> None:
        """Announce ``festival_opening`` / ``festival_closing`` to everyone when a sale window opens or ends."""
        was_open: dict[str, bool] = {}
        while True:
            try:
                for window in await self.app[keys.LIVE_DATA].sale_windows():
                    before = was_open.get(window.festival)
                    if before is not None and before != window.open:
                        kind = "festival_opening" if window.open else "festival_closing"
                        self.deliver(self.hub.notice(kind, festival=window.festival))
                    was_open[window.festival] = window.open
            except Exception:  # the database may be briefly unavailable; try again next round
                log.warning("sale window check failed", exc_info=True)
            self._sale_round.set()
            self._sale_round = asyncio.Event()
            await asyncio.sleep(self.app[keys.SETTINGS].sale_window_poll_s)

    async def sale_window_round(self) -> None:
        """Wait until the sale-window watcher has finished its next round (what a test waits on)."""
        await self._sale_round.wait()

    def close_sender(self) -> None:
        if self._sender is not None:
            self._sender.close()
            self._sender = None

    async def shutdown(self) -> None:
        """Tell everyone the server is going down, then close with 1001 (GOING_AWAY)."""
        self.deliver(self.hub.notice("going_down"))
        self.flush_backlog()  # a socket that is still backed up misses the notice but still gets the close
        await asyncio.gather(*(close_within(c.ws, c.transport, WSCloseCode.GOING_AWAY, "going_down",
                                            CLOSE_TIMEOUT_S) for c in list(self.conns.values())))


async def live_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the tick loop and the event subscription live exactly as long as the app."""
    live = Live(app, app[keys.WORKER_ID])
    app[keys.LIVE] = live
    await live.cluster.start()
    unsubscribe = app[keys.EVENTS].subscribe(live.on_event)
    app[keys.VISITORS].provider = lambda: {store: c.present for store, c in live.hub.counts().items()}
    tasks = [asyncio.create_task(live.run(), name="live-tick"),
             asyncio.create_task(live.watch_sale_windows(), name="live-sale-windows"),
             asyncio.create_task(live.watch_revocations(), name="live-revocations")]
    try:
        yield
    finally:
        unsubscribe()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await live.cancel_tasks()
        await live.cluster.close()
        live.close_sender()


async def on_shutdown(app: web.Application) -> None:
    if keys.LIVE in app:
        await app[keys.LIVE].shutdown()
