"""Joins into ONE room (issue #22): how fast N shoppers get in, end to end and per join inside the server.

1. **End to end.** A real ``vrstore serve`` (SQLite, the demo festival seeded into a temporary data dir, as
   ``bench/realtime.py`` does) with ``VRSTORE_INSTANCE_CAPACITY=N``, so that one instance holds everyone, and one
   asyncio generator process joining N shoppers to one store at an offered rate: open loop, shopper ``i`` says
   hello at ``i / rate`` after the start whatever the server's pace, with at most ``--concurrency`` handshakes in
   flight. Each shopper sends its first pose as soon as its ``welcome`` arrives (later joiners then have posed
   peers to be told about, which is what the welcome's snapshot searches) and then poses at ``--pose-hz`` along
   its walk (``tools/loadtest/walk.py``). A join refused with 4011 ``busy`` (admission from measured load) does
   what the page does: it takes a ticket in the festival's waiting line (``POST /festivals/{f}/queue``), asks
   again after the ``poll_after_s`` the answer names, and joins once admitted (API.md, "Waiting room"); a shopper
   still waiting ``--line-s`` after the last offered join stops there. Reported: joins/s achieved against offered,
   the time until everyone had an answer (a seat or a place in line) and until everyone seated was, join latency
   hello → welcome p50/p99 (and from the offered moment, which adds waiting for a handshake slot and the line),
   the refusals and how many were seated when the door first closed, the line (tickets, refusal → ticket p99,
   the first estimate given, admitted from it, still waiting), and the server's CPU while shoppers joined.

   Admission (docs/PROTOCOL.md, "Admission from measured load") decides how many get in: past 100 shoppers a
   worker admits what its tick target allows (about 2,200 walking shoppers on the reference box), and a busy box's
   event-loop lag closes the door sooner; once anyone waits, later arrivals line up behind them (the line is
   first come, first served). Read "in line" and "door shut at" before reading a slow finish as a slow join.
2. **In process.** ``Room.join`` on the sans-I/O room at room sizes 100 / 1,000 / 3,000 (members posed uniformly
   over a 40 m × 30 m floor; a tick every 15 joins, as at 150 joins/s and 10 Hz; each newcomer poses and leaves
   again so the size stays put): thread CPU µs per join, and the candidate rows one join's welcome snapshot
   examined (``Room.join_work``). Flat across sizes is the O(1) check; the µs figures are noisy on a shared box.

Every run records the load average. Prints rich tables and writes ``bench/results/joins.json``.

    .venv/bin/python bench/joins.py [--shoppers 3200] [--rate 150] [--pose-hz 1] [--sizes 100,1000,3000]
                                    [--no-e2e] [--no-inprocess]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tools"))  # the load generator

import _server  # noqa: E402
import aiohttp  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402
import realtime  # noqa: E402
from loadtest.lean import LeanClient, Refused, connect_lean  # noqa: E402
from loadtest.report import parse_metrics  # noqa: E402
from loadtest.run import LoadtestConfig, _prepare  # noqa: E402
from loadtest.walk import StorePlan, Walker  # noqa: E402
from loadtest.worker import CONNECT_ERRORS, failure_reason, wall_ms  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from server.live.core.members import RoomConfig  # noqa: E402
from server.live.core.poses import ClientPose, Pose, encode_client_pose  # noqa: E402
from server.live.core.room import Room  # noqa: E402
from server.process.eventloop import loop_factory  # noqa: E402

STORE = realtime.STORE
FESTIVAL = "korea-sale-festa"  # the demo festival the store is part of
BUSY = 4011
console = Console(width=200)
progress = Console(stderr=True)


# ---------------------------------------------------------------- end to end


class TimedClient(LeanClient):
    """A lean shopper that notes when its ``hello`` went out and when its ``welcome`` came back."""

    def __init__(self, request: bytes, hello: bytes) -> None:
        super().__init__(request, hello)
        self.hello_at = 0.0
        self.welcome_at = 0.0

    def _write(self, data: bytes) -> None:
        if self._upgraded and not self.hello_at:  # the first frame after the upgrade is the hello
            self.hello_at = time.perf_counter()
        super()._write(data)

    def _on_text(self, payload: bytes) -> None:
        had = bool(self.welcome)
        super()._on_text(payload)
        if self.welcome and not had:
            self.welcome_at = time.perf_counter()


@dataclass
class Joining:
    """The generator's state: who got in, when, and what went wrong."""

    url: str
    plan: StorePlan
    tokens: list[str]
    rate: float
    pose_hz: float
    concurrency: int
    line_s: float
    http: Any = None  # aiohttp.ClientSession, for the waiting line
    give_up_at: float = 0.0
    start: float = 0.0
    latency_ms: list[float] = field(default_factory=list)  # hello → welcome of the successful attempt
    offered_ms: list[float] = field(default_factory=list)  # offered moment → welcome
    welcomed_at: list[float] = field(default_factory=list)
    instances: set[int] = field(default_factory=set)
    refusals: int = 0
    seated_at_first_refusal: int | None = None  # where the door first closed (admission from measured load)
    failures: dict[str, int] = field(default_factory=dict)
    answered_at: list[float] = field(default_factory=list)  # a seat, or a place in line
    ticket_ms: list[float] = field(default_factory=list)  # refusal → ticket
    first_eta_s: list[float | None] = field(default_factory=list)
    from_line: int = 0  # admitted from the line and seated
    still_waiting: int = 0
    clients: list[TimedClient] = field(default_factory=list)
    walkers: list[list[tuple[TimedClient, Walker]]] = field(default_factory=lambda: [[] for _ in range(10)])

    async def one(self, i: int, slots: asyncio.Semaphore) -> None:
        offered = self.start + i / self.rate
        await asyncio.sleep(max(0.0, offered - time.perf_counter()))
        queued = False
        while True:
            try:
                async with slots:
                    client = await connect_lean(self.url, STORE, self.tokens[i], timeout=60.0, client=TimedClient)
            except Refused as exc:
                if exc.code == BUSY and not queued:
                    if self.seated_at_first_refusal is None:
                        self.seated_at_first_refusal = len(self.clients)
                    self.refusals += 1
                    queued = True
                    if await self._wait_in_line(i):
                        continue
                    return
                self._failed(failure_reason(exc))
                return
            except CONNECT_ERRORS as exc:
                self._failed(failure_reason(exc))
                return
            break
        assert isinstance(client, TimedClient)
        self.from_line += queued
        if not queued:
            self.answered_at.append(client.welcome_at)
        self.latency_ms.append((client.welcome_at - client.hello_at) * 1000)
        self.offered_ms.append((client.welcome_at - offered) * 1000)
        self.welcomed_at.append(client.welcome_at)
        self.instances.add(int(client.welcome["instance"]))
        self.clients.append(client)
        walker = Walker(self.plan, random.Random(1_000_003 + i))
        client.send_binary(walker.frame(wall_ms()))
        self.walkers[i % len(self.walkers)].append((client, walker))

    async def _wait_in_line(self, i: int) -> bool:
        """As the waiting page: take a ticket, ask again when told to; True once admitted, False at the deadline."""
        headers = {"Authorization": f"Bearer {self.tokens[i]}"}
        line = f"{self.url}/api/v1/festivals/{FESTIVAL}/queue"
        refused = time.perf_counter()
        async with self.http.post(line, headers=headers) as r:
            if r.status != 201:
                self._failed(f"queue {r.status}")
                return False
            body = await r.json()
        self.answered_at.append(time.perf_counter())
        self.ticket_ms.append((time.perf_counter() - refused) * 1000)
        self.first_eta_s.append(body["eta_s"])
        while body["phase"] != "admitted":
            if time.perf_counter() + body["poll_after_s"] > self.give_up_at:
                self.still_waiting += 1
                return False
            await asyncio.sleep(body["poll_after_s"])
            async with self.http.get(f"{line}/{body['ticket']}", headers=headers) as r:
                body = await r.json()
        return True

    def _failed(self, reason: str) -> None:
        self.failures[reason] = self.failures.get(reason, 0) + 1

    async def pace(self, stop: asyncio.Event) -> None:
        """Everyone seated walks on at ``pose_hz``, one tenth of them per tenth of the period."""
        if self.pose_hz <= 0:
            return
        step = 1.0 / self.pose_hz / len(self.walkers)
        k = 0
        while not stop.is_set():
            await asyncio.sleep(step)
            t = wall_ms()
            for client, walker in self.walkers[k]:
                walker.step(step * len(self.walkers))
                client.send_binary(walker.frame(t))
            k = (k + 1) % len(self.walkers)


def _metrics(url: str) -> dict[str, float]:
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=10) as r:
            return parse_metrics(r.read().decode())
    except (OSError, ValueError):
        return {}


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


async def _join_all(j: Joining, n: int, server: psutil.Process, hold_s: float) -> dict[str, Any]:
    slots = asyncio.Semaphore(j.concurrency)
    stop = asyncio.Event()
    me = psutil.Process()
    cpu_srv0, cpu_gen0 = sum(server.cpu_times()[:2]), sum(me.cpu_times()[:2])
    j.start = time.perf_counter() + 0.2
    j.give_up_at = j.start + n / j.rate + j.line_s
    pacer = asyncio.create_task(j.pace(stop))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=j.concurrency)) as j.http:
        await asyncio.gather(*(j.one(i, slots) for i in range(n)))
    done = time.perf_counter()
    wall = done - j.start
    cpu_srv, cpu_gen = sum(server.cpu_times()[:2]) - cpu_srv0, sum(me.cpu_times()[:2]) - cpu_gen0
    await asyncio.sleep(hold_s)
    stop.set()
    await pacer
    await asyncio.gather(*(c.close() for c in j.clients))
    last = max(j.welcomed_at) - j.start if j.welcomed_at else None
    etas = [e for e in j.first_eta_s if e is not None]
    return {
        "joined": len(j.clients), "failures": j.failures, "refusals_busy": j.refusals,
        "seated_at_first_refusal": j.seated_at_first_refusal,
        "instances": sorted(j.instances),
        "offered_per_s": j.rate, "offered_s": round(n / j.rate, 1),
        "finished_s": None if last is None else round(last, 1),
        "answered": len(j.answered_at),
        "answered_s": round(max(j.answered_at) - j.start, 1) if j.answered_at else None,
        "line": {"tickets": len(j.ticket_ms), "ticket_ms_p99": _pct(j.ticket_ms, 99),
                 "first_eta_known": len(etas), "first_eta_s_p50": _pct(etas, 50),
                 "seated_from_line": j.from_line, "still_waiting": j.still_waiting, "waited_s": j.line_s},
        "achieved_per_s": None if not last else round(len(j.clients) / last, 1),
        "join_ms": {"p50": _pct(j.latency_ms, 50), "p99": _pct(j.latency_ms, 99),
                    "max": round(max(j.latency_ms), 1) if j.latency_ms else None},
        "offered_to_welcome_ms": {"p50": _pct(j.offered_ms, 50), "p99": _pct(j.offered_ms, 99)},
        "server_cpu_percent": round(100 * cpu_srv / wall, 1),
        "generator_cpu_percent": round(100 * cpu_gen / wall, 1),
    }


def end_to_end(n: int, rate: float, pose_hz: float, concurrency: int, line_s: float, hold_s: float,
               profile: Path | None) -> dict[str, Any]:
    """Seed, serve with one instance for everyone, create the sessions, join them all; the result row."""
    with tempfile.TemporaryDirectory(prefix="vrstore-bench-joins-") as tmp:
        data = Path(tmp) / "data"
        progress.print("seeding the demo festival …")
        realtime.seed(data)
        server = _server.start(data, extra_env={"VRSTORE_INSTANCE_CAPACITY": str(max(100, n))}, profile=profile)
        try:
            cfg = LoadtestConfig(url=server.url, stores=(STORE,), shoppers=n)
            plans, tokens, _, _ = asyncio.run(_prepare(cfg, progress))
            if len(tokens) < n:
                raise SystemExit(f"only {len(tokens)} of {n} guest sessions were created")
            j = Joining(server.url, plans[STORE], tokens, rate, pose_hz, concurrency, line_s)
            before = _metrics(server.url)
            load = os.getloadavg()
            progress.print(f"joining {n} shoppers at {rate:g}/s …")
            with asyncio.Runner(loop_factory=loop_factory()) as runner:
                row = runner.run(_join_all(j, n, psutil.Process(server.process.pid), hold_s))
            after = _metrics(server.url)
        finally:
            server.stop()
    ticks = after.get("vrstore_live_tick_seconds_count", 0.0) - before.get("vrstore_live_tick_seconds_count", 0.0)
    tick_s = after.get("vrstore_live_tick_seconds_sum", 0.0) - before.get("vrstore_live_tick_seconds_sum", 0.0)
    return {"shoppers": n, "pose_hz": pose_hz, "concurrency": concurrency, **row,
            "tick_mean_ms": round(1000 * tick_s / ticks, 2) if ticks else None,
            "load_average_before": [round(v, 2) for v in load],
            "load_average": [round(v, 2) for v in os.getloadavg()]}


def e2e_table(r: dict[str, Any]) -> Table:
    t = Table(title=f"{r['shoppers']} shoppers joining one instance of {STORE} at {r['offered_per_s']:g}/s "
              f"(poses {r['pose_hz']:g} Hz once seated)")
    for col in ("joined", "fail", "in line", "door shut at", "inst", "offered s", "answered s", "finished s",
                "joins/s", "join p50 ms", "join p99 ms", "ticket p99 ms", "seated from line", "still waiting",
                "srv CPU %", "gen CPU %", "tick ms", "load 1m"):
        t.add_column(col, justify="right")
    line = r["line"]
    t.add_row(str(r["joined"]), str(sum(r["failures"].values())), str(line["tickets"]),
              "–" if r["seated_at_first_refusal"] is None else str(r["seated_at_first_refusal"]),
              ",".join(map(str, r["instances"])), str(r["offered_s"]), str(r["answered_s"]), str(r["finished_s"]),
              f"{r['achieved_per_s']} / {r['offered_per_s']:g}", str(r["join_ms"]["p50"]), str(r["join_ms"]["p99"]),
              str(line["ticket_ms_p99"]), str(line["seated_from_line"]), str(line["still_waiting"]),
              str(r["server_cpu_percent"]), str(r["generator_cpu_percent"]), str(r["tick_mean_ms"]),
              str(r["load_average_before"][0]))
    return t


# ---------------------------------------------------------------- in process

SCENE = {"glb": "/scenes/bench.glb", "manifest": "/scenes/bench.json"}
FLOOR = (40.0, 30.0)  # metres, around the origin (the default spawn point is the middle of the floor)
JOINS_PER_TICK = 15  # 150 joins/s at 10 Hz


def _pose(rng: np.random.Generator) -> bytes:
    x, z = rng.uniform(-FLOOR[0] / 2, FLOOR[0] / 2), rng.uniform(-FLOOR[1] / 2, FLOOR[1] / 2)
    return encode_client_pose(ClientPose(time_ms=0, head=Pose((x, 1.6, z), (0.0, 0.0, 0.0, 1.0))))


def room_join_cost(size: int, joins: int, k: int = 32, seed: int = 1) -> dict[str, Any]:
    """``Room.join`` at a steady room size (see the module docstring)."""
    rng = np.random.default_rng(seed)
    room = Room("bench", 1, RoomConfig(k=k, max_members=4096))
    now, fill = 0.0, 0.0
    for i in range(size):
        if i % JOINS_PER_TICK == 0:
            now += 0.1
            room.tick(now)
        c0 = time.thread_time()
        r = room.join(i, session=f"s{i}", name=f"Shopper {i}", now=now, scene=SCENE)
        fill += time.thread_time() - c0
        room.handle_pose(r.peer_id, _pose(rng), now=now)
    work0 = _work(room)
    cpu: list[float] = []
    peers: list[int] = []
    for j in range(joins):
        if j % JOINS_PER_TICK == 0:
            now += 0.1
            room.tick(now)
        conn = size + j
        c0 = time.thread_time()
        r = room.join(conn, session=f"s{conn}", name=f"Shopper {conn}", now=now, scene=SCENE)
        cpu.append(time.thread_time() - c0)
        peers.append(len(json.loads(r.actions[-1].frame)["peers"]))  # type: ignore[attr-defined]
        room.handle_pose(r.peer_id, _pose(rng), now=now)
        room.leave(r.peer_id, now=now, graceful=True)
    work1 = _work(room)
    out: dict[str, Any] = {
        "size": size, "joins": joins, "k": k,
        "join_us_median": round(statistics.median(cpu) * 1e6, 1), "join_us_mean": round(statistics.fmean(cpu) * 1e6, 1),
        "fill_us_per_join": round(fill / size * 1e6, 1), "welcome_peers_mean": round(statistics.fmean(peers), 1),
    }
    if work0 is not None and work1 is not None:
        out["rows_per_join"] = round((work1["rows"] - work0["rows"]) / joins, 1)
        out["index_builds"] = work1["builds"] - work0["builds"]
        out["ticks"] = -(-joins // JOINS_PER_TICK)
    return out


def _work(room: Room) -> dict[str, int] | None:
    """The room's join-work counters (None on a version without them)."""
    work = getattr(room, "join_work", None)
    return None if work is None else {"rows": work.rows, "builds": work.builds}


def inprocess_table(rows: list[dict[str, Any]]) -> Table:
    t = Table(title=f"Room.join in process, K=32, {FLOOR[0]:g} m × {FLOOR[1]:g} m floor, a tick every "
              f"{JOINS_PER_TICK} joins (thread CPU; a shared box)")
    for col in ("room size", "µs/join p50", "µs/join mean", "fill µs/join", "rows examined/join", "index builds",
                "welcome peers"):
        t.add_column(col, justify="right")
    for r in rows:
        t.add_row(str(r["size"]), str(r["join_us_median"]), str(r["join_us_mean"]), str(r["fill_us_per_join"]),
                  str(r.get("rows_per_join", "–")),
                  f"{r['index_builds']} in {r['ticks']} ticks" if "index_builds" in r else "–",
                  str(r["welcome_peers_mean"]))
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shoppers", type=int, default=3200)
    ap.add_argument("--rate", type=float, default=150.0, help="offered joins per second")
    ap.add_argument("--pose-hz", type=float, default=1.0, help="poses per second once seated (0: the first only)")
    ap.add_argument("--concurrency", type=int, default=256, help="handshakes in flight at most")
    ap.add_argument("--line-s", type=float, default=30.0,
                    help="how long after the last offered join a shopper in the waiting line keeps waiting")
    ap.add_argument("--hold", type=float, default=1.0, help="seconds everyone stays after the last join")
    ap.add_argument("--sizes", default="100,1000,3000", help="room sizes of the in-process section")
    ap.add_argument("--joins", type=int, default=150, help="joins measured per room size in process")
    ap.add_argument("--no-e2e", action="store_true")
    ap.add_argument("--no-inprocess", action="store_true")
    ap.add_argument("--profile-server", type=Path, default=None, help="write the server's cProfile here")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "joins.json")
    args = ap.parse_args()
    result: dict[str, Any] = {"benchmark": "joins", "machine": _server.machine()}
    if args.profile_server:
        args.profile_server.parent.mkdir(parents=True, exist_ok=True)
    if not args.no_e2e:
        result["end_to_end"] = end_to_end(args.shoppers, args.rate, args.pose_hz, args.concurrency, args.line_s,
                                          args.hold, args.profile_server)
        console.print(e2e_table(result["end_to_end"]))
        if args.profile_server:
            result["server_profile_top"] = realtime.profile_top(args.profile_server)
    if not args.no_inprocess:
        rows = []
        for n in (int(s) for s in args.sizes.split(",") if s):
            progress.print(f"in process: room of {n} …")
            rows.append(room_join_cost(n, args.joins))
        result["in_process"] = rows
        console.print(inprocess_table(rows))
    _server.write_results(result, args.out, console.print)


if __name__ == "__main__":
    main()
