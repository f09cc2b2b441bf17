"""One worker process of ``vrstore loadtest``: its share of the synthetic shoppers on one asyncio loop.

Every shopper connects with :class:`~server.live.client.LiveClient` (ramped: shopper ``i`` of ``n`` connects
at ``start + ramp · i / n``), walks the store (:mod:`loadtest.walk`) sending a pose at ``rate`` Hz and a
``focus`` whenever it starts or stops looking at a product, and counts what it receives. Observers decode every
tick and log each pose record; the others only count bytes and frames. At the end the worker sends one
:class:`WorkerResult` to the parent through its pipe.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import math
import random
import re
import resource
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import websockets

from loadtest.lean import HandshakeRefused, LeanClient, Refused, connect_lean
from loadtest.walk import StorePlan, Walker
from server.live.client import LiveClient
from server.live.core.poses import TickFrame
from server.process.eventloop import loop_factory

_MASK = 0xFFFFFFFF
PACER_SLOTS = 10  # the pacer wakes 10 times per pose period, each time for a tenth of the lean shoppers


def wall_ms() -> int:
    """Wall clock in ms (not wrapped): the pose timestamps are this value mod 2^32."""
    return int(time.time() * 1000)


def unwrap(t: int, ref: int) -> int:
    """A uint32 ms timestamp back on the wall clock, given a reference within ±24 days of it."""
    return ref + ((t - (ref & _MASK) + 0x80000000) & _MASK) - 0x80000000


@dataclass(frozen=True)
class ShopperSpec:
    """One synthetic shopper: its place in the ramp, store, token and whether it decodes ticks."""

    index: int
    store: str
    token: str
    observer: bool


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker needs; sent pickled to the spawned process."""

    url: str
    shoppers: list[ShopperSpec]
    plans: dict[str, StorePlan]
    total: int
    rate: float
    ramp_s: float
    hands: bool = False
    idle: bool = False
    seed: int = 1
    connect_concurrency: int = 32  # handshakes in flight at once: a stampede would only measure the queue
    lean: bool = True  # non-observers on the minimal client (loadtest.lean), paced by one loop


@dataclass
class ObserverLog:
    """What one observer received: its frames ``(seq, recv_ms)`` and records ``(seq, peer, t, recv_ms)``."""

    store: str
    instance: int
    peer_id: int
    tick_hz: float
    frames: array.array[int] = field(default_factory=lambda: array.array("q"))
    records: array.array[int] = field(default_factory=lambda: array.array("q"))  # flattened 4-tuples


@dataclass
class WorkerResult:
    """A worker's counts over the measurement window, plus the logs the parent needs for latency/delivery."""

    pid: int
    connected: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)  # connections the server closed during the run
    errors: Counter[str] = field(default_factory=Counter)  # ``error`` messages received, by code
    bytes_in: int = 0
    frames_in: int = 0
    poses_sent: int = 0
    focus_sent: int = 0
    send_skipped: int = 0  # lean shoppers' poses not sent because their socket was backed up
    send_lag_ms: list[float] = field(default_factory=list)  # how late the pacing loop woke (sampled)
    senders: dict[tuple[str, int, int], array.array[int]] = field(default_factory=dict)  # → sent times (ms)
    observers: list[ObserverLog] = field(default_factory=list)


@dataclass(eq=False)
class Paced:
    """A lean shopper as the pacer sees it."""

    client: LeanClient
    walker: Walker
    sent: array.array[int]
    last: float = 0.0


@dataclass
class ObserverClient(LiveClient):
    """A live client that logs every pose record of every tick (frames are decoded by ``LiveClient``)."""

    log: ObserverLog | None = None

    def _on_tick(self, tick: TickFrame) -> None:
        log = self.log
        if log is None:
            return
        now = wall_ms()
        log.frames.extend((tick.seq, now))
        recs = log.records
        for r in tick.poses:
            recs.extend((tick.seq, r.id, unwrap(r.time_ms, now), now))


class Run:
    """The shoppers of one worker and their shared counters.

    The measurement window ``[t0, t1)`` is unknown until every worker has connected its shoppers (a busy server
    accepts connections more slowly than the ramp asks): the parent sends it when all have reported. Shoppers
    start walking only then, so the ramp measures joins into an idle store and the window a steady state.
    """

    def __init__(self, cfg: WorkerConfig, start: float, conn: Connection) -> None:
        self.cfg, self.start, self.conn = cfg, start, conn
        self.t0 = self.t1 = math.inf
        self.window = asyncio.Event()
        self.pending = len(cfg.shoppers)
        self.all_tried = asyncio.Event()
        self.slots = asyncio.Semaphore(cfg.connect_concurrency)
        self.result = WorkerResult(pid=0)
        self.clients: list[LiveClient | LeanClient] = []
        self.paced: list[list[Paced]] = [[] for _ in range(PACER_SLOTS)]

    async def main(self) -> WorkerResult:
        """Run every shopper, snapshot the counters at the window's edges, and return the result."""
        tasks = [asyncio.create_task(self.shopper(s)) for s in self.cfg.shoppers]
        if self.cfg.lean and not self.cfg.idle:
            tasks.append(asyncio.create_task(self._pace()))
        if self.pending:
            await self.all_tried.wait()
        self.conn.send(("connected", self.result.connected))
        self.t0, self.t1 = await asyncio.to_thread(self.conn.recv)
        self.window.set()
        return await self._measure(tasks)

    async def _measure(self, tasks: list[asyncio.Task[None]]) -> WorkerResult:
        """Count what arrives between ``t0`` and ``t1``, then wait for every shopper to leave."""
        await self._sleep_until(self.t0)
        at_t0 = self._counters()
        await self._sleep_until(self.t1)
        at_t1 = self._counters()
        await asyncio.gather(*tasks)
        return self._collect(at_t0, at_t1)

    def _collect(self, at_t0: tuple[int, int], at_t1: tuple[int, int]) -> WorkerResult:
        """The result once every shopper has left: the window's counts and the error messages received."""
        res = self.result
        res.bytes_in, res.frames_in = at_t1[0] - at_t0[0], at_t1[1] - at_t0[1]
        for client in self.clients:
            if isinstance(client, LeanClient):
                res.errors.update(client.errors)
                res.send_skipped += client.skipped
                continue
            for msg in client.texts:
                if msg.get("type") == "error":
                    res.errors[str(msg.get("code"))] += 1
        return res

    def _counters(self) -> tuple[int, int]:
        return sum(c.bytes_in for c in self.clients), sum(c.tick_count for c in self.clients)

    @staticmethod
    async def _sleep_until(at: float) -> None:
        delay = at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)

    def _tried(self) -> None:
        self.pending -= 1
        if self.pending == 0:
            self.all_tried.set()

    async def _open(self, spec: ShopperSpec) -> LiveClient | LeanClient:
        """Connect one shopper (a handshake slot held): lean unless it observes. Raises what the clients raise
        (:func:`failure_reason` names it; :func:`close_code_of` tells a refused join)."""
        cfg = self.cfg
        async with self.slots:
            if cfg.lean and not spec.observer:
                return await connect_lean(cfg.url, spec.store, spec.token)
            cls = ObserverClient if spec.observer else LiveClient
            return await cls.connect(cfg.url, spec.store, spec.token, decode_ticks=spec.observer,
                                     keep_ticks=False, ping_interval=None, open_timeout=30, proxy=None)

    async def _connect(self, spec: ShopperSpec) -> LiveClient | LeanClient | None:
        try:
            return await self._open(spec)
        except CONNECT_ERRORS as exc:
            self.result.failures[failure_reason(exc)] += 1
        return None

    async def shopper(self, spec: ShopperSpec) -> None:
        """Connect at the shopper's ramp time, walk (or idle) until the window ends, then leave cleanly."""
        await self._sleep_until(self.start + self.cfg.ramp_s * spec.index / max(1, self.cfg.total))
        client = await self._connect(spec)
        if client is None:
            return self._tried()
        await self._stay(spec, client, self._tried)

    async def _stay(self, spec: ShopperSpec, client: LiveClient | LeanClient,
                    joined: Callable[[], None] | None = None) -> None:
        """A connected shopper: counted, logged if it observes, walking (or idle) until the window ends, then
        leaving cleanly; ``joined`` runs once it is counted."""
        cfg, res = self.cfg, self.result
        res.connected += 1
        self.clients.append(client)
        welcome = client.welcome
        key = (spec.store, int(welcome["instance"]), client.peer_id)
        if isinstance(client, ObserverClient):
            client.log = ObserverLog(*key, float(welcome.get("tick_hz", 10.0)))
            res.observers.append(client.log)
        if joined is not None:
            joined()
        try:
            if isinstance(client, LiveClient) and not cfg.idle:
                await self._walk(spec, client, res.senders.setdefault(key, array.array("q")))
            else:
                if isinstance(client, LeanClient) and not cfg.idle:
                    walker = Walker(cfg.plans[spec.store], random.Random(cfg.seed * 1_000_003 + spec.index),
                                    hands=cfg.hands)
                    paced = Paced(client, walker, res.senders.setdefault(key, array.array("q")))
                    self.paced[spec.index % PACER_SLOTS].append(paced)
                await self.window.wait()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(client.closed.wait(), max(0.0, self.t1 - time.time()))
        except websockets.ConnectionClosed:
            pass
        if client.closed.is_set():
            res.dropped[str(client.close_code)] += 1
        else:
            with contextlib.suppress(websockets.WebSocketException, OSError):
                await client.close()

    async def _pace(self) -> None:
        """Send every lean shopper's pose at ``rate`` Hz from one loop, the period split into slots."""
        cfg, res = self.cfg, self.result
        await self.window.wait()
        loop = asyncio.get_running_loop()
        period = 1.0 / cfg.rate
        step = period / PACER_SLOTS
        due, k = loop.time(), 0
        while True:
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            now, t = loop.time(), wall_ms()
            if t >= self.t1 * 1000:
                return
            measuring = t >= self.t0 * 1000
            if measuring:
                res.send_lag_ms.append((now - due) * 1000)
            frame_t = t & _MASK
            for p in self.paced[k]:
                client = p.client
                if client.closed.is_set():
                    continue
                focus = p.walker.step(now - p.last if p.last else period)
                p.last = now
                if client.send_binary(p.walker.frame(frame_t)):
                    p.sent.append(t)
                    res.poses_sent += measuring
                if focus is not False:
                    client.send_text({"type": "focus", "sku": focus})
                    res.focus_sent += measuring
            k = (k + 1) % PACER_SLOTS
            due += step
            if now - due > period:  # more than a period behind: skip ahead rather than burst
                due = now

    async def _walk(self, spec: ShopperSpec, client: LiveClient, sent: array.array[int]) -> None:
        cfg, res = self.cfg, self.result
        rng = random.Random(cfg.seed * 1_000_003 + spec.index)
        walker = Walker(cfg.plans[spec.store], rng, hands=cfg.hands)
        await self.window.wait()
        loop = asyncio.get_running_loop()
        period = 1.0 / cfg.rate
        due = loop.time() + rng.uniform(0, period)  # spread the shoppers' phases over the period
        last = due
        while not client.closed.is_set():
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            now = loop.time()
            focus = walker.step(now - last)
            last = now
            t = wall_ms()
            if t >= self.t1 * 1000:
                return
            measuring = t >= self.t0 * 1000
            if measuring and rng.random() < 0.05:
                res.send_lag_ms.append((now - due) * 1000)
            await client.ws.send(walker.frame(t))
            sent.append(t)
            res.poses_sent += measuring
            if focus is not False:
                await client.send({"type": "focus", "sku": focus})
                res.focus_sent += measuring
            due += period
            if now - due > period:  # more than a period behind: skip ahead rather than burst
                due = now


CONNECT_ERRORS = (OSError, ConnectionError, TimeoutError, websockets.WebSocketException)
_REFUSED = re.compile(r"refused with close code (\d+)")  # LiveClient.connect's message


def close_code_of(exc: BaseException) -> int | None:
    """The close code of a join the server refused after ``hello`` (4011: wait in line), else None."""
    if isinstance(exc, Refused):
        return exc.code
    found = _REFUSED.search(str(exc)) if isinstance(exc, ConnectionError) else None
    return int(found.group(1)) if found else None


def failure_reason(exc: BaseException) -> str:
    """A short name for why a connection failed (the failures table's key)."""
    if isinstance(exc, websockets.InvalidStatus):
        return f"http {exc.response.status_code}"
    if isinstance(exc, HandshakeRefused):
        return f"http {exc.status}"
    if isinstance(exc, TimeoutError):
        return "timeout"
    code = close_code_of(exc)
    if code is not None:
        reason = exc.reason if isinstance(exc, Refused) and exc.reason else ""
        return f"close {code} {reason}".strip()
    return type(exc).__name__


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def worker_entry(cfg: WorkerConfig, conn: Connection, run_type: type[Run] = Run) -> None:
    """Process target: report ready, wait for the ramp's start (wall-clock seconds), connect, report
    ``connected``, wait for the window ``(t0, t1)``, run it, send the result (``run_type`` may run it
    differently: :class:`loadtest.arrival_worker.ArrivalRun` needs no ``connected`` step)."""
    import os

    _raise_nofile()
    conn.send(("ready", os.getpid()))
    start: float = conn.recv()
    run = run_type(cfg, start, conn)
    if profile_dir := os.environ.get("VRSTORE_LOADTEST_PROFILE"):  # where the generator's own time goes
        import cProfile

        with cProfile.Profile() as prof, asyncio.Runner(loop_factory=loop_factory()) as runner:
            result = runner.run(run.main())
        prof.dump_stats(f"{profile_dir}/loadtest-worker-{os.getpid()}.prof")
    else:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:  # uvloop: less CPU per frame
            result = runner.run(run.main())
    result.pid = os.getpid()
    conn.send(("result", result))
    conn.close()
