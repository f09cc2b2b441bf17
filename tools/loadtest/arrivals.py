"""``vrstore loadtest --arrivals N --over S``: shoppers arriving on a curve, and the festival's waiting line.

Arrival ``i`` of ``N`` comes at ``start + S · i / N`` and behaves like a shopper's page
(:mod:`loadtest.arrival_worker`): a guest session, a live join, and when the server answers 4011 ``busy`` a
ticket in the festival's line, polled as the page polls it, and a join again the moment it is admitted. Shoppers
inside walk and send poses. Up to ``--observers`` of them decode every tick: chosen among the shoppers who get in
(directly or from the line), spread over the arrivals, so they are inside to measure.

**Measuring window**: the ``--duration`` seconds after the last arrival (``[start + S, start + S + duration)``),
whatever the line's length then: pose latency and delivery are judged over it (for every observer inside, and for
the observers admitted from the line), and whoever is still waiting at its end counts as such and gives up the
ticket (a load test leaves no line behind). The line's own figures — FIFO, ETA error, waits, status latency — cover
the whole run (:mod:`loadtest.arrivals_report` defines them).

**Making a line.** The server queues a join when a worker's measured load admits nobody, at the festival's visitor
cap, while the organizer pauses admission, or while others already wait. With ``--organizer TOKEN
--admit-per-min R`` the generator plays the organizer at a sale's opening: it holds the door (``paused``) until the
first arrivals queue — as many as two admission rounds let in (``2 · R / 60``; the admitter works once a second)
(or until the last arrival) — then lets the line in at ``R`` a minute (``fixed``, never above what the server's
load allows: shoppers inside stay to the end, so a server at its capacity stops admitting): the first round cannot
empty the line, so arrivals faster
than ``R`` keep one (slower ones drain it, and later arrivals walk in). The controls it found are put back at the
end. Without these options it only watches what the server does (``--organizer`` alone: the line's length).

Server CPU and RSS come from psutil when the server runs on this machine (as ``vrstore loadtest`` does), the
generator's CPU from its own processes, both beside the figures. A server with abuse limits on (``VRSTORE_RATE_LIMITS``)
limits guest sessions per address: load tests from one machine run it with ``VRSTORE_RATE_LIMITS=off``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import typer
from rich.console import Console

from loadtest.arrival_worker import ArrivalConfig, ArrivalResult, ArrivalRun
from loadtest.arrivals_report import render, summarize_arrivals
from loadtest.report import parse_metrics
from loadtest.run import LoadtestError, _cpu_seconds, _local_servers, metrics_text, read_stores
from loadtest.walk import StorePlan
from loadtest.worker import ShopperSpec, worker_entry

HOLD_POLL_S = 0.2  # how often the held door checks for its first waiting shopper
FOLLOW_S = 1.0  # server RSS and the line's length are sampled this often


@dataclass(frozen=True)
class ArrivalsConfig:
    """The arrivals mode's parameters (the CLI options)."""

    url: str
    stores: tuple[str, ...]
    arrivals: int
    over: float = 120.0
    duration: float = 30.0
    rate: float = 10.0
    processes: int = 0  # 0: one per 1,000 arrivals, at most one per core
    observers: int = 10
    hands: bool = False
    idle: bool = False
    seed: int = 1
    connect_concurrency: int = 64  # handshakes in flight at once, over all workers
    http_concurrency: int = 256  # HTTP connections for status calls over all workers (as many for arrivals)
    lean: bool = True
    eta_after: float = 120.0
    organizer: str | None = None
    admit_per_min: int | None = None

    @property
    def process_count(self) -> int:
        if self.processes > 0:
            return self.processes
        return max(1, min(os.cpu_count() or 1, math.ceil(self.arrivals / 1000)))

    def check(self) -> None:
        if self.arrivals < 1:
            raise LoadtestError(f"--arrivals must be at least 1 (got {self.arrivals})")
        if self.over < 0 or self.duration <= 0 or self.rate <= 0 or self.eta_after < 0:
            raise LoadtestError("--over and --eta-after must not be negative, --duration and --rate positive")
        if not self.stores:
            raise LoadtestError("--store must name at least one store")
        if self.admit_per_min is not None and (self.admit_per_min < 1 or not self.organizer):
            raise LoadtestError("--admit-per-min must be at least 1 and needs --organizer (the festival's "
                                "organizer token)")


@dataclass
class Prepared:
    plans: dict[str, StorePlan]
    festivals: dict[str, str]  # store → festival
    found_controls: dict[str, dict[str, Any]]  # festival → the organizer's controls before the run


def _queue_path(festival: str) -> str:
    return f"/api/v1/festivals/{festival}/queue"


async def _organizer(http: aiohttp.ClientSession, method: str, festival: str, token: str,
                     body: dict[str, Any] | None = None) -> dict[str, Any]:
    try:
        async with http.request(method, _queue_path(festival), json=body,
                                headers={"Authorization": f"Bearer {token}"}) as r:
            if r.status != 200:
                raise LoadtestError(f"the organizer token was refused for festival {festival!r} "
                                    f"(HTTP {r.status} from {method} {_queue_path(festival)})")
            answer: dict[str, Any] = await r.json(content_type=None)
            return answer
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise LoadtestError(f"the festival's waiting room did not answer: {exc or type(exc).__name__}") from None


def _controls(view: dict[str, Any]) -> dict[str, Any]:
    """What ``PUT …/queue`` takes back, from what ``GET …/queue`` says."""
    message = view.get("message") or {}
    return {"mode": view.get("mode", "auto"), "admit_per_min": view.get("admit_per_min"),
            "message_ko": message.get("ko"), "message_en": message.get("en")}


async def _prepare(cfg: ArrivalsConfig, console: Console) -> tuple[Prepared, str]:
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(cfg.url, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as http:
        plans, stores = await read_stores(http, cfg.url, cfg.stores, console)
        festivals = {slug: str(store.get("festival") or "") for slug, store in stores.items()}
        if missing := [slug for slug, f in festivals.items() if not f]:
            raise LoadtestError(f"the server does not say the festival of store(s) {', '.join(missing)}")
        found: dict[str, dict[str, Any]] = {}
        if cfg.organizer:
            for festival in sorted(set(festivals.values())):
                found[festival] = _controls(await _organizer(http, "GET", festival, cfg.organizer))
            for festival, controls in found.items() if cfg.admit_per_min is not None else ():
                await _organizer(http, "PUT", festival, cfg.organizer, {**controls, "mode": "paused"})
        return Prepared(plans, festivals, found), await metrics_text(http)


async def _restore(cfg: ArrivalsConfig, found: dict[str, dict[str, Any]]) -> None:
    if not (cfg.organizer and cfg.admit_per_min is not None):
        return
    async with aiohttp.ClientSession(cfg.url, timeout=aiohttp.ClientTimeout(total=10)) as http:
        for festival, controls in found.items():
            with contextlib.suppress(LoadtestError):
                await _organizer(http, "PUT", festival, cfg.organizer, controls)


def _specs(cfg: ArrivalsConfig) -> list[ShopperSpec]:
    """Every arrival (its token comes at its arrival; whether it observes, when it gets in)."""
    return [ShopperSpec(i, cfg.stores[i % len(cfg.stores)], "", False) for i in range(cfg.arrivals)]


def run_arrivals(cfg: ArrivalsConfig, console: Console | None = None) -> dict[str, Any]:
    """Run the arrivals and return the summary (raises :class:`LoadtestError` with a clear message)."""
    console = console or Console()
    cfg.check()
    try:
        prepared, first_metrics = asyncio.run(_prepare(cfg, console))
    except ValueError as exc:  # aiohttp refuses a relative or malformed base URL
        raise LoadtestError(f"bad --url {cfg.url!r}: {exc}") from None
    if not first_metrics:
        console.print("[yellow]/metrics is not reachable: server tick figures will be missing[/yellow]")
    specs = _specs(cfg)
    n_proc = min(cfg.process_count, len(specs))
    ctx = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    try:
        for k in range(n_proc):
            wcfg = ArrivalConfig(url=cfg.url, shoppers=specs[k::n_proc], plans=prepared.plans, total=len(specs),
                                 rate=cfg.rate, ramp_s=cfg.over, hands=cfg.hands, idle=cfg.idle, seed=cfg.seed,
                                 connect_concurrency=max(4, cfg.connect_concurrency // n_proc), lean=cfg.lean,
                                 festivals=prepared.festivals, duration=cfg.duration, eta_after=cfg.eta_after,
                                 http_concurrency=max(8, cfg.http_concurrency // n_proc),
                                 observers=0 if cfg.idle else cfg.observers // n_proc + (k < cfg.observers % n_proc))
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_entry, args=(wcfg, child, ArrivalRun), name=f"arrivals-{k}",
                               daemon=True)
            proc.start()
            child.close()
            pipes.append(parent)
            procs.append(proc)
        return asyncio.run(_follow(cfg, console, prepared, pipes, procs))
    finally:
        asyncio.run(_restore(cfg, prepared.found_controls))
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()


async def _recv(pipe: Any, proc: Any, timeout: float, what: str) -> Any:  # noqa: ASYNC109
    if not await asyncio.to_thread(pipe.poll, max(1.0, timeout)):
        raise LoadtestError(f"worker {proc.name} did not {what}")
    return pipe.recv()


class _Follower:
    """The parent during the run: CPU and RSS of both sides, the line's length, the held door."""

    def __init__(self, cfg: ArrivalsConfig, prepared: Prepared, procs: list[Any]) -> None:
        self.cfg, self.prepared = cfg, prepared
        self.servers = _local_servers(cfg.url)
        self.mine = [psutil.Process()] + [psutil.Process(p.pid) for p in procs]
        self.rss_peak = 0.0
        self.line_peak: int | None = None
        self.admitted_out: int | None = None  # admitted tickets not used yet, at most (they hold room)
        self.held = set(prepared.found_controls) if cfg.admit_per_min is not None else set()
        # Two admission rounds' worth (the admitter works once a second): the first round cannot empty the line,
        # so arrivals faster than the rate keep one.
        self.release_at = min(cfg.arrivals, 2 * math.ceil((cfg.admit_per_min or 60) / 60))
        self.release_by = math.inf  # … or at the last arrival, however long the line is then
        self.cpu: list[tuple[float, list[float]]] = []  # (wall, cpu seconds of mine + servers)

    def snapshot(self) -> None:
        self.cpu.append((time.time(), _cpu_seconds(self.mine + self.servers)))

    def sample_rss(self) -> float | None:
        if not self.servers:
            return None
        with contextlib.suppress(psutil.Error):
            rss = sum(s.memory_info().rss for s in self.servers) / 2**20
            self.rss_peak = max(self.rss_peak, rss)
            return rss
        return None

    async def follow(self, http: aiohttp.ClientSession, until: float) -> None:
        """Until ``until``: release the held door at the first waiting shopper; sample RSS and the line."""
        cfg, last = self.cfg, 0.0
        while (now := time.time()) < until:
            if cfg.organizer and (self.held or now - last >= FOLLOW_S):
                for festival in self.prepared.found_controls:
                    with contextlib.suppress(LoadtestError):
                        view = await _organizer(http, "GET", festival, cfg.organizer)
                        waiting = int(view.get("waiting", 0)) + int(view.get("prequeue", 0))
                        self.line_peak = max(self.line_peak or 0, waiting)
                        self.admitted_out = max(self.admitted_out or 0, int(view.get("admitted_not_entered", 0)))
                        if festival in self.held and (waiting >= self.release_at or now >= self.release_by):
                            await _organizer(http, "PUT", festival, cfg.organizer,
                                             {**self.prepared.found_controls[festival], "mode": "fixed",
                                              "admit_per_min": cfg.admit_per_min})
                            self.held.discard(festival)
            if now - last >= FOLLOW_S:
                self.sample_rss()
                last = now
            await asyncio.sleep(max(0.0, min(HOLD_POLL_S if self.held else FOLLOW_S, until - time.time())))

    def cpu_percent(self, a: int, b: int) -> list[float]:
        (w0, c0), (w1, c1) = self.cpu[a], self.cpu[b]
        return [100.0 * (y - x) / max(1e-6, w1 - w0) for x, y in zip(c0, c1, strict=True)]


async def _follow(cfg: ArrivalsConfig, console: Console, prepared: Prepared, pipes: list[Any],
                  procs: list[Any]) -> dict[str, Any]:
    for pipe, proc in zip(pipes, procs, strict=True):
        await _recv(pipe, proc, 120, "start")
    start = time.time() + 0.5
    t0, t1 = start + cfg.over, start + cfg.over + cfg.duration
    for pipe in pipes:
        pipe.send(start)
    console.print(f"{cfg.arrivals} arrivals over {cfg.over:g} s from {len(procs)} process(es), up to "
                  f"{0 if cfg.idle else cfg.observers} observer(s) among those who get in; measuring "
                  f"{cfg.duration:g} s after the last arrival …")
    follower = _Follower(cfg, prepared, procs)
    follower.release_by = t0
    async with aiohttp.ClientSession(cfg.url, timeout=aiohttp.ClientTimeout(total=10),
                                     cookie_jar=aiohttp.DummyCookieJar()) as http:
        await follower.follow(http, start)
        follower.snapshot()
        await follower.follow(http, t0)
        follower.snapshot()
        before, s0 = parse_metrics(await metrics_text(http)), time.time()
        await follower.follow(http, t1)
        follower.snapshot()
        after, s1 = parse_metrics(await metrics_text(http)), time.time()
        rss_end = follower.sample_rss()
    console.print("collecting the results (whoever still waits leaves the line) …")
    results: list[ArrivalResult] = []
    for pipe, proc in zip(pipes, procs, strict=True):
        results.append((await _recv(pipe, proc, 120 + LEAVE_GRACE_S, "report"))[1])
    n_servers, n_mine = len(follower.servers), len(follower.mine)
    during, window = follower.cpu_percent(0, 1), follower.cpu_percent(1, 2)
    gen_window = window[:n_mine]
    local: dict[str, Any] = {"scrape_delay_s": round(max(0.0, s1 - t1), 2)}
    if n_servers:
        local |= {"pids": [s.pid for s in follower.servers], "processes": n_servers,
                  "cpu_percent": round(sum(window[n_mine:]), 1), "rss_mib": None if rss_end is None
                  else round(rss_end, 1), "max_process_percent": round(max(window[n_mine:]), 1)}
    cores = min(len(procs), os.cpu_count() or 1)
    gen = {"cpu_percent": round(sum(gen_window), 1), "cpu_percent_arrivals": round(sum(during[:n_mine]), 1),
           "max_process_percent": round(max(gen_window[1:] + during[1:n_mine]), 1), "processes": len(procs),
           "cores": os.cpu_count(), "saturated": max(gen_window[1:]) >= 90.0 or sum(gen_window) >= 90.0 * cores}
    config = {**asdict(cfg), "stores": list(cfg.stores), "processes": len(procs), "organizer": bool(cfg.organizer)}
    return summarize_arrivals(
        results, config=config, t0=t0, t1=t1, server_before=before, server_after=after, server_window=s1 - s0,
        server_local=local, generator_cpu=gen, line_peak=(follower.line_peak, follower.admitted_out),
        server_extra={"cpu_percent_arrivals": round(sum(during[n_mine:]), 1) if n_servers else None,
                      "rss_peak_mib": round(follower.rss_peak, 1) if n_servers else None})


LEAVE_GRACE_S = 30.0  # after the window: admitted shoppers close, waiting ones give up their tickets


def arrivals_command(console: Console, cfg: ArrivalsConfig, json_out: Path | None) -> None:
    """``vrstore loadtest --arrivals``: run, print the table, write the JSON; a clear line and exit 1 on errors."""
    try:
        summary = run_arrivals(cfg, console)
    except LoadtestError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    render(console, summary)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
